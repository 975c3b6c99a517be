"""Issue 13, injection: CSV outputs neutralise text a spreadsheet would run as a formula.

OWASP, "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection): a
cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may
be run as a formula; prefixing a single quote makes the spreadsheet show it
as text. Numbers stay numbers.
"""

import csv
import io

import pytest

from relcalc.files import formula_safe, formula_safe_table, write_csv

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"]
HARMLESS = ["db-1", "app", "-5", "+1e3", "-0.5", "", "a=b", "x@y"]


@pytest.mark.parametrize("text", HOSTILE)
def test_would_be_formulas_get_a_leading_quote(text):
    assert formula_safe(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_names_and_plain_numbers_are_left_alone(text):
    assert formula_safe(text) == text


def test_the_vectorised_form_agrees_with_the_scalar_one():
    import pyarrow as pa

    texts = HOSTILE + HARMLESS + [None]
    for kind in (pa.string(), pa.large_string()):
        table = pa.table({"name": pa.array(texts, kind), "value": list(range(len(texts)))})
        safe = formula_safe_table(table)
        assert safe.column("name").to_pylist() == [None if t is None else formula_safe(t) for t in texts]
        assert safe.column("value").to_pylist() == list(range(len(texts)))
        assert safe.schema == table.schema


def test_write_csv_neutralises_text_only():
    handle = io.StringIO()
    write_csv(handle, ["name", "value", "note"], [["=1+1", -1.5, None], ["-2", -3, "@x"]])
    rows = list(csv.reader(io.StringIO(handle.getvalue())))
    assert rows == [["name", "value", "note"], ["'=1+1", "-1.5", ""], ["-2", "-3", "'@x"]]


def test_availability_batch_output(run, tmp_path):
    table = tmp_path / "services.csv"
    rows = [("=cmd|' /C calc'!A0", "1000h", "1h"), ("@SUM(A1)", "2000h", "2h"), ("db-1", "1000h", "4h")]
    table.write_text("name,mtbf,mttr\n" + "".join(f'"{n}",{u},{d}\n' for n, u, d in rows))
    out = tmp_path / "out.csv"
    result = run("availability", "--csv", table, "-o", out)
    assert result.exit_code == 0, result.stderr
    written = list(csv.DictReader(out.open()))
    assert [r["name"] for r in written] == ["'=cmd|' /C calc'!A0", "'@SUM(A1)", "db-1"]
    # numbers untouched: U = MTTR / (MTBF + MTTR)
    assert [float(r["unavailability"]) for r in written] == pytest.approx([1 / 1001, 2 / 2002, 4 / 1004], rel=1e-15)


def test_compose_csv_output(run, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text('components:\n  "=HYPERLINK(1)": {mtbf: 1000h, mttr: 1h}\n  "-x": {availability: 0.99}\n'
                    'system: {series: ["=HYPERLINK(1)", "-x"]}\n')
    result = run("compose", spec, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(1)" in names and "'-x" in names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)
