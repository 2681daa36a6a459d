"""The benchmark scripts still run end to end: their figures are read by people, so a script
broken by a change to a helper it shares would otherwise go unnoticed until the next report."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_single_digit_bench_reads_every_form(mnist_path, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "digits.py"), "--count", "3", "--jobs", "1"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, "DIGITIZE_MNIST": str(mnist_path.resolve())})
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.rstrip().endswith(tuple("0123456789"))]
    accuracies = [row[-2] for row in rows if row[-2].endswith("%")]
    assert len(accuracies) == 9, done.stdout  # one row per stored form


def test_the_digit_string_bench_reads_both_styles(mnist_path, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "strings.py"), "--count", "3", "--heights", "20",
                           "--jobs", "1"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, "DIGITIZE_MNIST": str(mnist_path.resolve())})
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith("20 px")]
    assert [row[-2].endswith("%") for row in rows] == [True, True], done.stdout  # gray, black/white


def test_the_cell_bench_scores_filled_and_empty_cells(mnist_path, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "cells.py"), "--cells", "12", "--jobs", "1"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, "DIGITIZE_MNIST": str(mnist_path.resolve())})
    assert done.returncode == 0, done.stderr[-2000:]
    filled, empty = done.stdout.splitlines()[:2]
    assert filled.startswith("filled cells") and filled.endswith("%"), done.stdout
    assert empty.startswith("empty cells") and empty.count("%") == 2, done.stdout
