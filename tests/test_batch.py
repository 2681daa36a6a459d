"""The batch layer: ordered results from worker processes, and a worker that dies."""
from __future__ import annotations

import os

import cv2
import numpy as np

from digitize.batch import RunOptions, _ordered, _segment_file, list_inputs
from digitize.pages import PageError
from digitize.synth import free_page


def crash_on_poison(file: str, mode, max_pixels: int, keep: bool):
    """Runs in a worker: dies like a segfaulting decoder would on one file, reads the others."""
    if "poison" in file:
        os._exit(139)
    return _segment_file(file, mode, max_pixels, keep)


def test_a_dying_worker_is_replaced_and_only_its_file_fails(tmp_path):
    rng = np.random.default_rng(5)
    for name in ("a.png", "b_poison.png", "c.png", "d.png", "e.png"):
        cv2.imwrite(str(tmp_path / name), free_page(rng, lines=1, per_line=1).image)
    files = list_inputs([str(tmp_path)])
    results = list(_ordered(files, RunOptions(jobs=2), work=crash_on_poison))
    assert [os.path.basename(f) for f, _ in results] == ["a.png", "b_poison.png", "c.png", "d.png", "e.png"]
    for file, segmented in results:
        failed = isinstance(segmented.pages[0], PageError)
        assert failed == ("poison" in file), file
    assert "crashed its worker" in results[1][1].pages[0].message
