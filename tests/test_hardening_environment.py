"""Issue 13, the environment is not an internal error: permissions, odd files, absurd numbers, pipes, signals.

Each case checks the exit code, the one line on stderr and what is on disk
afterwards. Permission failures are injected (the tests may run as root, for
whom chmod 000 changes nothing).
"""

import builtins
import importlib
import io
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import warnings

import mpmath
import pytest

from conftest import ROOT, SAMPLES
from relcalc.errors import InputError

SPEC = "components:\n  a: {mtbf: 1000h, mttr: 1h}\nsystem: {parallel: [a]}\n"


def one_error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("relcalc: error: "), lines[0]
    return lines[0]


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def deny(monkeypatch, function_owner, name, match):
    """Make ``function_owner.name`` raise PermissionError when its first argument contains ``match``."""
    original = getattr(function_owner, name)

    def guarded(*args, **kwargs):
        target = str(args[0] if args else kwargs.get("dir", ""))
        if match in target or match in str(kwargs.get("dir", "")):
            raise PermissionError(13, "Permission denied", target)
        return original(*args, **kwargs)

    monkeypatch.setattr(function_owner, name, guarded)


def test_unreadable_spec(run, spec, monkeypatch):
    deny(monkeypatch, builtins, "open", "spec.yaml")
    result = run("compose", spec)
    assert result.exit_code == 2
    assert one_error_line(result) == f"relcalc: error: SPEC: no permission to read {spec}"


def test_unreadable_csv(run, tmp_path, monkeypatch):
    table = tmp_path / "services.csv"
    table.write_text("name,mtbf,mttr\na,1000h,1h\n")
    deny(monkeypatch, builtins, "open", "services.csv")
    deny(monkeypatch, io, "open", "services.csv")
    result = run("availability", "--csv", table)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "services.csv" in line and "ermission" in line


def test_output_into_a_directory_without_write_permission(run, spec, tmp_path, monkeypatch):
    closed = tmp_path / "closed"
    closed.mkdir()
    deny(monkeypatch, tempfile, "mkstemp", "closed")
    result = run("compose", spec, "-o", closed / "out.json")
    assert result.exit_code == 2
    assert one_error_line(result) == f"relcalc: error: --output: no permission to write in {closed}"
    assert os.listdir(closed) == []


def test_unwritable_chart(run, tmp_path, monkeypatch):
    closed = tmp_path / "closed"
    closed.mkdir()
    deny(monkeypatch, tempfile, "mkstemp", "closed")
    result = run("availability", "--mtbf", "1000h", "--mttr", "1h", "--chart", closed / "c.png", "-o",
                 tmp_path / "a.json")
    assert result.exit_code == 2
    assert one_error_line(result) == f"relcalc: error: --chart: no permission to write in {closed}"
    assert os.listdir(closed) == []


@pytest.mark.skipif(not os.path.isfile("/proc/version"), reason="needs Linux /proc")
def test_output_onto_proc(run, spec):
    with open("/proc/version") as handle:
        before = handle.read()
    result = run("compose", spec, "-o", "/proc/version")
    assert result.exit_code == 2
    assert one_error_line(result).startswith("relcalc: error: --output: cannot write in /proc: ")
    with open("/proc/version") as handle:
        assert handle.read() == before


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["-o", ""], "--output: the file name is empty"),
        (["--chart", ""], "--chart: the file name is empty"),
    ],
)
def test_empty_output_names(run, spec, tmp_path, args, fragment):
    result = run("compose", spec, *args)
    assert result.exit_code == 2
    assert fragment in one_error_line(result)
    assert sorted(os.listdir(tmp_path)) == ["spec.yaml"]


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("components:\n  caf\xe9: {mtbf: 1000h, mttr: 1h}\nsystem: caf\xe9\n".encode("latin-1"), "is not UTF-8 text"),
        (b"components:\n  ? [a, b]\n  : {mtbf: 1h, mttr: 1h}\nsystem: a\n", "line 2: a key must be text or a number"),
        (b"components:\n  a: {mtbf: 1000h, mttr: 1h, count: .inf}\nsystem: a\n", "components.a.count must be finite"),
        (b"components:\n  a: {mtbf: 1000h, mttr: 1h, count: .nan}\nsystem: a\n", "components.a.count must be finite"),
        (b"components:\n  a: {mtbf: .inf, mttr: 1h}\nsystem: a\n", "components.a.mtbf must be finite"),
        (b"\xff\xfe\x00\x00", "is not UTF-8 text"),
    ],
    ids=["latin-1", "unhashable-key", "count-inf", "count-nan", "mtbf-inf", "utf-32-bom"],
)
def test_odd_spec_files(run, tmp_path, content, fragment):
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    result = run("compose", path, "-o", tmp_path / "out.json")
    assert result.exit_code == 2
    assert fragment in one_error_line(result)
    assert sorted(os.listdir(tmp_path)) == ["odd.yaml"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--target-nines", "400"], "--target-nines must be at most 307 nines"),
        (["--target-nines", "1e-300"], "--target-nines must be at least 1e-15 nines"),
        (["--mtbf", "1000h", "--target-nines", "400"], "--target-nines must be at most 307 nines"),
        (["--target-nines", "nan"], "--target-nines: cannot read 'nan'"),
        (["--mtbf", "1e-320", "--mttr", "1h"], "--mtbf is below 1e-308"),
        (["--mtbf", "1000h", "--failure-rate", "1e-320"], "give --mtbf or --failure-rate, not both"),
        (["--failure-rate", "1e-320/h", "--mttr", "1h"], "--failure-rate is below 1e-308"),
        (["--mtbf", "\uff11\uff10\uff10\uff10h", "--mttr", "1h"], "write numbers in ASCII digits 0-9"),
        (["--mtbf", "\u0661\u0660\u0660\u0660h", "--mttr", "1h"], "write numbers in ASCII digits 0-9"),
        (["--target", "1e9999999%"], "--target must be strictly between 0 and 1"),
        (["--target", "1e-99999999999999999999%"], "--target must be strictly between 0 and 1"),
        (["--mtbf", "1000h", "--mttr", "1e300", "--chart", "c.png"], "--chart: MTTR 1e+300 h is outside"),
    ],
)
def test_absurd_numbers_are_refused_with_their_meaning(run, tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    result = run("availability", *args, "-o", "out.json")
    assert result.exit_code == 2
    assert fragment in one_error_line(result)
    assert os.listdir(tmp_path) == []


def test_nines_at_the_edges_of_the_range(run):
    # A = 1 - 10^-n computed in 50-digit arithmetic (mpmath), against relcalc's direct A and U
    mpmath.mp.dps = 50
    for nines in ("1e-15", "307"):
        result = run("availability", "--target-nines", nines, "-f", "json")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        u = mpmath.power(10, -mpmath.mpf(nines))
        assert data["unavailability"] == pytest.approx(float(u), rel=1e-15)
        assert data["availability"] == pytest.approx(float(1 - u), rel=1e-15)


def test_nines_of_a_certain_failure_is_zero_not_negative(run):
    # U = 1e300 / (1000 + 1e300) rounds to 1: nines = -log10(1) = 0, printed as 0, never -0.0
    result = run("availability", "--mtbf", "1000h", "--mttr", "1e300h", "-f", "json")
    assert result.exit_code == 0
    nines = json.loads(result.stdout)["nines"]
    assert nines == 0 and math.copysign(1.0, nines) == 1.0


def test_debug_after_the_subcommand(run, spec):
    result = run("compose", spec, "-f", "json", "--debug")
    assert result.exit_code == 0 and result.stderr == ""
    assert json.loads(result.stdout)["availability"] == pytest.approx(1000 / 1001, rel=1e-15)


def test_warnings_never_reach_stderr(run, monkeypatch):
    core = importlib.import_module("relcalc.availability")  # the module, not the function of that name

    original = core.analyze

    def noisy(*args, **kwargs):
        warnings.warn("overflow encountered in multiply", RuntimeWarning)
        warnings.warn("constrained_layout not applied", UserWarning)
        return original(*args, **kwargs)

    monkeypatch.setattr(core, "analyze", noisy)
    result = run("availability", "--mtbf", "1000h", "--mttr", "1h", "-f", "json")
    assert result.exit_code == 0 and result.stderr == ""


def test_an_unexpected_error_in_the_count_search_is_not_unreachable():
    """rbd/inverse.py skips only counts too small for a block; any other spec error is raised."""
    from relcalc.rbd.inverse import smallest_count
    from relcalc.rbd.model import Component, Parallel, System, Use

    a = Component.from_times("a", 1000.0, 1.0)
    broken = System({"a": a}, Parallel((Use("a", "system[0]"), Use("ghost", "system[1]")), "system"))
    with pytest.raises(InputError, match="unknown component 'ghost'"):
        smallest_count(broken, "a", 1e-6)


def test_a_closed_pipe_is_not_an_error():
    # `relcalc ... | head -1`: the output is larger than the pipe's buffer, the reader leaves
    process = subprocess.Popen(
        [sys.executable, "-m", "relcalc", "compose", "2000x a", "-c", "a=1000h/1h", "-f", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert stderr == ""


def test_sigterm_unwinds_and_leaves_no_temporaries(run, tmp_path, monkeypatch):
    output = importlib.import_module("relcalc.cli.output")

    def killed(data, handle):
        handle.write("{")  # half-written, in the temporary file beside out.json
        assert [n for n in os.listdir(tmp_path) if n.startswith(".relcalc-")]
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill` would
        raise AssertionError("SIGTERM did not interrupt")

    monkeypatch.setattr(output, "write_json", killed)
    result = run("availability", "--mtbf", "1000h", "--mttr", "1h", "-o", tmp_path / "out.json")
    assert result.exit_code == 143
    assert result.stderr == "relcalc: terminated\n"
    assert os.listdir(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler lasts the command only


def test_non_utf8_stdin(run):
    result = run("compose", "-", input="components:\n  caf\xe9: {availability: 0.9}\nsystem: caf\xe9\n".encode("latin-1"))
    assert result.exit_code == 2
    assert one_error_line(result) == "relcalc: error: SPEC: stdin is not UTF-8 text (byte 17); save it as UTF-8"


def test_transient_figures_beyond_floating_point_are_no_figure():
    """Rates x times of 1e303 or 1e-600: no figure (None), never a crash on log(0) or 2^1100."""
    import numpy as np

    from scipy.sparse import csr_matrix

    from relcalc.raft import transient


    rates = csr_matrix(np.array([[0.0, 1e300], [0.0, 0.0]]))
    assert transient.absorbed_by(rates, np.array([0.0, 1e300]), [np.array([1.0, 0.0])], 8760.0) is None
    tiny = csr_matrix(np.array([[0.0, 1e-300], [0.0, 0.0]]))
    assert transient.phase_type_quantiles(tiny, np.array([0.0, 1e-300]), np.array([1.0, 0.0]), 1e-300,
                                          {"p50": 0.5}) is None


def test_importance_sampling_of_overflowing_times_is_an_input_error():
    from conftest import exp

    from relcalc.raft import importance
    from relcalc.raft.ctmc import build
    from relcalc.raft.model import RaftModel

    chain = build(RaftModel(nodes=3, ttf=exp(1e300)))
    with pytest.raises(InputError, match="too far apart to estimate"):
        importance.estimate(chain, chain.lost, seed=1, max_seconds=30.0)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_an_environment_error(run):
    result = run("availability", "--mtbf", "1000h", "--mttr", "1h", "-o", "/dev/full")
    assert result.exit_code == 2
    # the option and the file are named (the write's own error carries no file name)
    assert one_error_line(result) == "relcalc: error: --output: cannot write /dev/full: No space left on device"


def test_a_long_run_on_a_terminal_shows_it_is_working(monkeypatch):
    """After HEARTBEAT_AFTER seconds a line says so; it is erased before anything else is written, and at the end."""
    import time

    cli = importlib.import_module("relcalc.cli")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli, "HEARTBEAT_AFTER", 0.05)
    with cli._heartbeat("compose"):
        deadline = time.monotonic() + 10
        while "working" not in terminal.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        print("relcalc: a message", file=sys.stderr)
    assert sys.stderr is terminal
    text = terminal.getvalue()
    assert text.startswith("\rrelcalc: working... 0s (Ctrl-C to stop)")
    assert "\r\033[Krelcalc: a message\n" in text
    assert text.endswith("\n") or text.endswith("\r\033[K")
    with cli._heartbeat("simulate"):  # draws its own progress bar
        assert sys.stderr is terminal


def test_growth_past_the_largest_number_is_refused_naming_the_growth(run, tmp_path):
    out = tmp_path / "growth.json"
    result = run("capacity", "--rate", "12k", "--node-throughput", "100", "--growth", "1e300%/month", "-o", out)
    assert result.exit_code == 2
    assert one_error_line(result).startswith("relcalc: error: growth: 1e+298 a month takes the request rate past 1e308")
    assert not out.exists()
    # the report checks it with the spec, before its simulations
    service = tmp_path / "service.yaml"
    service.write_text((SAMPLES / "checkout-service.yaml").read_text().replace("growth: 4%/month", "growth: 1e300%/month"))
    report = run("report", service, "-o", tmp_path / "report")
    assert report.exit_code == 2
    assert "capacity.growth: '1e300%/month' over 18 months" in one_error_line(report)
    assert sorted(os.listdir(tmp_path)) == ["service.yaml"]


@pytest.mark.parametrize("args", [
    ("availability", "--mtbf", "1000h", "--mttr", "1h"),
    ("compose", "a", "-c", "a=1000h/1h"),
])
def test_a_chart_that_cannot_be_written_is_refused_before_any_work(run, args):
    # /proc takes no new files: the chart's directory is tried before the result is printed
    result = run(*args, "--chart", "/proc/relcalc-chart.png")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("relcalc: error: --chart: cannot write in /proc") and result.stderr.count("\n") == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["availability", "--mtbf", "1000h", "--mttr", "1h", "-f", "json"],
                                  ["availability", "--csv", "SAMPLE", "-f", "csv"]])
def test_a_full_stdout_is_named(args):
    # stdout on /dev/full: one line that says it was stdout, not 'a file could not be read or written'
    import subprocess
    import sys

    from conftest import SAMPLES

    args = [str(SAMPLES / "services.csv") if a == "SAMPLE" else a for a in args]
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "relcalc", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["relcalc: error: stdout: cannot write: No space left on device"]
