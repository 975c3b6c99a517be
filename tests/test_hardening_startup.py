"""Issue 13: Ctrl-C while relcalc is still importing, and CSV options given an endless device or a pipe.

A SIGINT before the CLI's own handling is running (Python importing relcalc, typer,
rich) used to print Python's traceback out of an import; relcalc/__init__.py now
answers it with the CLI's one line and 130. A CSV option given ``/dev/zero`` read
forever (MemoryError); a device or pipe is now read to a bound and refused past it.
"""

import os
import signal
import subprocess
import sys

import pytest

import relcalc
import relcalc.execution
from relcalc import loading

# Stands in for the console script: argv[0] is "relcalc" while the package is imported, as when
# the `relcalc` script runs; the SIGINT arrives during the import-time window the guard covers.
_INTERRUPTED_WHILE_IMPORTING = (
    "import os, signal, sys, time\n"
    "sys.argv[0] = 'relcalc'\n"
    "import relcalc\n"
    "os.kill(os.getpid(), signal.SIGINT)\n"
    "time.sleep(10)\n"
    "print('not interrupted')\n"
)


def test_sigint_while_importing_is_one_line_and_130():
    result = subprocess.run([sys.executable, "-c", _INTERRUPTED_WHILE_IMPORTING], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 130, result.stderr
    assert result.stderr == "relcalc: interrupted\n"
    assert result.stdout == ""


def test_library_import_keeps_python_ctrl_c(monkeypatch):
    # a library user's process (argv[0] not relcalc) keeps Python's KeyboardInterrupt
    monkeypatch.setattr(sys, "argv", ["python-app"])
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        relcalc._guard_start()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_worker_with_sigint_ignored_keeps_ignoring(monkeypatch):
    # relcalc's workers start with SIGINT ignored (relcalc/execution.py): the guard must not undo that
    monkeypatch.setattr(sys, "argv", ["relcalc"])
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        relcalc._guard_start()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_cli_hands_ctrl_c_back_to_python(run, monkeypatch):
    # once the CLI runs, Ctrl-C is a KeyboardInterrupt again, noted (handled by the CLI with exit 130)
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, relcalc._interrupted_while_starting)
        result = run("availability", "--mtbf", "2000h", "--mttr", "4h")
        assert result.exit_code == 0, result.stderr
        assert signal.getsignal(signal.SIGINT) is relcalc.execution.on_ctrl_c
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_capacity_csv_of_dev_zero_is_refused(run, monkeypatch, tmp_path):
    monkeypatch.setattr(loading, "MAX_STREAM_CSV_BYTES", 1 << 16)  # the bound itself, small for speed
    monkeypatch.chdir(tmp_path)
    result = run("capacity", "--csv", "/dev/zero", "-o", "out.csv", "-f", "csv")
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("relcalc: error: --csv: /dev/zero gave more than"), lines
    assert os.listdir(tmp_path) == []


def test_csv_source_regular_file_directory_missing(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,rate\n")
    assert loading.csv_source(str(path), "--csv") == str(path)
    with pytest.raises(relcalc.InputError, match="is a directory"):
        loading.csv_source(str(tmp_path), "--csv")
    with pytest.raises(relcalc.InputError, match="file not found"):
        loading.csv_source(str(tmp_path / "nope.csv"), "--csv")


def test_csv_source_pipe_not_utf8(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(fifo)!r}, 'wb').write(b'name\\n\\xff\\n')"])
    try:
        with pytest.raises(relcalc.InputError, match="not UTF-8"):
            loading.csv_source(str(fifo), "--csv")
    finally:
        writer.wait(timeout=30)


def test_capacity_csv_from_stdin_still_works(run):
    result = run("capacity", "--csv", "-", "-f", "csv", input="name,rate,node_throughput\na,100,10\n")
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0].startswith("name,") and rows[1].startswith("a,") and len(rows) == 2  # stdin read, once


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("args", [["estimate", "/dev/zero"],
                                  ["capacity", "--rate", "12k", "--node-throughput", "800",
                                   "--latency-samples", "/dev/zero", "--latency", "p99<=50ms"],
                                  ["compose", "2x a", "--from-incidents", "/dev/zero", "--incidents-window", "2025-01-01..2026-01-01"]])
def test_other_csv_options_of_dev_zero_are_refused(run, monkeypatch, args):
    monkeypatch.setattr(loading, "MAX_STREAM_CSV_BYTES", 1 << 16)
    result = run(*args)
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "/dev/zero gave more than" in lines[0], lines


@pytest.mark.parametrize("hours, text", [
    (1e308, "4.17e+306d"),         # 1e308 h / 24 = 4.1667e306 days; in seconds it is no float (> 1.8e308)
    (24.0 * 365_000, "3.65e+05d"),  # a thousand years of days and more: three figures
    (24.0 * 364_999 + 1.5, "364999d 1h 30m"),  # below it, to the minute as before
])
def test_format_duration_of_huge_times(hours, text):
    from relcalc.units import format_duration

    assert format_duration(hours) == text


def test_compose_at_a_huge_time_is_not_an_internal_error(run):
    # --at 1e308 (hours) was an OverflowError out of format_duration (round(inf)) in the table
    result = run("compose", "2x a", "-c", "a=1000h/1h", "--at", "1e308")
    assert result.exit_code == 0, result.stderr
    assert "e+306d" in result.stdout


@pytest.mark.parametrize("args, csv_text", [
    (["capacity", "--csv"], "name,rate,node_throughput,current_nodes\n[/],10,1,1\n[bold]x,10,1,20\n"),
    (["availability", "--csv"], "name,mtbf,mttr\n[/],10h,1h\n[bold]x,10h,1h\n"),
])
def test_batch_table_names_are_text_not_markup(run, tmp_path, args, csv_text):
    # a name such as "[/]" was read as rich markup: MarkupError, exit 1
    path = tmp_path / "in.csv"
    path.write_text(csv_text)
    result = run(*args, path)
    assert result.exit_code in (0, 3), result.stderr
    assert "[/]" in result.stdout and "[bold]x" in result.stdout


@pytest.mark.parametrize("args", [
    ("compose", "a", "--components", "/dev/zero"),  # a device: read to a bound, then refused
    ("report", "/dev/zero", "-o", "OUT"),  # a service file over 64 MiB
])
def test_endless_spec_and_component_inputs_are_refused_in_bounded_memory(run, tmp_path, args):
    args = tuple(str(tmp_path / "report") if a == "OUT" else a for a in args)
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "/dev/zero" in lines[0] and "MiB" in lines[0]
    assert not (tmp_path / "report").exists()


def test_compose_names_are_text_not_rich_markup(run, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text('components:\n  "[/]": {mtbf: 1000h, mttr: 1h}\n  "[bold]x": {mtbf: 1000h, mttr: 1h}\n'
                    'system: {parallel: ["[/]", "[bold]x"]}\n')
    result = run("compose", str(spec), "--cut-sets", "2", "--mission-time", "1h")
    assert result.exit_code == 0, result.stderr
    # two independent 1000h/1h components in parallel: U = (1/1001)^2 (closed form)
    assert "[/] + [bold]x" in result.stdout and "9.98e-07" in result.stdout
    # in series each is a single point of failure, named on a line of its own: as text too
    spec.write_text('components:\n  "[/]": {mtbf: 1000h, mttr: 1h}\n  "[bold]x": {mtbf: 1000h, mttr: 1h}\n'
                    'system: {series: ["[/]", "[bold]x"]}\n')
    result = run("compose", str(spec), "--cut-sets")
    assert result.exit_code == 0, result.stderr
    assert "Single points of failure: [/], [bold]x" in result.stdout
