"""The CSV contract: header, strings with leading zeros, empty and error rows, whole rows only."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from digitize.errors import DigitizeError
from digitize.output import HEADER, CsvWriter, error_row, files_done, rows_for_page
from digitize.reader import NumberRead


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_header_and_leading_zeros(tmp_path):
    reads = [NumberRead("box1", "007", 0.95, (1, 2, 3, 4)), NumberRead("box2", "12", 0.5, (5, 6, 7, 8))]
    path = tmp_path / "out.csv"
    with CsvWriter(path) as writer:
        writer.write(rows_for_page("scan.png", 1, reads, 0.9))
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(HEADER)
    rows = read_rows(path)
    assert [r["number"] for r in rows] == ["007", "12"]
    assert [r["status"] for r in rows] == ["ok", "review"]
    assert rows[0]["x"] == "1" and rows[1]["height"] == "8" and float(rows[0]["confidence"]) == pytest.approx(0.95)


def test_pandas_keeps_leading_zeros_with_documented_dtype(tmp_path):
    pandas = pytest.importorskip("pandas")
    path = tmp_path / "out.csv"
    with CsvWriter(path) as writer:
        writer.write(rows_for_page("a.png", 1, [NumberRead("box1", "0042", 0.99, (0, 0, 1, 1))], 0.9))
    frame = pandas.read_csv(path, dtype={"number": str})
    assert frame.loc[0, "number"] == "0042"


def test_empty_page_and_error_rows(tmp_path):
    path = tmp_path / "out.csv"
    with CsvWriter(path) as writer:
        writer.write(rows_for_page("blank.png", 1, [], 0.9))
        writer.write([error_row("bad.pdf", 1, 'PDF is encrypted, "locked"')])
    rows = read_rows(path)
    assert rows[0]["status"] == "empty" and rows[0]["number"] == ""
    assert rows[1]["status"] == "error" and rows[1]["error"] == 'PDF is encrypted, "locked"'


def test_files_done_cuts_a_torn_last_row(tmp_path):
    path = tmp_path / "out.csv"
    with CsvWriter(path) as writer:
        writer.write(rows_for_page("a.png", 1, [], 0.9))
        writer.write(rows_for_page("b.png", 1, [], 0.9))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("c.png,1,box1,12")  # killed mid-row
    assert files_done(path) == {"a.png"}  # c torn and cut; b, the last whole one, is redone
    assert path.read_text(encoding="utf-8").endswith("a.png,1,,,,empty,,,,,\n")
    with CsvWriter(path, append=True) as writer:
        writer.write(rows_for_page("b.png", 1, [], 0.9))
    assert [r["file"] for r in read_rows(path)] == ["a.png", "b.png"]


def test_files_done_redoes_the_last_file_which_may_be_incomplete(tmp_path):
    path = tmp_path / "out.csv"
    reads = [NumberRead("box1", "1", 0.99, (0, 0, 1, 1)), NumberRead("box2", "2", 0.99, (0, 0, 1, 1))]
    with CsvWriter(path) as writer:
        writer.write(rows_for_page("a.png", 1, reads, 0.9))
        writer.write(rows_for_page("b.png", 1, reads, 0.9))
    assert files_done(path) == {"a.png"}
    assert [r["file"] for r in read_rows(path)] == ["a.png", "a.png"]


def test_resume_refuses_a_foreign_csv(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DigitizeError, match="not a digitize results file"):
        files_done(path)


def test_crops_are_named_for_tracing(tmp_path):
    from digitize.output import write_crops

    read = NumberRead("box3", "45", 0.9, (0, 0, 1, 1), [0.9, 0.9], [np.zeros((28, 28), np.uint8)] * 2)
    write_crops(tmp_path, "scan.png_p2", [read])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.png_p2_box3_n1_d1_4.png", "scan.png_p2_box3_n1_d2_5.png"]
