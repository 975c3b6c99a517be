"""The shared output layer: CSV written in slices reads back as one table."""

import io

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
    assert sink.getvalue() == '"a"\n'
