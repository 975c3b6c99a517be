"""Start-up time of `relcalc availability` against a bare typer hello-world.

Run by hand from an environment with relcalc installed:

    python benchmarks/startup.py [--runs 15]

Prints the median wall time of each command and its ratio to the typer
hello-world measured in the same run. Target: availability within 1.5x.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

from timing import median_seconds

HELLO = """\
import typer

app = typer.Typer()


@app.command()
def main(name: str = "world") -> None:
    print(f"hello {name}")


app()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("relcalc") or os.path.join(os.path.dirname(sys.executable), "relcalc")
    relcalc = [script] if os.path.exists(script) else [sys.executable, "-m", "relcalc"]
    with tempfile.TemporaryDirectory() as tmp:
        hello = os.path.join(tmp, "hello.py")
        with open(hello, "w") as handle:
            handle.write(HELLO)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "typer hello-world": [sys.executable, hello],
            "relcalc --help": relcalc + ["--help"],
            "relcalc availability": relcalc + ["availability", "--mtbf", "2000h", "--mttr", "4h"],
        }
        results = {name: median_seconds(cmd, args.runs) for name, cmd in cases.items()}
    baseline = results["typer hello-world"]
    print(f"median of {args.runs} runs; ratio against the typer hello-world")
    for name, seconds in results.items():
        print(f"{name:<24} {seconds * 1000:8.1f} ms  {seconds / baseline:5.2f}x")
    ratio = results["relcalc availability"] / baseline
    print(f"target: relcalc availability within 1.50x -> {'met' if ratio <= 1.5 else 'MISSED'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
