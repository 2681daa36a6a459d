"""The run over many files: page reading in worker processes, classification in the main one.

Workers load and segment pages (OpenCV only, one thread each); the main process owns the
model and classifies each page's crops in one batched call. Results come back in input
order whatever the number of workers, and a file that crashes its worker becomes an error
row while the run goes on.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import time
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import numpy as np

from .model import Classifier
from .output import Row, error_row, rows_for_page, safe_stem, write_crops, write_overlay
from .pages import MAX_PIXELS, PageError, find_inputs, load_pages
from .reader import Mode, NumberRead, Segments, classify, read_upright, segment_page, working_scale


T = TypeVar("T")


@dataclass
class RunOptions:
    """How to read: the knobs of `digitize run`, usable from Python too."""

    model: Path | None = None
    min_confidence: float = 0.9
    mode: Mode = "auto"
    jobs: int = 1
    overlay_dir: Path | None = None
    crops_dir: Path | None = None
    max_pixels: int = MAX_PIXELS


@dataclass
class FileResult:
    """All pages of one input file, as CSV rows (plus the reads, for Python callers)."""

    file: str
    rows: list[Row]
    reads: list[NumberRead] = field(default_factory=list)
    #: Seconds per stage: decode, cleanup, segmentation (workers); classification, output (main).
    seconds: Counter = field(default_factory=Counter)

    @property
    def failed(self) -> bool:
        return any(row.status == "error" for row in self.rows)


@dataclass
class _Segmented:
    file: str
    pages: list[Segments | PageError]
    images: list[np.ndarray | None]  # kept only when overlays are wanted
    decode_seconds: float = 0.0

    @classmethod
    def failed(cls, file: str, message: str) -> "_Segmented":
        """A file that yields no page, only the reason."""
        return cls(file, [PageError(file, 1, message)], [None])


#: Files whose pages are classified together (see `reader.classify`): fuller batches for the
#: model, while the workers, several files ahead, go on reading.
FILES_PER_BATCH = 4

#: Workers yield the CPU to the main process, whose classification every page waits for:
#: ahead of it they only fill a bounded window, so they lose nothing by waiting.
WORKER_NICENESS = 10


def _limit_threads() -> None:
    """Workers × threads must fit the machine: one OpenCV thread per worker."""
    import cv2

    cv2.setNumThreads(1)


def _init_worker() -> None:
    """Ctrl-C is the main process's to handle: it stops the pool and keeps what was written."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)
    _limit_threads()


def _segment_file(file: str, mode: Mode, max_pixels: int, keep_images: bool) -> _Segmented:
    pages: list[Segments | PageError] = []
    images: list[np.ndarray | None] = []
    decode = 0.0
    started = time.perf_counter()
    # An overlay is drawn on the page as read, so then pages are decoded at full size.
    shrink = None if keep_images else (lambda width, height: working_scale((width, height), mode))
    for page in load_pages(file, max_pixels, shrink=shrink):
        decode += time.perf_counter() - started
        if isinstance(page, PageError):
            pages.append(page)
            images.append(None)
            continue
        try:
            pages.append(segment_page(file, page.page, page.image, mode, page.size))
        except Exception as exc:  # a bug on one odd page must not end the batch
            pages.append(PageError(file, page.page, f"internal error while reading page: {exc!r}"))
        images.append(page.image if keep_images else None)
        started = time.perf_counter()
    return _Segmented(file, pages, images, decode)


def _ordered(
    files: list[tuple[str, str | None]],
    options: RunOptions,
    work: Callable[[str, Mode, int, bool], _Segmented] = _segment_file,
) -> Iterator[tuple[str, _Segmented]]:
    """Segment files in order, in worker processes when jobs > 1, a bounded window ahead."""
    keep = options.overlay_dir is not None
    if options.jobs <= 1:
        _limit_threads()
        for file, problem in files:
            yield file, _Segmented.failed(file, problem) if problem else \
                work(file, options.mode, options.max_pixels, keep)
        return
    context = multiprocessing.get_context("spawn")  # TensorFlow is not fork-safe
    pool = ProcessPoolExecutor(options.jobs, mp_context=context, initializer=_init_worker)
    window: deque[tuple[str, str | None, Future | None]] = deque()
    pending: Iterator[tuple[str, str | None]] = iter(files)
    alone = 0  # after a crash, files run one at a time, so that the one that crashes is known
    finished = False
    try:
        while True:
            while len(window) < (1 if alone else 4 * options.jobs):
                item = next(pending, None)
                if item is None:
                    break
                file, problem = item
                future = None if problem else pool.submit(work, file, options.mode, options.max_pixels, keep)
                window.append((file, problem, future))
            if not window:
                finished = True
                return
            file, problem, future = window.popleft()
            if future is None:
                yield file, _Segmented.failed(file, problem or "")
                alone = max(0, alone - 1)
                continue
            try:
                segmented = future.result()
            except BrokenProcessPool:
                # A worker died (out of memory, a crash in a decoder): replace the pool and go on.
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(options.jobs, mp_context=context, initializer=_init_worker)
                if alone:
                    alone -= 1
                    yield file, _Segmented.failed(file, "reading this file crashed its worker process")
                else:
                    retry = [(file, problem)] + [(f, p) for f, p, _ in window]
                    window.clear()
                    pending = itertools.chain(retry, pending)
                    alone = len(retry)
                continue
            alone = max(0, alone - 1)
            yield file, segmented
    finally:
        # At the end the idle workers exit at once; on Ctrl-C or an error nothing waits for them.
        pool.shutdown(wait=finished, cancel_futures=True)


def list_inputs(paths: list[str]) -> list[tuple[str, str | None]]:
    """Every input file (and every unreadable folder) under the given paths, in order."""
    return list(find_inputs(paths))


def read_files(
    files: list[tuple[str, str | None]],
    options: RunOptions,
    classifier: Classifier | None = None,
) -> Iterator[FileResult]:
    """Read files in order, one FileResult per file; never raises for a bad file."""
    classifier = classifier or Classifier.load(options.model)
    for folder in (options.overlay_dir, options.crops_dir):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    for batch in _batches(_ordered(files, options), FILES_PER_BATCH):
        pages = [page for _, segmented in batch for page in segmented.pages if isinstance(page, Segments)]
        started = time.perf_counter()
        probabilities = iter(classify(pages, classifier.probabilities))
        batch_share = (time.perf_counter() - started) / max(1, len(pages))
        for file, segmented in batch:
            result = FileResult(file, [])
            result.seconds["decode"] += segmented.decode_seconds
            for page, image in zip(segmented.pages, segmented.images):
                if isinstance(page, PageError):
                    result.rows.append(error_row(page.file, page.page, page.message))
                    continue
                result.seconds.update(page.seconds)
                started = time.perf_counter()
                reads = read_upright(page, next(probabilities), classifier.probabilities)
                classified = time.perf_counter()
                result.seconds["classification"] += batch_share + classified - started
                result.rows += rows_for_page(file, page.page, reads, options.min_confidence)
                result.reads += reads
                stem = safe_stem(file, page.page)
                if options.overlay_dir is not None and image is not None:
                    write_overlay(options.overlay_dir / f"{stem}.png", image, reads, options.min_confidence)
                if options.crops_dir is not None:
                    write_crops(options.crops_dir, stem, reads)
                result.seconds["output"] += time.perf_counter() - classified
            yield result


def _batches(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def read(paths: list[str], options: RunOptions | None = None) -> Iterator[FileResult]:
    """The library entry point: `for result in digitize.read(["scans/"]): ...`."""
    options = options or RunOptions()
    return read_files(list_inputs(paths), options)

