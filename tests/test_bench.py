"""The benchmark scripts still run end to end: their figures are read by people, so a script
broken by a change to a helper it shares would otherwise go unnoticed until the next report."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *options: str, mnist_path: Path, cwd: Path) -> subprocess.CompletedProcess:
    """A bench script run as a user runs it, on the shared MNIST; it must succeed."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--jobs", "1", *options],
                          capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "DIGITIZE_MNIST": str(mnist_path.resolve())})
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_the_single_digit_bench_reads_every_form(mnist_path, tmp_path):
    done = run_bench("digits.py", "--count", "3", mnist_path=mnist_path, cwd=tmp_path)
    rows = [line.split() for line in done.stdout.splitlines() if line.rstrip().endswith(tuple("0123456789"))]
    accuracies = [row[-2] for row in rows if row[-2].endswith("%")]
    assert len(accuracies) == 10, done.stdout  # one row per stored form


def test_the_digit_string_bench_reads_both_styles(mnist_path, tmp_path):
    done = run_bench("strings.py", "--count", "3", "--heights", "20", mnist_path=mnist_path, cwd=tmp_path)
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith("20 px")]
    assert [row[-2].endswith("%") for row in rows] == [True, True], done.stdout  # gray, black/white


@pytest.mark.parametrize("options", [[], ["--captioned"], ["--circled"], ["--combs", "ticks"]])
def test_the_cell_bench_scores_filled_and_empty_cells(options, mnist_path, tmp_path):
    done = run_bench("cells.py", "--cells", "12", *options, mnist_path=mnist_path, cwd=tmp_path)
    filled, empty = done.stdout.splitlines()[:2]
    assert filled.startswith("filled cells") and filled.endswith("%"), done.stdout
    assert empty.startswith("empty cells") and empty.count("%") == 2, done.stdout


def test_the_page_bench_scores_a_page_photographed_in_a_shadow(mnist_path, tmp_path):
    done = run_bench("pages.py", "--pages", "1", "--scan", "shadow", mnist_path=mnist_path, cwd=tmp_path)
    assert "in a shadow" in done.stdout and "digitize: exact numbers" in done.stdout, done.stdout


def test_the_real_scan_bench_scores_a_set_and_says_where_its_errors_lie(tmp_path):
    # A set laid out as ../shared/realdata's are: images/ and truth.csv. Two printed numbers;
    # the truth of the second is given wrong on purpose, one digit longer than what is written.
    import cv2
    import numpy as np

    images = tmp_path / "tiny" / "images"
    images.mkdir(parents=True)
    for name, text in (("a.png", "47"), ("b.png", "305")):
        image = np.full((80, 240), 255, np.uint8)
        cv2.putText(image, text, (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 0, 5)
        cv2.imwrite(str(images / name), image)
    (tmp_path / "tiny" / "truth.csv").write_text("file,truth\na.png,47\nb.png,3051\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "realdata.py"), str(tmp_path), "--sets", "tiny",
                           "--jobs", "1", "--breakdown"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    row, breakdown = done.stdout.splitlines()[1:3]
    assert row.split()[:3] == ["tiny", "2", "50.0%"], done.stdout
    assert breakdown.strip().startswith("wrong 1: short 1, long 0, swapped 0"), done.stdout


def test_error_kinds_sorts_wrong_reads_and_counts_single_digit_swaps():
    import importlib.util

    spec = importlib.util.spec_from_file_location("realdata", ROOT / "bench" / "realdata.py")
    realdata = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(realdata)
    error_kinds = realdata.error_kinds

    truth = {"a": "123", "b": "123", "c": "4567", "d": "10", "e": "77", "f": "5"}
    reads = {"a": "123", "b": "128", "c": "4667", "d": "1", "e": "777"}  # no read for 'f'
    kinds, swaps = error_kinds(truth, reads)
    assert kinds == {"swapped": 2, "short": 2, "long": 1}
    assert swaps == {"3>8": 1, "5>6": 1}
