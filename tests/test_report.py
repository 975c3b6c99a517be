"""``relcalc report``: the whole review from one YAML, bad specs, atomic output, a real browser."""

import re
import shutil
import subprocess

import pytest

from conftest import SAMPLES

SAMPLE = SAMPLES / "checkout-service.yaml"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from relcalc.report import write_report

    out = tmp_path_factory.mktemp("reports") / "checkout"
    context = write_report(str(SAMPLE), str(out))
    return out, context


def test_report_files(report):
    out, context = report
    assert (out / "report.html").exists() and (out / "report.md").exists()
    charts = sorted(p.name for p in (out / "charts").iterdir())
    for name in ("diagram", "fix-first", "raft-year", "raft-sizes", "capacity", "growth", "nines-map"):
        assert f"{name}.png" in charts and f"{name}.svg" in charts
    tables = sorted(p.name for p in (out / "tables").iterdir())
    for name in ("summary.csv", "improvements.csv", "importance.csv", "raft.csv", "constraints.csv", "growth.csv"):
        assert name in tables
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".relcalc-")]  # nothing left aside


def test_summary_numbers_follow_from_the_parts(report):
    from relcalc.rbd import evaluate
    from relcalc.report import load_service

    out, context = report
    spec = load_service(SAMPLE.read_text())
    diagram = evaluate(spec.system)
    assert context["diagram_text"].startswith("99.99")
    # the service is the diagram in series with the store: U = Ud + Us - Ud Us
    summary = (out / "tables" / "summary.csv").read_text().splitlines()
    availability = float(summary[1].split(",")[1])  # written with all its digits
    store_u = context["store_unavailability"]
    expected_u = diagram.unavailability + store_u - diagram.unavailability * store_u
    # 1 - A from a rounded A keeps about 16 - 4 digits at four nines
    assert 1 - availability == pytest.approx(expected_u, rel=1e-11)
    assert len(context["improvements"]) == 3
    assert context["capacity"]["nodes"] >= 1 and context["capacity"]["binding_constraint"]


def test_html_is_self_contained(report):
    out, _ = report
    html = (out / "report.html").read_text()
    assert "<style>" in html and html.count("data:image/png;base64,") >= 7
    # no external resource: every src and href is inline data or a fragment, no url() fetches
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert refs and all(r.startswith("data:") or r.startswith("#") for r in refs)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "http://" not in html and "https://" not in html
    md = (out / "report.md").read_text()
    assert "](charts/diagram.png)" in md and "## Raft store" in md


# a service with a diagram only (no store, no capacity): the cheapest whole report, for the file-handling tests
SMALL_SERVICE = "service: small\ntargets: {availability: 99.9%}\ncomponents: {a: {mtbf: 1000h, mttr: 1h}}\nsystem: a\n"


def test_report_replaces_its_previous_run_but_not_other_directories(tmp_path, run):
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL_SERVICE)
    out = tmp_path / "rep"
    first = run("report", spec, "-o", out)
    assert first.exit_code == 0, first.stderr
    (out / "stale.txt").write_text("old")
    again = run("report", spec, "-o", out)
    assert again.exit_code == 0 and not (out / "stale.txt").exists()
    assert (out / "report.html").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    refused = run("report", spec, "-o", other)
    assert refused.exit_code == 2 and "holds no relcalc report" in refused.stderr
    assert (other / "keep.txt").read_text() == "mine"


BAD = {
    "missing targets": ("service: s\ncomponents: {a: {mtbf: 1h, mttr: 1h}}\nsystem: a\n", "missing section 'targets'"),
    "missing system": ("service: s\ntargets: {availability: 99%}\ncomponents: {}\n", "missing section 'system'"),
    "unknown component": ("service: s\ntargets: {availability: 99%}\ncomponents: {a: {mtbf: 1h, mttr: 1h}}\n"
                          "system: {series: [a, b]}\n", "system.series[1]: unknown component 'b'"),
    "wrong type": ("service: s\ntargets: {availability: 99%}\ncomponents: {a: {mtbf: 1h, mttr: 1h}}\nsystem: a\n"
                   "raft: [1, 2]\n", "raft: expected a mapping"),
    "bad raft value": ("service: s\ntargets: {availability: 99%}\ncomponents: {a: {mtbf: 1h, mttr: 1h}}\n"
                       "system: a\nraft: {mttr: -4h}\n", "raft.mttr"),
    "unknown key": ("service: s\ntargets: {availability: 99%}\ncomponents: {a: {mtbf: 1h, mttr: 1h}}\nsystem: a\n"
                    "capacity: {rate: 1k, node_throughput: 100, colour: red}\n", "capacity.colour"),
    "bad target": ("service: s\ntargets: {availability: 120%}\ncomponents: {a: {mtbf: 1h, mttr: 1h}}\nsystem: a\n",
                   "targets.availability"),
    "capacity missing rate": ("service: s\ntargets: {availability: 99%}\ncomponents: {a: {mtbf: 1h, mttr: 1h}}\n"
                              "system: a\ncapacity: {node_throughput: 100}\n", "capacity: missing 'rate'"),
    "not yaml mapping": ("- a\n- b\n", "mapping"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_service_files_are_one_line_errors_and_leave_nothing(case, tmp_path, run):
    text, fragment = BAD[case]
    path = tmp_path / "svc.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    result = run("report", path, "-o", out)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["svc.yaml"]


def test_missing_file_and_directory(run, tmp_path):
    assert run("report", tmp_path / "nope.yaml", "-o", tmp_path / "o").exit_code == 2
    assert run("report", SAMPLE, "-o", tmp_path / "no" / "such" / "dir").exit_code == 2


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_report_renders_in_a_headless_browser_offline(report, tmp_path):
    import matplotlib.image as mpimg
    import numpy as np

    out, _ = report
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         # any network fetch would fail: the page must render from itself alone
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
         f"--screenshot={shot}", "--window-size=1280,3000", (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.exists(), done.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[0] == 3000 and pixels.shape[1] == 1280
    # not blank: many distinct colours and real contrast (text, charts)
    flat = pixels[..., :3].reshape(-1, 3)
    assert flat.std() > 0.1
    assert len(np.unique((flat[::97] * 255).astype(int), axis=0)) > 50
