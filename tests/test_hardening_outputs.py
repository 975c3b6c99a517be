"""Issue 13, outputs never destroy what is not theirs: links, directories and leftover temporaries.

Each case checks the exit code, stderr and exactly what is on disk afterwards.
"""

import json
import os
import time

import pytest

from relcalc.errors import InputError
from relcalc.files import STALE_SECONDS, atomic_directory, atomic_text, remove_stale_temporaries

SPEC = "components:\n  a: {mtbf: 1000h, mttr: 1h}\nsystem: a\n"


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def test_output_link_to_a_directory_is_refused_and_nothing_is_left(run, spec, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "precious.txt").write_text("mine")
    link = tmp_path / "link"
    link.symlink_to(real)
    result = run("compose", spec, "-o", link)
    assert result.exit_code == 2
    assert result.stderr == f"relcalc: error: --output: {real} is a directory; give a file name\n"
    assert os.readlink(link) == str(real)
    assert sorted(os.listdir(tmp_path)) == ["link", "real", "spec.yaml"]
    assert os.listdir(real) == ["precious.txt"] and (real / "precious.txt").read_text() == "mine"


def test_output_link_to_a_file_is_followed(run, spec, tmp_path):
    target = tmp_path / "target.json"
    target.write_text("old")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    result = run("compose", spec, "-o", link)
    assert result.exit_code == 0 and result.stderr == ""
    assert os.path.islink(link) and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["availability"] == pytest.approx(1000 / 1001, rel=1e-15)
    assert sorted(os.listdir(tmp_path)) == ["out.json", "spec.yaml", "target.json"]


def test_report_directory_link_is_followed_and_the_link_kept(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    for content in ("first", "second"):  # a new directory, then a replacement
        with atomic_directory(str(link)) as work:
            with open(os.path.join(work, "report.md"), "w") as handle:
                handle.write(content)
        assert os.path.islink(link) and os.readlink(link) == str(real)
        assert (real / "report.md").read_text() == content
        assert sorted(os.listdir(tmp_path)) == ["link", "real"]


def test_a_failed_directory_build_leaves_the_old_one(tmp_path):
    target = tmp_path / "report"
    target.mkdir()
    (target / "report.md").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_directory(str(target)) as work:
            open(os.path.join(work, "report.md"), "w").close()
            raise RuntimeError("the build failed")
    assert os.listdir(tmp_path) == ["report"] and (target / "report.md").read_text() == "old"


def test_report_output_onto_a_file_is_refused(tmp_path):
    target = tmp_path / "report"
    target.write_text("a file")
    with pytest.raises(InputError, match="exists and is not a directory"):
        with atomic_directory(str(target)):
            pass
    assert os.listdir(tmp_path) == ["report"] and target.read_text() == "a file"


def _age(path, seconds):
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def test_stale_temporaries_are_removed_by_the_next_run(run, spec, tmp_path):
    old = 2 * STALE_SECONDS
    stale_file = tmp_path / ".relcalc-k2j4_x9q.tmp"
    stale_chart = tmp_path / ".relcalc-abcdefgh.png"
    stale_new = tmp_path / ".relcalc-new-zz8hq1ab"
    stale_old = tmp_path / ".relcalc-old-00000000"
    stale_report = tmp_path / ".relcalc-report-a1b2c3d4"
    for path in (stale_file, stale_chart):
        path.write_text("partial")
    for path in (stale_new, stale_old, stale_report):
        path.mkdir()
        (path / "report.md").write_text("partial")
    young = tmp_path / ".relcalc-youngone.tmp"  # another run may be writing it right now
    young.write_text("in progress")
    theirs = [tmp_path / ".relcalc-notes.txt", tmp_path / ".relcalc-abcdefgh.tmp.bak", tmp_path / "precious.txt"]
    for path in theirs:
        path.write_text("user's")
    for path in [stale_file, stale_chart, stale_new, stale_old, stale_report, *theirs]:
        _age(path, old)
    result = run("compose", spec, "-o", tmp_path / "out.json")
    assert result.exit_code == 0 and result.stderr == ""
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["spec.yaml", "out.json", young.name] + [path.name for path in theirs]
    )
    assert all(path.read_text() == "user's" for path in theirs)


def test_stale_cleanup_leaves_what_it_cannot_judge(tmp_path):
    link = tmp_path / ".relcalc-linkname.tmp"
    link.symlink_to("/nonexistent")  # an old dangling link of our name: removed, its target untouched
    _age(link, 2 * STALE_SECONDS)
    assert remove_stale_temporaries(str(tmp_path)) == [link.name]
    assert os.listdir(tmp_path) == []
    assert remove_stale_temporaries(str(tmp_path / "missing")) == []


def test_atomic_text_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("previous")
    with pytest.raises(KeyboardInterrupt):
        with atomic_text(str(out)) as handle:
            handle.write("half")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == ["out.csv"] and out.read_text() == "previous"


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="needs /dev/stdout")
def test_output_to_dev_stdout_on_a_pipe_is_written_there():
    # /dev/stdout on a pipe resolves to 'pipe:[N]', no path: it was refused ('cannot write in /proc/N/fd')
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "relcalc", "availability", "--mtbf", "100h", "--mttr", "1h",
                           "-f", "json", "-o", "/dev/stdout"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["availability"] == 100 / 101  # MTBF / (MTBF + MTTR)


@pytest.mark.parametrize("args, name, text", [
    (["availability", "--csv", "IN"], "in.csv", "name,mtbf,mttr\na,100h,1h\n"),
    (["capacity", "--csv", "IN"], "in.csv", "name,rate,node_throughput\na,10,1\n"),
    (["compose", "IN"], "in.yaml", "components: {a: {mtbf: 100h, mttr: 1h}}\nsystem: a\n"),
])
def test_an_output_that_is_the_input_is_refused_and_the_input_kept(run, tmp_path, args, name, text):
    # -o naming the input replaced it with the results (a YAML spec became a table)
    source = tmp_path / name
    source.write_text(text)
    result = run(*[str(source) if a == "IN" else a for a in args], "-o", str(source))
    assert result.exit_code == 2 and "is also the" in result.stderr
    assert source.read_text() == text
