"""Start-up stays light: the quick commands import neither pandas, scipy nor matplotlib."""

import subprocess
import sys

import pytest

HEAVY = ("pandas", "scipy", "matplotlib", "numba")

PROBE = """
import sys
from relcalc.cli import app
from typer.testing import CliRunner
result = CliRunner().invoke(app, sys.argv[1:])
assert result.exit_code in (0, 3), result.output
print("loaded=" + ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["availability", "--help"],
        ["compose", "--help"],
        ["capacity", "--help"],
        ["capacity", "fit", "--help"],
        ["simulate", "--help"],
        ["simulate", "raft", "--help"],
        ["report", "--help"],
        ["availability", "--mtbf", "2000h", "--mttr", "4h"],
        ["availability", "--target", "99.95%", "-f", "json"],
    ],
)
def test_quick_commands_skip_heavy_imports(args):
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "loaded="


def test_single_component_skips_numpy():
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=("numpy",)), "availability", "--mtbf", "2000h", "--mttr", "4h"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "loaded="
