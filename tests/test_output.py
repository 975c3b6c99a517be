"""The shared output layer: CSV written in slices reads back as one table."""

import io

import pytest

import pandas as pd

from relcalc.cli import output


def test_sliced_csv_write_keeps_every_row_in_order_with_one_header(monkeypatch):
    frame = pd.DataFrame({"name": [f"svc,{i}" for i in range(10)], "value": [i / 3 for i in range(10)]})
    monkeypatch.setattr(output, "_CSV_SLICE_ROWS", 3)  # four slices, the last one short
    sink = io.StringIO()
    output.write_frame_csv(frame, sink)
    text = sink.getvalue()
    assert text.count("name") == 1
    back = pd.read_csv(io.StringIO(text))
    assert back["name"].tolist() == frame["name"].tolist()
    assert back["value"].tolist() == frame["value"].tolist()  # shortest round-trip digits


def test_empty_frame_writes_just_the_header():
    sink = io.StringIO()
    output.write_frame_csv(pd.DataFrame({"a": pd.Series([], dtype=float)}), sink)
    assert sink.getvalue() == 'a\n'  # quoted only where needed, as the csv module does


def test_output_follows_links_keeps_modes_and_writes_devices(run, tmp_path):
    """-o replaces a file atomically, but never a symlink, a device or a FIFO, and keeps a file's mode."""
    import json
    import os
    import stat

    target = tmp_path / "real.json"
    target.write_text("old")
    os.chmod(target, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert run("availability", "--mtbf", "2000h", "--mttr", "4h", "-o", link).exit_code == 0
    assert link.is_symlink() and json.loads(target.read_text())["mttr_hours"] == 4.0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert run("availability", "--mtbf", "2000h", "--mttr", "4h", "-o", fifo, "-f", "json").exit_code == 0
        assert stat.S_ISFIFO(fifo.stat().st_mode)
        assert json.loads(os.read(reader, 65536))["mtbf_hours"] == 2000.0
    finally:
        os.close(reader)


def test_batch_csv_quotes_only_cells_that_need_it_and_reads_back_whole(monkeypatch):
    """As Python's csv module writes (QUOTE_MINIMAL), also across slices and with line breaks in cells."""
    import csv

    monkeypatch.setattr(output, "_CSV_SLICE_ROWS", 2)
    names = ["plain", "a, b", 'say "hi"', "two\nlines", "", "last"]
    frame = pd.DataFrame({"name": names, "value": [0.5, 1.0, 2.5, 3.0, 4.0, 1e-5]})
    sink = io.StringIO()
    output.write_frame_csv(frame, sink)
    text = sink.getvalue()
    assert text.startswith("name,value\nplain,0.5\n")  # a slice with nothing to quote: no quotes at all
    assert '"a, b",1' in text and '"say ""hi""",2.5' in text  # quoted, as needed
    assert '"last"' not in text
    back = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in back[1:]] == names
    assert [float(row[1]) for row in back[1:]] == frame["value"].tolist()


@pytest.mark.parametrize("names", [["a", "b"], ["api, eu", "b"], ['say "hi"', "c"], ["two\nlines", "d"]])
def test_batch_csv_rows_read_back_as_written_and_quote_like_the_csv_module(names):
    """relcalc.csv_quoting against Python's csv module, the reference for 'quote only where needed'."""
    import csv
    import io

    import pyarrow as pa

    from relcalc.csv_quoting import header_line, rows_csv

    table = pa.table({"name": names, "x": [1.5, 2.0]})
    text = (header_line(table.column_names) + rows_csv(table)).decode()
    assert list(csv.reader(io.StringIO(text))) == [["name", "x"], [names[0], "1.5"], [names[1], "2"]]
    if not any("\n" in n for n in names):  # with a line break the slice keeps pyarrow's quotes (valid CSV)
        reference = io.StringIO()
        csv.writer(reference, lineterminator="\n").writerows([["name", "x"], [names[0], "1.5"], [names[1], "2"]])
        assert text == reference.getvalue()
