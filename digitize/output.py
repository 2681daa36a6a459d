"""The CSV contract, overlays for people to check, and crop dumps.

CSV: UTF-8, header row, one row per number in reading order, every input page present.
`number` is a string of digits; read it with `pandas.read_csv(path, dtype={"number": str})`
to keep leading zeros.
"""
from __future__ import annotations

import csv
import io
import os
import re
import sys
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from .errors import DigitizeError
from .reader import NumberRead


@dataclass
class Row:
    file: str
    page: int
    field: str = ""
    number: str = ""
    confidence: str = ""
    status: str = "ok"  # ok, review, empty, error
    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""
    error: str = ""


HEADER = [f.name for f in fields(Row)]


def rows_for_page(file: str, page: int, reads: list[NumberRead], min_confidence: float) -> list[Row]:
    """The rows of one page: one per number, or one 'empty' row when nothing was found."""
    if not reads:
        return [Row(file, page, status="empty")]
    return [
        Row(file, page, read.field, read.number, f"{read.confidence:.4f}",
            "ok" if read.confidence >= min_confidence else "review", *map(str, read.box))
        for read in reads
    ]


def error_row(file: str, page: int, message: str) -> Row:
    """An error row; the message is kept to one line so that every row is one CSV line."""
    return Row(file, page, status="error", error=" ".join(message.split()))


#: The output path that means standard output, as Unix tools take it.
STDOUT = "-"


class CsvWriter:
    """Writes rows as they come, flushed to disk per page, so an interrupted run leaves whole rows.
    The path "-" writes to standard output, for a pipe into the next tool."""

    def __init__(self, path: str | os.PathLike[str], append: bool = False) -> None:
        self.path = Path(path)
        self.to_stdout = str(path) == STDOUT
        existed = False
        if self.to_stdout:
            self.handle = sys.stdout
        else:
            try:
                if self.path.parent and not self.path.parent.exists():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                existed = append and self.path.exists() and self.path.stat().st_size > 0
                self.handle = open(self.path, "a" if existed else "w", newline="", encoding="utf-8")
            except OSError as exc:
                raise DigitizeError(f"cannot write results to {self.path}: {exc.strerror or exc}") from exc
        self.writer = csv.writer(self.handle)
        if not existed:
            self.writer.writerow(HEADER)
            self.handle.flush()

    def write(self, rows: Iterable[Row]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(astuple(row) for row in rows)
        self.handle.write(buffer.getvalue())  # one write per page: whole rows only
        self.handle.flush()
        if not self.to_stdout:
            os.fsync(self.handle.fileno())

    def close(self) -> None:
        if not self.to_stdout:
            self.handle.close()

    def __enter__(self) -> "CsvWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def safe_stem(file: str, page: int) -> str:
    """A file-name-safe id for a page, unique per input path."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", file.strip("/\\.")) or "page"
    return f"{stem}_p{page}"


def write_overlay(path: Path, gray: np.ndarray, reads: list[NumberRead], min_confidence: float) -> None:
    """The page with each number's box and reading drawn on it: green ok, orange review."""
    image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    scale = max(0.5, min(gray.shape) / 1200)
    thickness = max(1, int(round(2 * scale)))
    for read in reads:
        x, y, w, h = read.box
        colour = (40, 170, 40) if read.confidence >= min_confidence else (0, 140, 255)
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, thickness)
        label = f"{read.number} {read.confidence:.2f}"
        cv2.putText(image, label, (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, colour,
                    thickness, cv2.LINE_AA)
    if not cv2.imwrite(str(path), image):
        raise DigitizeError(f"cannot write overlay {path}")


def write_crops(folder: Path, stem: str, reads: list[NumberRead]) -> None:
    """Each normalized digit as PNG: <page>_<field>_n<number>_d<digit>_<read>.png."""
    for n, read in enumerate(reads, start=1):
        for d, (crop, digit) in enumerate(zip(read.crops, read.number), start=1):
            name = f"{stem}_{read.field}_n{n}_d{d}_{digit}.png"
            if not cv2.imwrite(str(folder / name), crop):
                raise DigitizeError(f"cannot write crop {folder / name}")


def files_done(path: str | os.PathLike[str]) -> set[str]:
    """Files already complete in a results CSV, for --resume.

    Each file's rows go out in one write, so only the last file can be incomplete (a torn row,
    or some of its rows missing): its rows are cut off and the file is read again.
    """
    target = Path(path)
    if not target.exists() or target.stat().st_size == 0:
        return set()
    data = target.read_bytes()
    data = data[: data.rfind(b"\n") + 1]  # a torn last row
    lines = data.decode("utf-8").splitlines(keepends=True)
    if not lines or next(csv.reader([lines[0]])) != HEADER:
        raise DigitizeError(f"{target} is not a digitize results file; cannot resume into it")
    files = [row[0] for row in csv.reader(lines[1:]) if row]
    keep = len(files)
    while keep and files[keep - 1] == files[-1]:
        keep -= 1
    lines, files = lines[: 1 + keep], files[:keep]
    target.write_text("".join(lines), encoding="utf-8")
    return set(files)
