"""The "not a digit" examples: digits written so close that they touch must look like that."""
from __future__ import annotations

import cv2
import numpy as np

from digitize.augment import as_scanned, junk_batch, second_looks, touching_digits
from digitize.normalize import stroke_width


def _pen(width: int, height: int = 20) -> np.ndarray:
    """A '1': one upright stroke, centred in 28x28 like MNIST's."""
    image = np.zeros((28, 28), np.uint8)
    left = 14 - width // 2
    image[4 : 4 + height, left : left + width] = 255
    return image


def _components(image: np.ndarray) -> int:
    return cv2.connectedComponents((image > 40).astype(np.uint8), connectivity=8)[0] - 1


def test_touching_digits_are_one_blob_without_the_gaps_mnist_leaves():
    rng = np.random.default_rng(0)
    for _ in range(50):
        pair = touching_digits([_pen(3), _pen(3)], rng)
        assert _components(pair) == 1  # segmentation would hand it over as one blob
        assert 4 <= pair.shape[1] <= 7  # two 3 px strokes side by side, not two 28 px canvases
    ring = np.zeros((28, 28), np.uint8)
    cv2.circle(ring, (14, 14), 8, 255, 2)
    ring_width = int((ring > 40).any(0).sum())
    triple = touching_digits([ring, _pen(3), ring], rng)
    assert _components(triple) == 1 and 2 * ring_width + 3 - 6 <= triple.shape[1] <= 2 * ring_width + 3


def test_two_ones_never_merge_into_one_stroke():
    rng = np.random.default_rng(1)
    for _ in range(50):
        pair = touching_digits([_pen(4, 20), _pen(4, 20)], rng)
        assert pair.shape[1] >= 7  # at most a quarter of a stroke overlaps


def test_junk_includes_pairs_with_a_one():
    digits = np.stack([_pen(3)] * 5 + [_pen(10)] * 5)
    labels = np.array([1] * 5 + [0] * 5)
    junk = junk_batch(np.random.default_rng(2), 400, digits, labels)
    assert junk.shape == (400, 28, 28) and junk.dtype == np.uint8
    # Two 3 px strokes touching fill the 20 px box as a thick bar: many examples look like that.
    thin_pairs = [img for img in junk if _components(img) == 1 and (img > 40).any(0).sum() in range(6, 15)
                  and (img > 40).any(1).sum() == 20]
    assert len(thin_pairs) >= 20


def test_second_looks_include_a_finer_pen_but_never_erase_a_hairline():
    broad = np.zeros((28, 28), np.uint8)
    cv2.circle(broad, (14, 14), 8, 255, 4)
    finer = second_looks(broad)[-1]
    assert stroke_width(finer) < stroke_width(broad) - 0.5
    hairline = np.zeros((28, 28), np.uint8)
    cv2.circle(hairline, (14, 14), 8, 255, 1)
    assert (second_looks(hairline)[-1] > 40).sum() >= 0.9 * (hairline > 40).sum()


def test_scanned_digits_stay_readable_digits_fitted_like_mnist(mnist_path):
    from digitize.model import Classifier

    data = np.load(mnist_path)
    digits, labels = data["x_train"][:200], data["y_train"][:200]
    rng = np.random.default_rng(3)
    scanned = np.stack([as_scanned(d, rng) for d in digits])
    assert scanned.shape == (200, 28, 28) and scanned.dtype == np.uint8
    assert all(max(np.ptp(np.nonzero(s > 40)[0]), np.ptp(np.nonzero(s > 40)[1])) + 1 in (19, 20, 21) for s in scanned)
    # Resampled as small as 16 px and binarized, they lose detail but not their identity.
    read = Classifier.load().probabilities(scanned).argmax(1)
    assert (read == labels).mean() >= 0.95
