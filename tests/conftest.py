import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relcalc.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture
def run():
    """Invoke the CLI in-process; the result has exit_code, stdout and stderr apart."""
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return invoke


def run_subprocess(*args, input=None, env=None):
    """Run ``python -m relcalc`` in a fresh interpreter."""
    full_env = dict(os.environ)
    full_env.pop("RELCALC_DEBUG", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "relcalc", *map(str, args)],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=120,
    )


def exp(mean):
    """An exponential law of the given mean (hours), for Raft models in tests."""
    from relcalc.raft import Distribution

    return Distribution("exponential", mean)


def binomial_quorum_u(n, mtbf, mttr):
    """Quorum unavailability of n independent nodes: P(at least n - quorum + 1 down), binomial (insensitive)."""
    import math

    u = mttr / (mtbf + mttr)
    lost_at = n - (n // 2 + 1) + 1
    return sum(math.comb(n, k) * u**k * (1 - u) ** (n - k) for k in range(lost_at, n + 1))
