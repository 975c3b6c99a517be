"""availability --csv streamed block by block: the same rows, figures and bad rows as the whole-file evaluation.

References: the whole-file evaluation (relcalc.availability_csv.evaluate_availability_csv,
itself tested against closed forms in test_cli_availability.py) row by row,
and the closed form U = MTTR / (MTBF + MTTR) (e.g. Trivedi, Probability and
Statistics with Reliability, Queuing and Computer Science Applications,
2nd ed., 2002, sec. 8.2) from the hours this test wrote itself. Tiny blocks
(a kilobyte) cut the file in over a hundred places, inside quoted cells
too, so every boundary case of the block reader is met by a few thousand rows.
"""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from relcalc.availability_csv import evaluate_availability_csv, stream_availability_csv
from relcalc.batch import read_csv, record_blocks
from relcalc.errors import InputError

BAD_CELLS = ["", "-4h", "abc", "5 parsecs", "1e-320", "nan", "0"]


def generated(rows: int, seed: int = 3, plain: bool = False) -> tuple[str, dict[int, tuple[float, float]]]:
    """A CSV of ``rows`` services with bad cells, blank lines, quoted commas and line breaks; good rows' hours.

    ``plain`` leaves out blank lines and quotes, so blocks go to pyarrow's reader rather than pandas'.
    """
    rng = np.random.default_rng(seed)
    lines = ["name,tier,MTBF,mttr,note"]
    hours = {}
    row = 0
    notes = ["plain", "007", ""] if plain else ["plain", '"a, b"', '"two\nlines"', '"say ""hi"""', "007", ""]
    for i in range(rows):
        if rng.random() < 0.03 and not plain:
            lines.append("" if rng.random() < 0.5 else "   ")  # blank lines are no rows
        row += 1
        mtbf, mttr = float(np.round(rng.lognormal(8, 1), 1)), float(np.round(rng.lognormal(1, 1), 3))
        mtbf_cell = f"{mtbf / 24:.6g}d" if rng.random() < 0.2 else repr(mtbf)
        mttr_cell = f"{mttr * 60:.6g}min" if rng.random() < 0.2 else repr(mttr)
        note = notes[int(rng.integers(len(notes)))]
        if rng.random() < 0.05:
            mttr_cell = BAD_CELLS[int(rng.integers(len(BAD_CELLS)))]
        else:
            mtbf_hours = float(mtbf_cell[:-1]) * 24 if mtbf_cell.endswith("d") else mtbf
            mttr_hours = float(mttr_cell[:-3]) / 60 if mttr_cell.endswith("min") else mttr
            hours[row] = (mtbf_hours, mttr_hours)
        lines.append(f"svc-{i},{['edge', 'app', 'data'][i % 3]},{mtbf_cell},{mttr_cell},{note}")
    return "\n".join(lines) + "\n", hours


def streamed(text: str, block_bytes: int, workers: int = 1, **options):
    sink, errors = io.BytesIO(), []
    summary = stream_availability_csv(io.BytesIO(text.encode()), sink, on_errors=errors.extend, workers=workers,
                                      block_bytes=block_bytes, **options)
    return sink.getvalue().decode(), errors, summary


@pytest.mark.parametrize("block_bytes, workers, plain", [(1000, 1, False), (4096, 2, False), (1 << 20, 1, False),
                                                          (1000, 2, True), (1 << 20, 1, True)])
def test_streamed_rows_match_the_whole_file_evaluation(monkeypatch, block_bytes, workers, plain):
    import relcalc.availability_csv as module

    read_by_arrow = []
    arrow = module.parse_plain_block
    monkeypatch.setattr(module, "parse_plain_block", lambda *a: read_by_arrow.append(arrow(*a)) or read_by_arrow[-1])
    text, hours = generated(3000, plain=plain)
    whole = evaluate_availability_csv(read_csv(io.StringIO(text)))
    out, errors, summary = streamed(text, block_bytes, workers)
    assert any(f is not None for f in read_by_arrow) == plain  # which reader the blocks went to
    table = pd.read_csv(io.StringIO(out), keep_default_na=False, na_values=[""], dtype={"note": str})
    assert summary.rows_read == whole.rows_read == 3000
    assert summary.rows_written == len(table) == len(whole.table)
    assert [(e.row, e.message, e.name) for e in errors] == [(e.row, e.message, e.name) for e in whole.errors]
    assert summary.bad_rows == len(errors) == 3000 - len(hours)
    for column in ("mtbf_hours", "mttr_hours", "availability", "unavailability", "nines",
                   "downtime_per_year_hours", "downtime_per_day_hours"):
        assert table[column].tolist() == whole.table[column].tolist(), column  # the same floats, digit for digit
    assert table["name"].tolist() == whole.table["name"].tolist()
    # passed-through text is written as it was spelt: quoted commas, line breaks, quotes and "007"
    assert set(table["note"].fillna("")) == ({"plain", "007", ""} if plain else
                                             {"plain", "a, b", "two\nlines", 'say "hi"', "007", ""})
    # against the closed form, from the hours written into the file
    good = sorted(hours)
    mtbf, mttr = np.array([hours[r] for r in good]).T
    np.testing.assert_allclose(table["unavailability"], mttr / (mtbf + mttr), rtol=1e-14)
    np.testing.assert_allclose(table["availability"], mtbf / (mtbf + mttr), rtol=1e-14)


def test_every_bad_row_is_named_with_its_reason():
    text = "name,mtbf,mttr\nok,1000,4\ntiny,1e-320,4\n\nempty,,4h\nunit,5parsecs,1h\nok2,2000,1\n"
    out, errors, summary = streamed(text, 20)
    assert [(e.row, e.name) for e in errors] == [(2, "tiny"), (3, "empty"), (4, "unit")]
    assert "below 1e-308" in errors[0].message and "mtbf is empty" in errors[1].message
    assert [r["name"] for r in csv.DictReader(io.StringIO(out))] == ["ok", "ok2"]
    assert (summary.rows_read, summary.rows_written, summary.bad_rows) == (5, 2, 3)


def test_blocks_end_where_records_end():
    text, _ = generated(400, seed=5)
    data = text.encode()
    blocks = list(record_blocks(io.BytesIO(data), 97))
    assert b"".join(blocks) == data and len(blocks) > 50
    whole = list(csv.reader(io.StringIO(text)))
    assert [r for b in blocks for r in csv.reader(io.StringIO(b.decode()))] == whole


@pytest.mark.parametrize("tail, expected", [
    ("x,1h,1h,9\n", "row 1201 has 4 cells; the header has 3"),
    ('x,"1h,1h\n', "row 1201: a quote opens a cell that is never closed"),
])
def test_a_malformed_record_late_in_the_file_is_named_by_its_row(tail, expected):
    text = "name,mtbf,mttr\n" + "a,1000,4\n" * 1200 + tail + "b,1000,4\n" * 10
    with pytest.raises(InputError, match=expected):
        streamed(text, 256, workers=2)


def test_no_good_row_writes_the_header_of_what_is_left():
    text = "name,mtbf,mttr\nx,-1,4\n"
    out, errors, _ = streamed(text, 1 << 20)
    assert out == 'name\n' and len(errors) == 1  # quoted only where needed (issue 18)
    assert out == _whole_csv(text)


def _whole_csv(text: str) -> str:
    from relcalc.cli.output import write_frame_csv

    handle = io.StringIO()
    write_frame_csv(evaluate_availability_csv(read_csv(io.StringIO(text))).table, handle)
    return handle.getvalue()


@pytest.mark.parametrize("text, message", [
    ("", "empty"), ("\n\n", "empty"), ("name,mtbf,mttr\n", "no data rows"),
    ("name,mtbf,mtbf,mttr\na,1,2,3\n", "both named 'mtbf'"), ("name,x\na,1\n", "need columns"),
])
def test_refused_files(text, message):
    with pytest.raises(InputError, match=message):
        streamed(text, 64)


# ---- the command: --errors, counts, --on-error fail, atomic output ----

def _bad_file(tmp_path, bad: int, good: int = 5):
    lines = ["name,mtbf,mttr"] + [f"=bad{i},-{i + 1}h,4h" for i in range(bad)] + [f"ok{i},1000,4" for i in range(good)]
    path = tmp_path / "in.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_errors_file_lists_every_skipped_row(run, tmp_path, fmt):
    source = _bad_file(tmp_path, 37)
    errors = tmp_path / "errors.csv"
    result = run("availability", "--csv", source, "-f", fmt, "--errors", errors)
    assert result.exit_code == 3
    listed = list(csv.DictReader(errors.open()))
    assert [int(r["row"]) for r in listed] == list(range(1, 38))
    assert listed[0]["name"] == "'=bad0"  # a formula-looking name is neutralised (OWASP)
    assert all("must be positive" in r["reason"] for r in listed)
    shown = [line for line in result.stderr.splitlines() if line.startswith("relcalc: skipped: row")]
    assert len(shown) == 20
    assert f"... and 17 more bad rows (all 37 are in {errors})" in result.stderr
    assert "skipped 37 of 42 rows with errors" in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout))) if fmt == "csv" else json.loads(result.stdout)
    assert [r["name"] for r in rows] == [f"ok{i}" for i in range(5)]


def test_fail_keeps_the_previous_output_and_writes_the_errors(run, tmp_path):
    source = _bad_file(tmp_path, 2)
    output, errors = tmp_path / "out.csv", tmp_path / "errors.csv"
    output.write_text("previous\n")
    result = run("availability", "--csv", source, "-o", output, "--on-error", "fail", "--errors", errors)
    assert result.exit_code == 2
    assert "2 of 7 rows have errors; nothing written; every one is in" in result.stderr
    assert output.read_text() == "previous\n"
    assert len(list(csv.DictReader(errors.open()))) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".relcalc")] == []


@pytest.mark.parametrize("args, message", [
    (["--errors", "-"], "give a file name"),
    (["--errors", "{in}"], "also the --csv file"),
    (["-o", "{out}", "--errors", "{out}"], "also the --output file"),
    (["--errors", "{tmp}/no/such/dir/e.csv"], "directory does not exist"),
])
def test_errors_option_refusals(run, tmp_path, args, message):
    source = _bad_file(tmp_path, 1)
    values = {"in": str(source), "out": str(tmp_path / "o.csv"), "tmp": str(tmp_path)}
    result = run("availability", "--csv", source, "-f", "csv", *[a.format(**values) for a in args])
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


def test_errors_needs_a_batch(run, tmp_path):
    result = run("availability", "--mtbf", "1000h", "--mttr", "4h", "--errors", tmp_path / "e.csv")
    assert result.exit_code == 2 and "--errors" in result.stderr


def test_duplicate_columns_refused_by_both_paths(run):
    text = "name,mtbf,mttr,mtbf\na,1000,4,2000\n"
    for fmt in ("csv", "json"):
        result = run("availability", "--csv", "-", "-f", fmt, input=text)
        assert result.exit_code == 2 and "columns 2 and 4 are both named 'mtbf'" in result.stderr


def test_a_record_that_never_ends_is_refused_in_bounded_memory(monkeypatch):
    import relcalc.batch

    monkeypatch.setattr(relcalc.batch, "MAX_RECORD_BYTES", 1000)
    text = "name,mtbf,mttr\n" + "a,1000,4\n" * 50 + 'b,"' + "x" * 5000 + "\n,4\n"
    with pytest.raises(InputError, match="row 51 runs past"):
        streamed(text, 256, workers=2)


def test_a_huge_open_quote_is_named_not_an_internal_error():
    text = "name,mtbf,mttr\na,1000,4\nb,\"" + "x" * (200 << 10) + "\n,4\n"
    with pytest.raises(InputError, match="row 2: a cell runs past 128 KiB"):
        read_csv(io.StringIO(text))


def test_messages_quote_only_an_excerpt_of_a_huge_header():
    text = "name,mtbf" + "x" * 100_000 + ",mttr\na,1,2\n"
    with pytest.raises(InputError) as refused:
        streamed(text, 1 << 20)
    assert len(str(refused.value)) < 300


# ---- the row encoder: numbers as pyarrow's CSV writer spells them, text as the csv module quotes it ----

def _edge_floats(rows: int = 4000) -> np.ndarray:
    """Floats across every magnitude, near each layout switch (1e-6, 1e-5, 1e10, 1e16), integral, tiny and huge."""
    rng = np.random.default_rng(11)
    edges = np.array([1e-6, 1e-5, 1e10, 1e15, 1e16, 1e21, 1.0, 100.0, 5e-324, 2.2250738585072014e-308,
                      1.7976931348623157e308, 0.0])
    with np.errstate(over="ignore"):
        near = np.concatenate([np.nextafter(edges, 0), edges, np.nextafter(edges, np.inf), [np.inf, np.nan]])
    values = np.concatenate([near, 10.0 ** rng.uniform(-320, 308, rows * 4), np.round(rng.lognormal(5, 6, rows * 2))])
    return rng.permutation(values[: rows * 6]).reshape(rows, 6)


def test_encoded_numbers_are_spelt_as_pyarrows_writer_spells_them():
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from relcalc.csv_rows import encode_rows

    floats = _edge_floats()
    meets = pa.array([[True, False, None][i % 3] for i in range(len(floats))])
    names = [["a", "b,c", 'say "hi"', None, "two\nlines", "7"][i % 6] for i in range(len(floats))]
    body = bytes(encode_rows([pa.array(names)], floats, meets)).decode()
    # the references: pyarrow's own writer for numbers and booleans, the csv module for text cells
    sink = io.BytesIO()
    table = pa.table({**{str(i): floats[:, i] for i in range(floats.shape[1])}, "m": meets})
    pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    expected = "".join(f"{_csv_cell(n)},{line}\n" for n, line in zip(names, sink.getvalue().decode().splitlines()))
    assert body == expected


def _csv_cell(cell) -> str:
    """One text cell as the csv module writes it (a missing cell empty)."""
    if cell is None:
        return ""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow([cell, "end"])
    return text.getvalue()[: -len(",end\n")]


def test_streamed_csv_is_the_whole_file_csv_byte_for_byte():
    text, _ = generated(2000, seed=9, plain=True)
    text = text.replace(",007,", ",x7,")  # the whole-file reader would read 007 as the number 7
    out, _, _ = streamed(text, 4096, workers=2)
    assert out == _whole_csv(text)


@pytest.mark.parametrize("target", [None, (0.9999, 1e-4)])
def test_plain_blocks_read_without_pandas_give_the_whole_file_csv(monkeypatch, target):
    import relcalc.availability_csv as module

    rng = np.random.default_rng(13)
    lines = ["name,tier,mtbf,mttr"]
    for i in range(3000):
        mtbf = f"{rng.lognormal(8, 3):.6g}" if i % 7 else f"{rng.integers(1, 10**6)}"  # integral hours too
        mttr = f"{rng.lognormal(0, 2) * 60:.4g}min" if i % 5 == 0 else f"{rng.lognormal(1, 2):.5g}"
        lines.append(f"svc-{i},{['edge', 'app', ''][i % 3]},{mtbf},{mttr}")
    text = "\n".join(lines) + "\n"
    fast = []
    plain_block = module._plain_block
    monkeypatch.setattr(module, "_plain_block", lambda *a: fast.append(plain_block(*a)) or fast[-1])
    out, errors, summary = streamed(text, 4096, workers=2, target=target)
    assert len(fast) >= 10 and all(f is not None for f in fast) and not errors  # every block the plain way
    whole = evaluate_availability_csv(read_csv(io.StringIO(text)), target=target)
    handle = io.StringIO()
    from relcalc.cli.output import write_frame_csv

    write_frame_csv(whole.table, handle)
    assert out == handle.getvalue()
    if target is not None:
        assert summary.missed == int((~whole.table["meets_target"]).sum()) > 0


def test_plain_blocks_neutralise_formula_like_cells(monkeypatch):
    import relcalc.availability_csv as module

    fast = []
    plain_block = module._plain_block
    monkeypatch.setattr(module, "_plain_block", lambda *a: fast.append(plain_block(*a)) or fast[-1])
    text = "name,tier,mtbf,mttr\n=1+1,@x,1000,4\n-5,+y,2000,3\ndb-1,ok,3000,2\n"
    out, _, _ = streamed(text, 1 << 20)
    assert fast and fast[0] is not None  # read the plain way
    # OWASP's rule (a leading = + - @ is prefixed with ' unless the cell is a number), as the whole-file writer
    assert [r[:2] for r in csv.reader(io.StringIO(out))][1:] == [["'=1+1", "'@x"], ["-5", "'+y"], ["db-1", "ok"]]
    assert out == _whole_csv(text)
