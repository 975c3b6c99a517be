"""``relcalc report``: the review from one YAML, verdicts that agree with the numbers, reusable tables,
reproducible bytes, a directory writer that never deletes what it did not write, escaping, a real browser.

The sample report is built once per session (the ``report`` fixture); every other case uses a service
small enough to build in well under a second.
"""

import csv
import hashlib
import json
import math
import os
import re
import shutil
import subprocess

import pytest

from conftest import SAMPLES

SAMPLE = SAMPLES / "checkout-service.yaml"
EPOCH = "1767225600"  # 2026-01-01 00:00:00 UTC


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from relcalc.report import write_report

    out = tmp_path_factory.mktemp("reports") / "checkout"
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        run = write_report(str(SAMPLE), str(out))
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH")
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return out, run.analysis


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_report_files_and_manifest(report):
    out, _ = report
    assert (out / "report.html").exists() and (out / "report.md").exists()
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert charts == sorted(f"{n}.svg" for n in ("diagram", "fix-first", "raft-year", "raft-sizes", "raft-outages",
                                                 "capacity", "growth", "nines-map"))  # SVG once each, no PNG twin
    tables = {p.name for p in (out / "tables").iterdir()}
    assert {"summary.csv", "verdicts.csv", "improvements.csv", "importance.csv", "raft.csv", "raft-sizes.csv",
            "constraints.csv", "capacity.csv", "growth.csv"} <= tables
    manifest = json.loads((out / "manifest.json").read_text())
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    for path, digest in manifest["files"].items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".relcalc-")]  # nothing left aside


def test_service_is_the_diagram_in_series_with_the_store(report):
    from relcalc.rbd import evaluate
    from relcalc.report import load_service

    out, a = report
    diagram = evaluate(load_service(SAMPLE.read_text()).system)
    store_u = a.store.result.unavailability.value
    # independent parts in series: U = Ud + Us - Ud Us
    expected_u = diagram.unavailability + store_u - diagram.unavailability * store_u
    row = read_csv(out / "tables" / "summary.csv")[0]
    assert float(row["unavailability"]) == pytest.approx(expected_u, rel=1e-12)
    assert float(row["downtime_per_year_hours"]) == pytest.approx(expected_u * 8760, rel=1e-12)
    assert a.store.sizes[1] is a.store.result  # the n-node store is analysed once, shared by the size sweep


def test_verdicts_agree_with_the_numbers(report):
    out, a = report
    states = {v.name: v.state for v in a.verdicts}
    # 26 nodes needed (redundancy: the two zones left after losing one of 3 at the 90% survivor cap), 28 today:
    # enough now, so the summary is amber (growth warns), not red, and the README's first command exits 0
    assert a.capacity.answer.nodes == 26 and a.capacity.current_nodes == 28
    assert states == {"availability": "pass", "latency": "pass", "nodes": "pass", "growth": "warn"}
    assert a.meets
    html = (out / "report.html").read_text()
    assert 'class="verdict warn"' in html and 'class="verdict fail"' not in html
    rows = {r["verdict"]: r for r in read_csv(out / "tables" / "verdicts.csv")}
    assert "2 nodes of headroom over the 26 needed" in rows["nodes"]["detail"]
    # the growth table: month m's rate is 12,000 x 1.04^m (compound growth); the cluster runs out in the first
    # month that needs more than 28 nodes, and the warning says so
    growth = read_csv(out / "tables" / "growth.csv")
    for row in growth:
        assert float(row["rate_per_second"]) == pytest.approx(12000 * 1.04 ** int(row["month"]), rel=1e-12)
    first_short = next(int(r["month"]) for r in growth if int(r["nodes_needed"]) > 28)
    after = float(re.search(r"runs out after ([0-9.]+) months", rows["growth"]["achieved"]).group(1))
    assert first_short - 1 <= after <= first_short


def test_what_to_do_first_ranks_every_component_and_the_store(report):
    out, a = report
    targets = {i.target for i in a.improvements}
    assert {"power", "lb", "raft store"} <= targets  # power has only an availability
    saved = [i.saved_hours for i in a.improvements]
    assert saved == sorted(saved, reverse=True) and all(s > 0 for s in saved)
    # the redundant power supply: u -> u^2 for an instance in series, U_service recomputed by hand
    u_power, u_rest = 1e-5, None
    power = next(i for i in a.improvements if i.action.startswith("add a redundant power"))
    diagram_u = a.diagram.unavailability
    u_rest = 1 - (1 - diagram_u) / (1 - u_power)  # everything but power, from the series product
    store_u = a.store.unavailability
    after = 1 - (1 - u_power**2) * (1 - u_rest) * (1 - store_u)
    assert power.downtime_after_hours == pytest.approx(after * 8760, rel=1e-9)
    # the chart's and the summary's downtime are the same figure (the service, store included)
    from relcalc.charts.style import short_duration
    from relcalc.units import format_duration

    svg = (out / "charts" / "fix-first.svg").read_text()
    assert f"the service's downtime is {short_duration(a.downtime_per_year_hours)}" in svg
    assert format_duration(a.downtime_per_year_hours) in (out / "report.md").read_text()


def test_tables_are_reusable(report):
    out, _ = report
    for path in (out / "tables").iterdir():
        header = path.read_text().splitlines()[0].split(",")
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", h) for h in header), (path.name, header)
    for row in read_csv(out / "tables" / "constraints.csv"):
        assert row["nodes"] == "" or re.fullmatch(r"[0-9]+", row["nodes"])  # 16, not 16.0
    for row in read_csv(out / "tables" / "growth.csv"):
        assert re.fullmatch(r"[0-9]+", row["nodes_needed"]) and re.fullmatch(r"[0-9]+", row["month"])
    for row in read_csv(out / "tables" / "raft.csv"):
        if row["ci95_low"]:
            assert float(row["ci95_low"]) <= float(row["estimate"]) <= float(row["ci95_high"])
    html = (out / "report.html").read_text()
    for link in re.findall(r'href="(tables/[^"]+)"', html):
        assert (out / link).exists()
    assert len(re.findall(r'href="tables/[^"]+\.csv"', html)) >= 9


def test_html_is_self_contained(report):
    out, _ = report
    html = (out / "report.html").read_text()
    assert "<style>" in html and html.count("data:image/svg+xml;base64,") == 8
    # every resource is inline; links go to the report's own files (tables, charts)
    srcs = re.findall(r'src\s*=\s*"([^"]*)"', html)
    assert srcs and all(s.startswith("data:") for s in srcs)
    hrefs = re.findall(r'href\s*=\s*"([^"]*)"', html)
    assert all(h.startswith(("tables/", "charts/", "#")) for h in hrefs)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "http://" not in html and "https://" not in html
    md = (out / "report.md").read_text()
    assert "](charts/diagram.svg)" in md and "## Raft store" in md


def test_footer_traces_the_inputs(report):
    from relcalc import __version__

    out, a = report
    digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    for name in ("report.md", "report.html"):
        text = (out / name).read_text()
        assert digest in text and "checkout-service.yaml" in text and __version__ in text
        assert "2026-01-01" in text  # SOURCE_DATE_EPOCH, not today
        assert "Seed 7" in text and "crude sampling" in text


# a service with a diagram only (no store, no capacity): the cheapest whole report, for the file-handling tests
SMALL_SERVICE = "service: small\ntargets: {availability: 99.9%}\ncomponents: {a: {mtbf: 1000h, mttr: 1h}}\nsystem: a\n"
# a small store with a short run: reproducibility and overrides
SMALL_STORE = SMALL_SERVICE.replace("99.9%", "99%") + "raft: {nodes: 3, mtbf: 500h, mttr: 10h, years: 400, seed: 3}\n"
# ... and with a capacity plan, so every kind of chart and table is in the reproducibility check
SMALL_PLAN = SMALL_STORE + ("capacity: {rate: 1000, service_time: 20ms, concurrency: 4, nodes: 12, growth: 5%/month, "
                            "horizon: 6mo}\n")


def _write(tmp_path, text, name="svc.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_two_runs_give_the_same_bytes(tmp_path, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    spec = _write(tmp_path, SMALL_PLAN)
    for out in ("one", "two"):
        assert run("report", spec, "-o", tmp_path / out).exit_code == 0
    one = {str(p.relative_to(tmp_path / "one")): p.read_bytes() for p in (tmp_path / "one").rglob("*") if p.is_file()}
    two = {str(p.relative_to(tmp_path / "two")): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert {"charts/raft-sizes.svg", "charts/capacity.svg", "charts/growth.svg", "tables/growth.csv"} <= one.keys()
    assert one.keys() == two.keys()
    assert one == two


def test_overrides_of_seed_years_and_method(tmp_path, run):
    spec = _write(tmp_path, SMALL_STORE)
    from relcalc.report import analyze_service, load_service

    service = load_service(spec.read_text())
    a = analyze_service(service, seed=11, years=800, method="crude")
    assert a.seed == 11 and a.store.result.seed == 11 and a.store.result.simulated_years == pytest.approx(800)
    exact = analyze_service(service, method="exact")
    # 3 independent nodes, one crew each: the quorum is lost with 2 or 3 down, binomial with u = 10/510
    u = 10 / 510
    assert exact.store.result.quorum_unavailability.value == pytest.approx(3 * u**2 * (1 - u) + u**3, rel=1e-9)
    done = run("report", spec, "-o", tmp_path / "o", "--seed", "5", "--years", "300", "--method", "crude")
    assert done.exit_code == 0, done.stderr
    assert "Seed 5" in (tmp_path / "o" / "report.md").read_text()


BAD_OPTIONS = {
    "negative seed": (["--seed", "-1"], "--seed"),
    "zero years": (["--years", "0"], "--years"),
    "nan years": (["--years", "nan"], "--years"),
    "huge years": (["--years", "1e30"], "--years"),
    "years with a unit": (["--years", "5h"], "--years"),
    "unknown method": (["--method", "magic"], "--method"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_options_are_one_line_errors(case, tmp_path, run):
    args, fragment = BAD_OPTIONS[case]
    spec = _write(tmp_path, SMALL_STORE)
    result = run("report", spec, "-o", tmp_path / "o", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_method_needing_a_chain_on_lognormal_repairs_is_refused(tmp_path, run):
    spec = _write(tmp_path, SMALL_SERVICE + "raft: {nodes: 3, mtbf: 500h, mttr: 10h, ttr: lognormal:1.0}\n")
    result = run("report", spec, "-o", tmp_path / "o", "--method", "exact")
    assert result.exit_code == 2 and "Markov chain" in result.stderr


CAPACITY = ("service: s\ntargets: {availability: 99.9%%}\ncomponents: {a: {mtbf: 1000h, mttr: 1h}}\nsystem: a\n"
            "capacity: {rate: 1000, node_throughput: 100, target_utilization: 50%%, nodes: %d, growth: 10%%/month, "
            "horizon: 6mo}\n")


@pytest.mark.parametrize("nodes, exit_code, states", [
    # needed: ceil(R / (T u)) = ceil(1000 / (100 x 0.5)) = 20 nodes; growing 10% a month, N nodes last
    # ln(N x 50 / 1000) / ln(1.1) months: 25 -> 2.3, 40 -> 7.3 (beyond the 6-month horizon)
    (15, 3, {"nodes": "fail", "growth": "fail"}),
    (25, 0, {"nodes": "pass", "growth": "warn"}),
    (40, 0, {"nodes": "pass", "growth": "pass"}),
])
def test_exit_code_and_verdicts_follow_the_cluster(nodes, exit_code, states, tmp_path, run):
    spec = _write(tmp_path, CAPACITY % nodes)
    result = run("report", spec, "-o", tmp_path / "o")
    assert result.exit_code == exit_code, result.stderr
    rows = {r["verdict"]: r for r in read_csv(tmp_path / "o" / "tables" / "verdicts.csv")}
    assert {k: rows[k]["state"] for k in states} == states
    assert read_csv(tmp_path / "o" / "tables" / "summary.csv")[0]["nodes_needed"] == "20"
    if nodes == 25:
        assert f"after {math.log(25 * 50 / 1000) / math.log(1.1):.1f} months" in rows["growth"]["achieved"]


def test_missed_availability_exits_3(tmp_path, run):
    spec = _write(tmp_path, SMALL_SERVICE.replace("99.9%", "99.99%"))
    result = run("report", spec, "-o", tmp_path / "o")
    assert result.exit_code == 3 and "availability fail" in result.stdout
    assert 'class="verdict fail"' in (tmp_path / "o" / "report.html").read_text()


def test_availability_only_component_leads_what_to_do_first(tmp_path):
    from relcalc.report import analyze_service, load_service

    text = ("service: s\ntargets: {availability: 99.9%}\ncomponents: {dns: {availability: 99.9%},"
            " a: {mtbf: 1000h, mttr: 0.1h}}\nsystem: {series: [dns, a]}\n")
    a = analyze_service(load_service(text))
    u_dns, u_a = 1e-3, 0.1 / 1000.1
    first = a.improvements[0]
    assert first.target == "dns" and "redundant" in first.action
    # series: U = 1 - (1 - u_dns)(1 - u_a); a redundant dns has u_dns^2
    before = 1 - (1 - u_dns) * (1 - u_a)
    after = 1 - (1 - u_dns**2) * (1 - u_a)
    assert first.saved_hours == pytest.approx((before - after) * 8760, rel=1e-9)
    nine = next(i for i in a.improvements if i.action.startswith("one more nine for dns"))
    assert nine.downtime_after_hours == pytest.approx((1 - (1 - u_dns / 10) * (1 - u_a)) * 8760, rel=1e-9)


def test_report_replaces_only_its_own_files(tmp_path, run):
    spec = _write(tmp_path, SMALL_SERVICE)
    out = tmp_path / "rep"
    assert run("report", spec, "-o", out).exit_code == 0
    assert run("report", spec, "-o", out).exit_code == 0  # a previous report is replaced
    (out / "precious.txt").write_text("mine")
    refused = run("report", spec, "-o", out)
    assert refused.exit_code == 2 and "precious.txt" in refused.stderr and refused.stderr.count("\n") == 1
    assert (out / "precious.txt").read_text() == "mine" and (out / "report.html").exists()
    (out / "precious.txt").unlink()
    (out / "tables" / "notes.csv").write_text("mine")  # inside the report's own folders too
    refused = run("report", spec, "-o", out)
    assert refused.exit_code == 2 and "tables/notes.csv" in refused.stderr
    assert (out / "tables" / "notes.csv").read_text() == "mine"


def test_report_refuses_directories_without_a_manifest(tmp_path, run):
    spec = _write(tmp_path, SMALL_SERVICE)
    other = tmp_path / "other"
    other.mkdir()
    (other / "report.html").write_text("an old report, or someone's page")
    (other / "precious.txt").write_text("mine")
    refused = run("report", spec, "-o", other)
    assert refused.exit_code == 2 and "manifest" in refused.stderr
    assert (other / "precious.txt").read_text() == "mine"
    (other / "manifest.json").write_text('{"written_by": "someone else", "files": {}}')
    assert run("report", spec, "-o", other).exit_code == 2
    assert (other / "precious.txt").read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("report", spec, "-o", empty).exit_code == 0


HOSTILE = ('service: "<script>alert(1)</script>"\ndescription: "*bold* | [x](javascript:alert(1))"\n'
           'targets: {availability: 99.9%}\ncomponents: {"<img src=x onerror=alert(1)>": {mtbf: 1000h, mttr: 1h}}\n'
           'system: "<img src=x onerror=alert(1)>"\n')


def test_user_names_are_escaped_in_markdown_and_html(tmp_path, run):
    spec = _write(tmp_path, HOSTILE)
    assert run("report", spec, "-o", tmp_path / "o").exit_code == 0
    md = (tmp_path / "o" / "report.md").read_text()
    html = (tmp_path / "o" / "report.html").read_text()
    for text in (md, html):
        assert "<script" not in text and "<img src=x" not in text
        assert "&lt;script&gt;" in text
    assert "[x](javascript:" not in md and r"\[x\]" in md  # no link, the brackets shown
    assert r"\*bold\*" in md and r"\|" in md  # no emphasis, no extra table column


def test_markdown_escape():
    from relcalc.report.render import markdown_escape

    assert markdown_escape("<b>a_b</b>") == r"&lt;b&gt;a\_b&lt;/b&gt;"
    assert markdown_escape("x | y\n# z") == r"x \| y \# z"
    assert markdown_escape("AT&T") == "AT&amp;T"


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
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    result = run("report", path, "-o", out)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["svc.yaml"]


def test_missing_file_and_directory(run, tmp_path):
    assert run("report", tmp_path / "nope.yaml", "-o", tmp_path / "o").exit_code == 2
    assert run("report", SAMPLE, "-o", tmp_path / "no" / "such" / "dir").exit_code == 2


def test_pdf_without_a_browser_names_it(tmp_path, run, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("RELCALC_CHROMIUM", raising=False)
    spec = _write(tmp_path, SMALL_SERVICE)
    result = run("report", spec, "-o", tmp_path / "o", "--pdf")
    assert result.exit_code == 2 and "chromium" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_pdf_is_printed_by_the_browser(tmp_path, run):
    spec = _write(tmp_path, SMALL_SERVICE)
    result = run("report", spec, "-o", tmp_path / "o", "--pdf")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "o" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert "report.pdf" in json.loads((tmp_path / "o" / "manifest.json").read_text())["files"]


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


def test_analysis_is_a_typed_result_for_python_users(report):
    from relcalc.report import ServiceAnalysis, Verdict

    _, a = report
    assert isinstance(a, ServiceAnalysis) and all(isinstance(v, Verdict) for v in a.verdicts)
    with pytest.raises(Exception):
        a.availability = 1.0  # frozen


def test_the_search_tries_the_components_with_the_most_potential():
    from relcalc.report import analyze_service, load_service
    from relcalc.report.improvements import MAX_COMPONENTS

    # 30 bare availabilities in series, c29 the worst: in a series every instance's improvement potential is
    # its own share, so the 20 tried are c10 .. c29
    comps = ", ".join(f"c{i}: {{availability: {1 - (i + 1) * 1e-6!r}}}" for i in range(30))
    text = (f"service: s\ntargets: {{availability: 99%}}\ncomponents: {{{comps}}}\n"
            f"system: {{series: [{', '.join(f'c{i}' for i in range(30))}]}}\n")
    a = analyze_service(load_service(text))
    assert {i.target for i in a.improvements} == {f"c{i}" for i in range(30 - MAX_COMPONENTS, 30)}
    assert a.improvements[0].action == "add a redundant c29 (own repair)"


def test_tex_in_names_is_text_in_the_charts(tmp_path, run):
    # matplotlib would parse "$\frac{a}$" as TeX and fail; names are text
    spec = _write(tmp_path, 'service: "cost $5 ^$"\ntargets: {availability: 99%}\n'
                  'components: {"$\\\\frac{a}$": {mtbf: 1000h, mttr: 1h}}\nsystem: "$\\\\frac{a}$"\n')
    result = run("report", spec, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert "\\frac{a}" in (tmp_path / "o" / "charts" / "diagram.svg").read_text()


def test_an_interval_past_the_budget_is_a_warning_not_a_pass():
    from relcalc.report import analyze_service, load_service

    text = SMALL_STORE.replace("years: 400", "years: 100")
    a = analyze_service(load_service(text))
    low, high = a.store.result.unavailability.bounds
    ud = a.diagram.unavailability
    # the service's interval is the store's carried through U = Ud + Us - Ud Us (the diagram is exact)
    assert a.unavailability_ci95 == pytest.approx((ud + low - ud * low, ud + high - ud * high), rel=1e-12)
    # a target between the estimate and the interval's top: the estimate meets it, the data cannot say surely
    between = (a.unavailability + a.unavailability_ci95[1]) / 2
    warned = analyze_service(load_service(text.replace("99%", f"{(1 - between) * 100:.12f}%")))
    verdict = next(v for v in warned.verdicts if v.name == "availability")
    assert verdict.state == "warn" and "95% interval" in verdict.detail and warned.meets


def test_single_points_of_failure_are_the_order_1_cuts(report):
    """Brute force over the sample's structure function, written out by hand: power, lb, 1-of-3 app, 1-of-2 cache."""
    out, a = report

    def works(down):
        return ("power" not in down and "lb" not in down and not {"app1", "app2", "app3"} <= down
                and not {"cache1", "cache2"} <= down)

    instances = ["power", "lb", "app1", "app2", "app3", "cache1", "cache2"]
    assert works(set())
    expected = {i for i in instances if not works({i})}
    rows = read_csv(out / "tables" / "single-points.csv")
    assert {r["name"] for r in rows} == expected == {"power", "lb"}
    by = {r["name"]: r for r in rows}
    # steady state of a two-state component: U = MTTR / (MTBF + MTTR); lb: 2h / 50,002h, power 1e-5 as typed
    assert float(by["lb"]["unavailability"]) == pytest.approx(2 / 50002, rel=1e-12)
    assert float(by["power"]["unavailability"]) == pytest.approx(1e-5, rel=1e-12)
    assert float(by["lb"]["share_of_service_downtime"]) == pytest.approx(2 / 50002 / a.unavailability, rel=1e-12)
    # the 5-node store in 3 zones (2, 2, 1) loses its quorum of 3 only with 3 down: no zone holds 3
    assert all(r["part"] == "diagram" for r in rows)
    assert "Single points of failure: lb, power; each alone takes the service down" in (out / "report.md").read_text()


@pytest.mark.parametrize("raft, expected", [
    # Raft needs a majority, floor(n / 2) + 1 (Ongaro and Ousterhout 2014): n nodes tolerate n - quorum down
    ({"nodes": 2}, ["any of the 2 store nodes"]),
    ({"nodes": 1}, ["the store node"]),
    ({"nodes": 3}, []),
    ({"nodes": 5, "zones": 2, "zone_mtbf": "1y", "zone_mttr": "2h"}, ["zone 1 of the raft store"]),  # 3 + 2
    ({"nodes": 5, "zones": 3, "zone_mtbf": "1y", "zone_mttr": "2h"}, []),  # 2 + 2 + 1
    ({"nodes": 5, "zones": 2}, []),  # zones that never fail
])
def test_single_points_of_the_store(raft, expected):
    from relcalc.raft.inputs import model_grid
    from relcalc.rbd.spec import system_from_mapping
    from relcalc.report.single_points import single_points

    system = system_from_mapping({"components": {"a": {"mtbf": "100h", "mttr": "1h", "count": 2}},
                                  "system": {"parallel": ["a"]}})
    model = model_grid({"mtbf": "1000h", "mttr": "10h", **raft}, lambda k: k)[0]
    points = single_points(system, model, 8760.0)
    assert [p.name for p in points] == expected  # the diagram (two in parallel) has none
    for p in points:
        u = 10 / 1010 if "node" in p.name else 2 / 8762  # MTTR / (MTBF + MTTR)
        assert p.unavailability == pytest.approx(u, rel=1e-12)


@pytest.mark.parametrize("system, repair, unavailability", [
    # two 1000 h / 10 h links between s and t: U = u^2 with u = 10/1010 (independent, own crews)
    ("{network: {source: s, target: t, edges: [[a, s, t], [b, s, t]]}}", "", (10 / 1010) ** 2),
    # the same pair on one crew (FIFO): the 3-state chain 0 -2l-> 1 -l-> 2, back at mu each, so
    # U = pi_2 = 2 l^2 / (mu^2 + 2 l mu + 2 l^2) (Trivedi & Bobbio 2017, the machine-repair model)
    ("{parallel: [a, b]}", "repair: {crews: 1, policy: fifo}\n", 2e-6 / (0.01 + 2e-4 + 2e-6)),
])
def test_a_network_or_a_repair_group_goes_into_a_report(tmp_path, run, system, repair, unavailability):
    service = tmp_path / "svc.yaml"
    service.write_text("service: wan\ntargets: {availability: 99.9%}\ncomponents:\n"
                       "  a: {mtbf: 1000h, mttr: 10h}\n  b: {mtbf: 1000h, mttr: 10h}\n"
                       f"system: {system}\n{repair}")
    result = run("report", service, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "out" / "report.md").read_text()
    assert ("repair group shares crews" in text) == bool(repair)
    from relcalc.report.analysis import analyze_service
    from relcalc.report.spec import load_service

    analysis = analyze_service(load_service(service.read_text()))
    assert analysis.diagram.unavailability == pytest.approx(unavailability, rel=1e-12)
