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
