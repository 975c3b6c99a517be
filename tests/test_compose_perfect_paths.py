"""A network path that needs no component: the system cannot fail, which is said, not printed as an underflow."""

import json

PERFECT = "components:\n  a: {mtbf: 1000h, mttr: 10h}\n"
NETWORK = "{network: {source: s, target: t, edges: [[null, s, t], [a, s, t]]}}"


def test_a_system_that_cannot_fail_is_refused_in_one_line(run, tmp_path):
    spec = tmp_path / "perfect.yaml"
    spec.write_text(PERFECT + f"system: {NETWORK}\n")
    for args in ([], ["-f", "json"], ["-f", "csv"], ["--mission-time", "1y"], ["--cut-sets"]):
        result = run("compose", spec, *args)
        assert result.exit_code == 2, args
        assert result.stderr.count("\n") == 1 and "cannot fail" in result.stderr


def test_a_perfect_block_inside_a_series_leaves_the_series_to_its_other_part(run, tmp_path):
    # series [a, perfect]: U = U_a = MTTR / (MTBF + MTTR) = 10 / 1010 exactly; the perfect block shows as such
    spec = tmp_path / "series.yaml"
    spec.write_text(PERFECT + f"system: {{series: [a, {NETWORK}]}}\n")
    data = json.loads(run("compose", spec, "-f", "json").stdout)
    assert data["unavailability"] == 10.0 / 1010.0
    table = run("compose", spec)
    assert table.exit_code == 0 and "100% (cannot fail)" in table.stdout
