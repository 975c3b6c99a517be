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


CRUDE_PROBE = """
import sys
import numpy as np
from relcalc.cli import app
from typer.testing import CliRunner
result = CliRunner().invoke(app, ["simulate", "raft", "--years", "1", "--seed", "1"])
assert result.exit_code == 0, result.output
print("linalg=" + str(sorted(m for m in ("scipy.linalg", "scipy.stats", "pandas", "matplotlib") if m in sys.modules)))
import numba
dot = numba.njit(lambda a, b: np.dot(a, b))  # numba's BLAS flag, read only now, must still hold
print("dot=" + repr(dot(np.arange(3.0), np.arange(3.0))))
"""


def test_crude_simulation_skips_scipy_linalg_and_keeps_numba_dot():
    """A crude run loads numba's array maths without scipy.linalg (kernel._defer_blas_check); numba's
    1-d dot product still works afterwards: 0*0 + 1*1 + 2*2 = 5 by hand."""
    done = subprocess.run([sys.executable, "-c", CRUDE_PROBE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-2] == "linalg=[]"
    assert lines[-1] == "dot=5.0"
