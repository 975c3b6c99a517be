"""``python -m relcalc``."""

from .cli import main

if __name__ == "__main__":  # not when a spawned worker process (Dask's LocalCluster) imports it again
    main()
