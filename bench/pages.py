"""Whole-page accuracy and speed on pages written with MNIST *test* digits, made at bench time.

300 dpi letter pages with lines of 1-8 digit numbers, slight rotation, uneven light, noise
and JPEG compression, generated into a temporary folder (never committed). Reports exact
numbers (a read whose box overlaps the truth and whose digits all match), spurious numbers
(reads that overlap no written number), pages/s and digits/s, and optionally Tesseract 5
(digits only, --psm 11, as many processes in parallel as --jobs) on the same files.

    python bench/pages.py [--pages 20] [--jobs 2] [--tesseract] [--mnist PATH]
    python bench/pages.py --skew 10                  # pages turned up to ±10° (default ±2.5°)
    python bench/pages.py --scan border              # a scanner's black border all round each page
    python bench/pages.py --scan wedges --skew 7     # its black background where a turned page ends
    python bench/pages.py --scan punched             # ... and through a page's punched holes
    python bench/pages.py --scan desk                # photographed on a dark desk, in perspective
    python bench/pages.py --scan shadow              # photographed with the light falling across
    python bench/pages.py --scaling 10 100 1000      # time and peak memory as the batch grows

For --scaling, at most 100 distinct pages are generated and linked again under new names.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from digitize.batch import RunOptions, list_inputs, read_files
from digitize.data import load_mnist
from digitize.model import Classifier
from digitize.output import CsvWriter
from digitize.synth import (SynthPage, Truth, form_page, free_page, mnist_glyphs, on_a_desk, on_ruled_paper, photograph,
                            table_page)


def squared_page(rng: np.random.Generator, glyph) -> SynthPage:
    """A free page written on squared exam paper: 5 mm grid lines, gray, under the writing."""
    page = free_page(rng, glyph, dpi=300, lines=13, per_line=4, max_digits=8)
    grid = np.full_like(page.image, 255)
    grid[::59, :] = grid[:, ::59] = 160
    page.image = np.minimum(page.image, cv2.GaussianBlur(grid, (3, 3), 0))
    return page


KINDS = {
    "free": lambda rng, glyph: free_page(rng, glyph, dpi=300, lines=13, per_line=4, max_digits=8),
    "squared": squared_page,
    "lined": lambda rng, glyph: on_ruled_paper(free_page(rng, glyph, dpi=300, lines=13, per_line=4, max_digits=8)),
    "form": lambda rng, glyph: form_page(rng, glyph, dpi=300),
    "table": lambda rng, glyph: table_page(rng, glyph, dpi=300),
}


#: How a page is scanned.
SCANS = {
    "white": "on a white lid",
    "border": "on a black background larger than the page, a border all round it",
    "wedges": "on a black background the page's size, showing in wedges where the turned page does not reach",
    "punched": "on a black background larger than the page, which shows through three punched holes",
    "desk": "photographed lying on a dark desk, in perspective",
    "shadow": "photographed in a shadow: the light falling to a third across the page",
}
#: The black border's width at 300 dpi.
BORDER = 60


def punched(page: SynthPage) -> SynthPage:
    """Three binder holes 6 mm across in the left margin, at 300 dpi."""
    h, w = page.image.shape
    for y in (h // 5, h // 2, 4 * h // 5):
        cv2.circle(page.image, (w // 25, y), 35, 0, -1)
    return page


def with_black_border(page: SynthPage) -> SynthPage:
    image = cv2.copyMakeBorder(page.image, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_CONSTANT, value=15)
    return SynthPage(image, [Truth(t.field, t.number, (t.box[0] + BORDER, t.box[1] + BORDER, *t.box[2:]))
                             for t in page.truth])


def make_pages(folder: Path, count: int, seed: int, mnist, kind: str = "free", skew: float = 2.5,
               scan: str = "white") -> dict[str, list[Truth]]:
    rng = np.random.default_rng(seed)
    glyph = mnist_glyphs(mnist.x_test, mnist.y_test)
    truth = {}
    for index in range(count):
        page = KINDS[kind](rng, glyph)
        if scan == "punched":
            page = punched(page)
        if scan in ("border", "punched"):  # the scan area is larger than the page, and the page is turned in it
            page = with_black_border(page)
        page = photograph(page, rng, angle=float(rng.uniform(-skew, skew)),
                          background=0 if scan in ("border", "punched", "wedges", "desk") else 255)
        if scan == "shadow":
            page.image = (page.image * np.linspace(1 / 3, 1.0, page.image.shape[1])[None, :]).astype(np.uint8)
        if scan == "desk":
            page = on_a_desk(page, rng)
        name = folder / f"page{index:04d}.jpg"
        cv2.imwrite(str(name), page.image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        truth[str(name)] = page.truth
    return truth


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / min(a[2] * a[3], b[2] * b[3])


def score_pages(truth: dict[str, list[Truth]], reads: dict[str, list[tuple[str, tuple]]]) -> tuple[int, int, int, int]:
    exact = spurious = total_reads = 0
    for file, items in truth.items():
        got = reads.get(file, [])
        total_reads += len(got)
        for item in items:
            if any(number == item.number and overlap(box, item.box) > 0.5 for number, box in got):
                exact += 1
        spurious += sum(all(overlap(box, item.box) < 0.2 for item in items) for _, box in got)
    return exact, sum(map(len, truth.values())), spurious, total_reads


def tesseract(files: list[str], jobs: int) -> tuple[dict[str, list[str]], float]:
    def one(file: str) -> list[str]:
        done = subprocess.run(["tesseract", file, "stdout", "--psm", "11", "-c", "tessedit_char_whitelist=0123456789"],
                              capture_output=True, text=True)
        return [token for token in done.stdout.split() if token.isdigit()]

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        results = dict(zip(files, pool.map(one, files)))
    return results, time.perf_counter() - started


def bag_score(truth: dict[str, list[Truth]], numbers: dict[str, list[str]]) -> int:
    """Numbers found anywhere on their page (no boxes: Tesseract's word boxes differ)."""
    return sum(sum((Counter(t.number for t in items) & Counter(numbers.get(f, []))).values())
               for f, items in truth.items())


def read_all(folder: Path, classifier: Classifier, jobs: int):
    """Read every page under folder through the batch API, writing the CSV as `digitize run` does."""
    reads: dict[str, list[tuple[str, tuple]]] = {}
    stages: Counter = Counter()
    started = time.perf_counter()
    with CsvWriter(folder / "out.csv") as writer, WorkerMemory() as workers:
        for result in read_files(list_inputs([str(folder)]), RunOptions(jobs=jobs), classifier):
            before = time.perf_counter()
            writer.write(result.rows)
            stages.update(result.seconds)
            stages["output"] += time.perf_counter() - before
            reads[result.file] = [(r.number, r.box) for r in result.reads]
    return reads, stages, time.perf_counter() - started, workers.peak_mb


class WorkerMemory:
    """Peak resident memory of the worker processes, sampled from /proc while they run.

    getrusage(RUSAGE_CHILDREN) cannot tell: a spawned child is forked from this process before
    it execs, so it reports this process's own peak.
    """

    def __enter__(self) -> "WorkerMemory":
        self.peak_mb, self.running = 0.0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.running = False
        self.thread.join()

    def _sample(self) -> None:
        while self.running:
            for children in Path("/proc/self/task").glob("*/children"):
                try:
                    pids = children.read_text().split()
                except OSError:  # the thread ended while it was being looked at
                    continue
                for pid in pids:
                    try:
                        status = Path(f"/proc/{pid}/status").read_text()
                    except OSError:
                        continue
                    for line in status.splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
            time.sleep(0.2)


def own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scaling(args, mnist, classifier: Classifier) -> None:
    print(f"{'pages':>6} {'seconds':>8} {'pages/s':>8} {'main MB':>8} {'worker MB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        make_pages(source, min(100, max(args.scaling)), args.seed, mnist)
        originals = sorted(source.iterdir())
        for count in args.scaling:
            folder = Path(tmp) / f"run{count}"
            folder.mkdir()
            for index in range(count):
                os.symlink(originals[index % len(originals)], folder / f"page{index:05d}.jpg")
            _, _, seconds, worker_mb = read_all(folder, classifier, args.jobs)
            print(f"{count:6d} {seconds:8.1f} {count / seconds:8.2f} {own_peak_mb():8.0f} {worker_mb:9.0f}", flush=True)


def command_seconds(folder: Path, args) -> float:
    """Wall time of the whole command as a user runs it: Python, imports, loading the model and
    reading the pages."""
    command = [sys.executable, "-m", "digitize", "run", str(folder), "-o", str(folder / "cold.csv"),
               "--jobs", str(args.jobs), "--quiet"] + (["--model", str(args.model)] if args.model else [])
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--mnist", type=Path)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--tesseract", action="store_true")
    parser.add_argument("--kind", choices=KINDS, default="free",
                        help="free: lines of numbers; squared: the same on 5 mm squared paper; lined: the same "
                             "sitting on a notebook's light ruled lines, with a margin line; form: ruled "
                             "boxes (one left empty) and comb fields; table: a ruled grid, some cells empty")
    parser.add_argument("--skew", type=float, default=2.5,
                        help="each page is turned by a random angle up to this many degrees either way")
    parser.add_argument("--scan", choices=SCANS, default="white",
                        help="; ".join(f"{name}: {how}" for name, how in SCANS.items()))
    parser.add_argument("--scaling", type=int, nargs="+", help="page counts to time, e.g. 10 100 1000")
    args = parser.parse_args()
    mnist = load_mnist(args.mnist)
    started = time.perf_counter()
    classifier = Classifier.load(args.model)
    load_seconds = time.perf_counter() - started
    if args.scaling:
        scaling(args, mnist, classifier)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        truth = make_pages(folder, args.pages, args.seed, mnist, args.kind, args.skew, args.scan)
        reads, stages, work, worker_mb = read_all(folder, classifier, args.jobs)
        digits = sum(len(number) for items in reads.values() for number, _ in items)
        exact, total, spurious, total_reads = score_pages(truth, reads)
        bag = bag_score(truth, {f: [n for n, _ in r] for f, r in reads.items()})
        print(f"pages: {args.pages} {args.kind} (300 dpi letter, MNIST test digits, turned up to ±{args.skew:g}°, "
              f"scanned {SCANS[args.scan]}), "
              f"numbers written: {total}, jobs: {args.jobs}")
        print(f"digitize: exact numbers {exact / total:.2%} ({exact}/{total}), anywhere on page {bag / total:.2%}, "
              f"spurious {spurious / max(total_reads, 1):.2%} ({spurious}/{total_reads})")
        cold = command_seconds(folder, args)
        print(f"digitize: {args.pages / work:.2f} pages/s, {digits / work:.0f} digits/s excluding start-up "
              f"(model load alone {load_seconds:.2f} s); `digitize run` from the shell, start-up included: "
              f"{args.pages / cold:.2f} pages/s ({cold:.1f} s)")
        busy = sum(stages.values())
        print("stage seconds (workers' stages summed over workers): " + ", ".join(
            f"{name} {stages[name]:.1f} ({stages[name] / busy:.0%})"
            for name in ("decode", "cleanup", "segmentation", "classification", "output")))
        print(f"peak memory: main process {own_peak_mb():.0f} MB, largest worker {worker_mb:.0f} MB")
        if args.tesseract:
            numbers, seconds = tesseract(sorted(truth), args.jobs)
            t_bag = bag_score(truth, numbers)
            print(f"tesseract --psm 11: anywhere on page {t_bag / total:.2%}, {args.pages / seconds:.2f} pages/s "
                  f"({seconds / args.pages:.2f} s/page); digitize is {seconds / work:.1f}x faster")


if __name__ == "__main__":
    main()
