"""Issue 13, bounded inputs: tiny inputs that stand for unbounded work are refused at once, naming the limit.

Each case checks the exit code, that stderr is one ``relcalc: error:`` line
naming the input, and what is on disk afterwards (no output written).
"""

import json
import os

import pytest

from relcalc.errors import InputError
from relcalc.loading import MAX_NODES, load_document


def one_error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("relcalc: error: "), lines[0]
    return lines[0]


def bomb(levels: int, width: int = 9, indent: str = "  ") -> str:
    """A "billion laughs": level i is a list of ``width`` aliases of level i - 1."""
    lines = [f"{indent}- &l0 [{', '.join(['a'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"{indent}- &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines)


# Where the expanded size lands: the block diagram, a component's value, the report's targets.
# 9^8 = 43 million leaves from eight short lines.
@pytest.mark.parametrize(
    "text",
    [
        "components:\n  a: {mtbf: 1000h, mttr: 1h}\nsystem:\n  series:\n" + bomb(8, indent="    "),
        "components:\n  a:\n    mtbf:\n" + bomb(8, indent="      ") + "\nsystem: a\n",
        "components:\n  a: {mtbf: 1000h, mttr: 1h}\nsystem: a\nx:\n" + bomb(8),
    ],
    ids=["system", "component-value", "unknown-key"],
)
def test_alias_bombs_are_refused_before_any_work(run, tmp_path, text):
    spec = tmp_path / "bomb.yaml"
    spec.write_text(text)
    out = tmp_path / "out.json"
    result = run("compose", spec, "-o", out)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"more than {MAX_NODES:,} values" in line and "bomb.yaml: line" in line
    assert len(line) < 300
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["bomb.yaml"]


def test_alias_bomb_in_a_service_file(run, tmp_path):
    spec = tmp_path / "service.yaml"
    spec.write_text("service: s\ntargets:\n  availability:\n" + bomb(8) + "\ncomponents: {a: {availability: 0.9}}\n"
                    "system: a\n")
    result = run("report", spec, "-o", tmp_path / "report")
    assert result.exit_code == 2
    assert "service.yaml: line" in one_error_line(result)
    assert not (tmp_path / "report").exists()


def test_an_alias_that_contains_itself_is_refused():
    with pytest.raises(InputError, match="line 1: an alias refers to a node that contains it"):
        load_document("&a [1, *a]", "spec")


def test_aliases_and_merge_keys_within_the_bound_still_work(run, tmp_path):
    spec = tmp_path / "shared.yaml"
    spec.write_text(
        "components:\n  a: &base {mtbf: 1000h, mttr: 4h}\n  b: *base\n  c: {<<: *base, mttr: 1h}\n"
        "system: {series: [a, b, c]}\n"
    )
    result = run("compose", spec, "-f", "json")
    assert result.exit_code == 0, result.stderr
    # series of independent components: A = prod MTBF / (MTBF + MTTR)
    expected = (1000 / 1004) ** 2 * (1000 / 1001)
    assert json.loads(result.stdout)["availability"] == pytest.approx(expected, rel=1e-14)


def test_yaml_and_json_read_alike_with_yaml_1_2_numbers():
    yaml_text = "a: 1_000\nb: 010\nc: 1:30\nd: 1.5e3\ne: .inf\nf: yes\ng: ~\nh: [1, -2]\n"
    data = load_document(yaml_text, "spec")
    # YAML 1.1 would read 1000, 8, 90: here they are text, or ten as written
    assert data == {"a": "1_000", "b": 10, "c": "1:30", "d": 1500.0, "e": float("inf"), "f": True, "g": None,
                    "h": [1, -2]}
    json_text = json.dumps({"a": "1_000", "b": 10, "d": 1500.0, "h": [1, -2]})
    assert load_document(json_text, "spec") == {"a": "1_000", "b": 10, "d": 1500.0, "h": [1, -2]}
    assert load_document("\ufeff{components: {a: 1}}", "spec") == {"components": {"a": 1}}  # flow YAML


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"a": 1,\n "a": 2}', "line 2: duplicate definition of 'a'"),  # JSON's duplicate named by its line, once
        ("a: 1\na: 2\n", "line 2: duplicate definition of 'a'"),
        ("? [a, b]\n: 1\n", "line 1: a key must be text or a number, not list"),
        ("a: " + "9" * 5000 + "\n", "line 1: Exceeds the limit"),
        ("[" * 10_000 + "]" * 10_000, "nesting too deep"),
        ("a: !!python/object:os.system x\n", "not valid YAML or JSON"),
    ],
    ids=["json-duplicate", "yaml-duplicate", "unhashable-key", "huge-int", "deep", "python-tag"],
)
def test_loader_errors_name_the_source(text, fragment):
    with pytest.raises(InputError, match="^spec: ") as caught:
        load_document(text, "spec")
    assert fragment in str(caught.value) and str(caught.value).count("spec: ") == 1  # the source said once


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["components:\n  a: {mtbf: 1000h, mttr: 1h, count: 1000000000000}\nsystem: {parallel: [a]}\n"],
         "components.a.count must be a whole number <= 100,000"),
        (["components:\n  a: {mtbf: 1000h, mttr: 1h, count: 1e400}\nsystem: {parallel: [a]}\n"],
         "components.a.count must be finite"),
        (["components:\n  a: {mtbf: 1000h, mttr: 1h, count: '1e99999999999999999999'}\nsystem: {parallel: [a]}\n"],
         "components.a.count must be a whole number <= 100,000"),
        (["components:\n  a: {mtbf: 1000h, mttr: 1h, count: 100000}\nsystem: {standby: {of: a}}\n"],
         "a standby block of at most 50 units"),
        (["components:\n" + "".join(f"  c{i}: {{availability: 0.9, count: 100000}}\n" for i in range(11))
          + "system: {series: [" + ", ".join(f"c{i}" for i in range(11)) + "]}\n"],
         "1,100,000 instances in all; at most 1,000,000"),
        (["99999999999999999999x a", "-c", "a=1000h/1h"], "99999999999999999999x: at most 100,000 instances"),
        (["1/1000000000 a", "-c", "a=1000h/1h"], "1/1000000000: at most 100,000 instances"),
        (["2/" + "9" * 5000 + " a", "-c", "a=1000h/1h"], "at most 100,000 instances"),
        (["a", "-c", "a=1000h/1h", "--set", "a.count=99999999999999"], "--set a.count must be a whole number <= 100,000"),
    ],
    ids=["count", "count-inf", "count-exponent", "standby", "total", "times", "k-of-n", "digits", "set"],
)
def test_counts_are_bounded_with_the_limit_named(run, tmp_path, args, fragment):
    if args[0].startswith("components:"):
        spec = tmp_path / "spec.yaml"
        spec.write_text(args[0])
        args = [spec, *args[1:]]
    out = tmp_path / "out.json"
    result = run("compose", *args, "-o", out)
    assert result.exit_code == 2
    assert fragment in one_error_line(result)
    assert not out.exists()


@pytest.mark.parametrize("shape", ["0.004", "250", ".nan"])
def test_weibull_shapes_out_of_range_are_refused(run, tmp_path, shape):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"components:\n  a: {{mtbf: 1000h, mttr: 1h, weibull_shape: {shape}}}\nsystem: a\n")
    result = run("compose", spec, "--mission-time", "1000h")
    assert result.exit_code == 2
    assert "components.a.weibull_shape" in one_error_line(result)


def test_weibull_mission_at_the_shape_limits_matches_the_closed_form(tmp_path):
    from math import exp, gamma

    from relcalc.rbd.mission import system_reliability
    from relcalc.rbd.spec import load_spec_text, system_from_mapping

    for shape in (0.1, 100.0):
        system = system_from_mapping(load_spec_text(
            f"components:\n  a: {{mtbf: 1000h, mttr: 1h, weibull_shape: {shape}}}\nsystem: a\n"))
        # R(t) = exp(-(t / eta)^beta), eta = MTBF / Gamma(1 + 1/beta) (Weibull with mean MTBF)
        eta = 1000.0 / gamma(1.0 + 1.0 / shape)
        for t in (0.5 * eta, eta, 1.01 * eta):
            r, q = system_reliability(system, t)
            assert r == pytest.approx(exp(-((t / eta) ** shape)), rel=1e-12, abs=1e-300)


def test_error_messages_quote_a_short_excerpt(run, tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text("components:\n  a: {mtbf: " + "9" * 100_000 + "parsec, mttr: 1h}\nsystem: a\n")
    result = run("compose", spec)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "unknown unit 'parsec'" in line and len(line) < 300


def test_solve_count_stops_when_instances_only_hurt(run, tmp_path):
    # a used alone at the root: its instances are in series, so A = (1000/1001)^n falls with n
    spec = tmp_path / "alone.yaml"
    spec.write_text("components:\n  a: {mtbf: 1000h, mttr: 1h}\nsystem: a\n")
    result = run("compose", spec, "--target", "99.99999%", "--solve-count", "a", "-f", "json")
    assert result.exit_code == 3 and result.stderr == ""
    [solution] = json.loads(result.stdout)["solutions"]
    assert solution["reachable"] is False


def test_importance_sampling_stops_within_its_step_budget():
    """A chain that almost never returns to all up (repairs 500x slower than failures): no batch fits."""
    from conftest import exp

    from relcalc.raft import importance
    from relcalc.raft.ctmc import build
    from relcalc.raft.model import RaftModel

    chain = build(RaftModel(nodes=5, ttf=exp(2000.0), ttr=exp(1e6), crews=2))
    with pytest.raises(InputError, match="--max-time 0.2s"):
        importance.estimate(chain, chain.lost, seed=1, max_seconds=0.2)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_spec_file_is_refused_at_the_size_limit(run):
    result = run("compose", "/dev/zero")
    assert result.exit_code == 2
    assert one_error_line(result) == "relcalc: error: SPEC: /dev/zero is larger than 64 MiB, more than any spec needs"


def test_an_unknown_name_among_many_components_gives_a_short_message(run, tmp_path):
    spec = tmp_path / "many.yaml"
    spec.write_text("components:\n" + "".join(f"  c{i}: {{availability: 0.9}}\n" for i in range(20_000))
                    + "system: missing\n")
    result = run("compose", spec)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith("relcalc: error: system: unknown component 'missing' (defined: c0, c1, c10, ")
    assert line.endswith("and 19,990 more)") and len(line) < 200


def test_chain_figures_give_up_when_max_time_is_out():
    """Within transient.time_limit the figures are None once the time is up; outside it they are computed."""
    import math

    import numpy as np
    from scipy.sparse import csr_matrix

    from relcalc.raft import transient

    # one state left at rate 2 per hour: P(absorbed by 1.5 h) = 1 - exp(-3) (the exponential law)
    rates, exit_rate, start = csr_matrix(np.zeros((1, 1))), np.array([2.0]), np.array([1.0])
    [found] = transient.absorbed_by(rates, exit_rate, [start], 1.5)
    assert found == pytest.approx(-math.expm1(-3.0), rel=1e-12)
    quantiles = transient.phase_type_quantiles(rates, exit_rate, start, 0.5, {"p50": 0.5})
    assert quantiles["p50"] == pytest.approx(math.log(2.0) / 2.0, rel=1e-9)  # the exponential's median
    with transient.time_limit(0.0):
        assert transient.absorbed_by(rates, exit_rate, [start], 1.5) is None
        assert transient.phase_type_quantiles(rates, exit_rate, start, 0.5, {"p50": 0.5}) is None
    assert transient.absorbed_by(rates, exit_rate, [start], 1.5) == [found]


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_availability_batch_held_whole_is_bounded(run, tmp_path, monkeypatch, fmt):
    # a table or JSON holds every row: /dev/zero (endless) and a file over the cap are refused in one line, pointing
    # at the streamed CSV output; the same file as CSV streams through
    from relcalc.cli import held_input

    if os.path.exists("/dev/zero"):
        result = run("availability", "--csv", "/dev/zero", "-f", fmt)
        assert result.exit_code == 2 and "use -f csv" in one_error_line(result)
    monkeypatch.setattr(held_input, "MAX_HELD_CSV_BYTES", 1000)
    rows = tmp_path / "rows.csv"
    rows.write_text("name,mtbf,mttr\n" + "".join(f"s{i},{100 + i}h,1h\n" for i in range(100)))
    refused = run("availability", "--csv", rows, "-f", fmt)
    assert refused.exit_code == 2 and "use -f csv" in one_error_line(refused)
    piped = run("availability", "--csv", "-", "-f", fmt, input=rows.read_text())
    assert piped.exit_code == 2 and "stdin" in one_error_line(piped)
    streamed = run("availability", "--csv", rows, "-f", "csv")
    assert streamed.exit_code == 0 and len(streamed.stdout.splitlines()) == 101
    # short rows put many in few bytes: the rows held are counted too
    monkeypatch.setattr(held_input, "MAX_HELD_CSV_BYTES", 1 << 20)
    monkeypatch.setattr(held_input, "MAX_HELD_ROWS", 50)
    many = run("availability", "--csv", rows, "-f", fmt)
    assert many.exit_code == 2 and "100 rows are too many" in one_error_line(many)
    # an -o that is a directory is refused before any row is read
    early = run("availability", "--csv", rows, "-f", fmt, "-o", tmp_path)
    assert early.exit_code == 2 and "is a directory" in one_error_line(early) and "skipped" not in early.stderr


@pytest.mark.parametrize("args, header, row", [
    (["availability"], "name,mtbf,mttr", "s{i},{h}h,1h"),
    (["capacity"], "name,rate,node_throughput", "s{i},{h},10"),
])
def test_batch_tables_show_their_first_rows_and_count_the_rest(run, tmp_path, monkeypatch, args, header, row):
    # a terminal table of every row took minutes for 400,000 rows; it shows MAX_TABLE_ROWS and says how many more
    from relcalc.cli import held_input

    monkeypatch.setattr(held_input, "MAX_TABLE_ROWS", 5)
    rows = tmp_path / "rows.csv"
    rows.write_text(header + "\n" + "".join(row.format(i=i, h=100 + i) + "\n" for i in range(12)))
    result = run(*args, "--csv", rows)
    assert result.exit_code == 0, result.stderr
    assert "s4 " in result.stdout and "s5 " not in result.stdout
    assert "... and 7 more rows; -f csv or -f json gives every row" in result.stdout
    every = json.loads(run(*args, "--csv", rows, "-f", "json").stdout)
    assert [r["name"] for r in every] == [f"s{i}" for i in range(12)]
