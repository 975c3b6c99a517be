"""JSON Schemas and `relcalc validate`: made from the loaders' own key lists, and agreeing with the loaders."""

import json
import re

import jsonschema
import pytest
from conftest import ROOT, SAMPLES

from relcalc import schemas
from relcalc.errors import InputError
from relcalc.rbd.spec import load_spec_text, system_from_mapping
from relcalc.report.spec import load_service_mapping

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def _validator(kind):
    schema = schemas.json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_shipped_schemas_are_the_generated_ones(run):
    for kind in ("compose", "service"):
        shipped = (ROOT / "relcalc" / "jsonschema" / f"{kind}.schema.json").read_text()
        assert shipped == schemas.schema_text(kind), "run python -m relcalc.schemas"
        printed = run("schema", kind)
        assert printed.exit_code == 0 and json.loads(printed.stdout) == schemas.json_schema(kind)
    assert run("schema", "report").exit_code == 2


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.y*ml")), ids=lambda p: p.name)
def test_every_sample_names_its_schema_and_is_valid(run, path):
    first = path.read_text().splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"{path.name} lacks the yaml-language-server modeline"
    schema_file = (path.parent / match[1]).resolve()
    kind = schema_file.name.split(".")[0]
    data = load_spec_text(path.read_text(), path.name)  # as the loader reads it (1_000 stays text)
    assert kind == schemas.kind_of(data)
    assert json.loads(schema_file.read_text()) == schemas.json_schema(kind)
    assert list(_validator(kind).iter_errors(data)) == []
    result = run("validate", path)
    assert result.exit_code == 0 and "a valid" in result.stdout


GOOD = {"components": {"a": {"mtbf": "1000h", "mttr": "4h"}, "b": {"availability": "99.9%"}},
        "system": {"series": ["a", {"k_of_n": {"k": 1, "of": ["b"]}}]}}
SERVICE = {"service": "x", "targets": {"availability": "99.9%"}, **GOOD}
BAD_COMPOSE = [
    {**GOOD, "colour": "red"},  # unknown top-level key
    {"components": GOOD["components"]},  # no system
    {**GOOD, "components": {"a": {"mtbf": "1000h", "mttr": "4h", "mtbff": 1}, "b": {"availability": 0.9}}},
    {**GOOD, "components": {"a": {"mtbf": "soon", "mttr": "4h"}, "b": {"availability": 0.9}}},
    {**GOOD, "components": {"a": {"mtbf": "1000h", "mttr": "4h", "count": "three"}, "b": {"availability": 0.9}}},
    {**GOOD, "components": {"a": ["mtbf", "mttr"], "b": {"availability": 0.9}}},
    {**GOOD, "system": {"bogus": ["a", "b"]}},
    {**GOOD, "system": {"series": []}},
    {**GOOD, "system": {"series": "a"}},
    {**GOOD, "system": {"series": ["a"], "parallel": ["b"]}},
    {**GOOD, "system": {"k_of_n": {"k": 1}}},
    {**GOOD, "system": {"k_of_n": {"k": 1, "of": ["a"], "n": 2}}},
    {**GOOD, "system": {"standby": {"of": "a", "mode": "lukewarm"}}},
    {**GOOD, "system": {"standby": {"of": "a", "spares": 1}}},
    {**GOOD, "system": 42},
    {**GOOD, "components": {"a": {"mtbf": "-5h", "mttr": "4h"}, "b": {"availability": 0.9}}},  # negative
    {**GOOD, "components": {"a": {"mtbf": -5, "mttr": "4h"}, "b": {"availability": 0.9}}},
    {**GOOD, "components": {"a": {"mtbf": 5, "mttr": "4h", "count": -1}, "b": {"availability": 0.9}}},
]
BAD_SERVICE = [
    {k: v for k, v in SERVICE.items() if k != "targets"},
    {**SERVICE, "targets": {"availability": "99.9%", "p99": "200ms"}},
    {**SERVICE, "targets": {"latency": "p99<=200ms"}},
    {**SERVICE, "service": 7},
    {**SERVICE, "raft": {"nodes": 5, "mtbff": "2000h"}},
    {**SERVICE, "raft": {"method": "guess"}},
    {**SERVICE, "capacity": {"rate": "12k", "balancer": "fastest"}},
    {**SERVICE, "capacity": {"node_throughput": 800}},
    {**SERVICE, "year_days": 360},
    {**SERVICE, "owner": "me"},
    {**SERVICE, "raft": {"nodes": 5, "mttr": "-4h"}},
]


def _loader_refuses(kind, data):
    with pytest.raises(InputError):
        load_service_mapping(data) if kind == "service" else system_from_mapping(data)


@pytest.mark.parametrize("kind, data", [("compose", d) for d in BAD_COMPOSE] + [("service", d) for d in BAD_SERVICE])
def test_the_schema_rejects_what_the_loader_rejects(kind, data):
    _loader_refuses(kind, data)
    assert list(_validator(kind).iter_errors(data)), "the schema accepts what the loader refuses"
    assert schemas.problems(data, kind)


def test_good_inputs_pass_all_three():
    for kind, data in (("compose", GOOD), ("service", SERVICE)):
        assert list(_validator(kind).iter_errors(data)) == [] and schemas.problems(data, kind) == []


def test_validate_lists_every_problem_with_its_place(run, tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "components:\n"
        "  lb: {mtbf: 50000h, mttr: 2h, colour: red}\n"
        "  app: {mtbf: -5h, mttr: 4h}\n"
        "  db: {mtbf: 8000h}\n"
        "system:\n"
        "  series:\n"
        "    - lb\n"
        "    - nope\n"
        "    - k_of_n: {k: 2, of: [db], extra: 1}\n"
        "    - bogus: [app]\n"
        "    - parallel: []\n"
    )
    result = run("validate", spec)
    assert result.exit_code == 2 and result.stdout == ""
    places = ["components.lb", "components.app.mtbf", "components.db", "system.series[1]",
              "system.series[2].k_of_n.extra", "system.series[3]", "system.series[4].parallel"]
    lines = result.stderr.splitlines()
    assert len(lines) == len(places) + 1 and lines[-1].endswith("7 problems in this compose spec")
    for line, place in zip(lines, places):
        assert line.startswith(f"relcalc: error: {spec}: {place}"), line
    # the meaning the loader checks, once the shape is right: k larger than the members
    spec.write_text("components:\n  a: {availability: 0.9}\nsystem:\n  k_of_n: {k: 3, of: [a]}\n")
    result = run("validate", spec)
    assert result.exit_code == 2 and "k_of_n" in result.stderr


@pytest.mark.parametrize("args", [("validate", "/no/such.yaml"), ("validate", "-"), ("validate", "--kind", "x", "-")])
def test_validate_refuses_what_it_cannot_read_in_one_line(run, args):
    result = run(*args, input="[unclosed\n")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and result.stderr.startswith("relcalc: error:")


def test_the_tables_agree_with_the_modules_that_use_the_words():
    from relcalc.capacity import BALANCERS
    from relcalc.raft.inputs import KEYS
    from relcalc.raft.methods import METHODS

    assert set(schemas.RAFT) == set(KEYS)
    assert set(schemas.RAFT_METHODS) == set(METHODS)
    assert set(schemas.BALANCERS) == set(BALANCERS)


def test_validate_names_every_bad_value_not_only_each_sections_first(run, tmp_path):
    spec = tmp_path / "service.yaml"
    spec.write_text(
        "service: x\n"
        "targets: {availability: 99.9%}\n"
        "components:\n"
        "  a: {mtbf: nan, mttr: inf}\n"
        "system:\n"
        "  standby: {of: [a, a]}\n"
        "raft: {nodes: -3, mtbf: 10q, method: magic}\n"
        "capacity: {rate: abc, zones: 0}\n"
    )
    result = run("validate", spec)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    places = ["components.a.mtbf", "components.a.mttr", "system.standby.of", "raft.nodes", "raft.mtbf",
              "raft.method", "capacity.zones", "capacity.rate"]
    for place in places:
        assert sum(f": {place}" in line for line in lines) == 1, (place, lines)
    # a key refused once is not blamed again as missing ("capacity: missing 'rate'")
    assert "missing" not in result.stderr
    assert lines[-1].endswith(f"{len(places)} problems in this service file")


def test_validating_a_service_file_loads_neither_numba_nor_scipy():
    import subprocess
    import sys

    probe = ("import sys\nfrom typer.testing import CliRunner\nfrom relcalc.cli import app\n"
             "r = CliRunner().invoke(app, ['validate', sys.argv[1]])\nassert r.exit_code == 0, r.output\n"
             "print(sorted(m for m in ('numba', 'scipy', 'pandas', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, str(SAMPLES / "checkout-service.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_validate_notes_a_name_repeated_in_one_block_as_compose_does(run, tmp_path):
    spec = tmp_path / "repeated.yaml"
    spec.write_text("components:\n  db: {mtbf: 8000h, mttr: 8h}\nsystem:\n  parallel: [db, db]\n")
    result = run("validate", spec)
    assert result.exit_code == 0 and "a valid compose spec" in result.stdout  # a note, not a problem
    assert "db appears 2 times in one block" in result.stderr and "'2x db' with count 2" in result.stderr
    assert run("validate", "-q", spec).stderr == ""
