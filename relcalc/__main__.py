"""``python -m relcalc``."""

from .cli import main

main()
