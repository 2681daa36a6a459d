"""Make MNIST look like digits cut from real scans, and make "not a digit" examples.

Every augmented digit goes back through `to_mnist`, so the model trains on the kind of image
the page reader will hand it (the reader's crops keep the ink's shades; the simulated scans
here are binarized, as the bundled model was trained). The reject class (index 10) teaches the model to say
"not a digit" for the marks that segmentation lets through: dashes, dots, commas, ruling
remnants, background texture and several digits stuck together.
"""
from __future__ import annotations

import cv2
import numpy as np

from .normalize import ink_only, to_mnist


def _affine(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random rotation, shear, aspect change and shift on a padded canvas (nothing is cut off)."""
    canvas = np.pad(image, 10)
    centre = np.array(canvas.shape[::-1], np.float64) / 2
    angle = np.deg2rad(rng.uniform(-15, 15))
    shear = rng.uniform(-0.35, 0.35)
    sx, sy = np.exp(rng.uniform(-0.25, 0.25)), 1.0
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    offset = centre - linear @ centre
    matrix = np.hstack([linear, offset[:, None]])
    return cv2.warpAffine(canvas, matrix, canvas.shape[::-1], flags=cv2.INTER_LINEAR)


def _elastic(image: np.ndarray, rng: np.random.Generator, strength: float = 2.5) -> np.ndarray:
    """Smooth random displacement (Simard et al. 2003), built coarse and upsampled for speed."""
    h, w = image.shape
    coarse = rng.normal(0, strength, (2, 4, 4)).astype(np.float32)
    dx = cv2.resize(coarse[0], (w, h), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(coarse[1], (w, h), interpolation=cv2.INTER_CUBIC)
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, grid_x + dx, grid_y + dy, cv2.INTER_LINEAR)


def continental(image: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """European and Latin American styles MNIST lacks: a '1' with a long up-stroke, a crossed '7'."""
    ys, xs = np.nonzero(image > 128)
    if ys.size == 0 or label not in (1, 7):
        return image
    out = image.copy()
    height = ys.max() - ys.min() + 1
    thickness = int(rng.integers(1, 3))
    if label == 1:
        top = ys.min()
        x_top = float(xs[ys == top].mean())
        angle = np.deg2rad(rng.uniform(25, 75))  # below the horizontal, towards the left
        length = height * rng.uniform(0.3, 0.8)
        end = (x_top - length * np.cos(angle), top + length * np.sin(angle))
        cv2.line(out, (int(round(x_top)), int(top)), (int(round(end[0])), int(round(end[1]))), 255,
                 thickness, cv2.LINE_AA)
    else:
        row = int(ys.min() + height * rng.uniform(0.45, 0.6))
        cols = xs[ys == row]
        if cols.size == 0:
            return image
        centre = float(cols.mean())
        half = max(2.0, (xs.max() - xs.min()) * rng.uniform(0.2, 0.35))
        cv2.line(out, (int(centre - half), row), (int(centre + half), row), 255, thickness, cv2.LINE_AA)
    return out


_DISK = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
_SQUARE = np.ones((2, 2), np.uint8)


#: Thinning must keep this share of the ink: a hairline would break up.
THINNED_INK = 0.4


def _thinner(image: np.ndarray) -> np.ndarray:
    """The ink one pixel thinner, or as it is where that would erase most of it."""
    thinner = cv2.erode(image, _SQUARE)
    return thinner if thinner.sum() > THINNED_INK * image.sum() else image


#: Share of augmented digits that go the page reader's way: written at page size, scanned,
#: binarized, and normalized with its stroke adjustment.
SCANNED_SHARE = 0.4
#: Their height on the page in the reader's working pixels (150 dpi: 3-8 mm).
SCANNED_HEIGHTS = (16, 48)


def as_scanned(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A digit as the page reader hands it over: resampled to its height on the page, blurred
    and noisy like a scan, binarized, then normalized with stroke adjustment. Digits on pages
    lose a few tenths of a point of accuracy to exactly these steps."""
    ink = ink_only(image, level=30)
    height = int(rng.integers(*SCANNED_HEIGHTS))
    width = max(2, int(round(ink.shape[1] * height / ink.shape[0])))
    page = cv2.resize(ink, (width, height), interpolation=cv2.INTER_AREA if height < ink.shape[0] else cv2.INTER_LINEAR)
    page = cv2.GaussianBlur(page, (3, 3), rng.uniform(0.5, 1.2)).astype(np.float32)
    page += rng.normal(0, rng.uniform(3, 20), page.shape)
    mask = np.where(page > rng.uniform(70, 150), 255, 0).astype(np.uint8)
    return to_mnist(np.pad(mask, 2))


def augment_digit(image: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """One scan-like variant of a 28x28 MNIST digit, renormalized like the page reader does."""
    if label in (1, 7) and rng.random() < 0.5:
        image = continental(image, label, rng)
    out = _affine(image, rng)
    if rng.random() < 0.4:
        out = _elastic(out, rng)
    roll = rng.random()
    if roll < 0.2:
        out = cv2.dilate(out, _DISK if rng.random() < 0.5 else _SQUARE)
    elif roll < 0.3:
        out = _thinner(out)
    if rng.random() < 0.15:  # a broken stroke: a thin gap cut across the ink
        y = int(rng.integers(12, 26))
        out[y : y + 1, :] = 0
    if rng.random() < SCANNED_SHARE:
        return as_scanned(out, rng)
    if rng.random() < 0.3:  # binarized scans have hard edges
        out = np.where(out > rng.integers(60, 160), 255, 0).astype(np.uint8)
    result = to_mnist(out, adjust_stroke=False)
    if rng.random() < 0.3:
        noise = rng.normal(0, rng.uniform(5, 25), result.shape)
        result = np.clip(result + noise * (rng.random(result.shape) < 0.3), 0, 255).astype(np.uint8)
    return result


def _stroke(canvas: np.ndarray, points: np.ndarray, thickness: int) -> None:
    cv2.polylines(canvas, [points.astype(np.int32)], False, 255, thickness, cv2.LINE_AA)


def junk_image(rng: np.random.Generator, digits: np.ndarray, labels: np.ndarray, ones: np.ndarray) -> np.ndarray:
    """One "not a digit" example, drawn on a 56x56 canvas and normalized like a crop; `ones`
    indexes the '1's among `digits`."""
    canvas = np.zeros((56, 56), np.uint8)
    kind = int(rng.integers(0, 10))
    t = int(rng.integers(2, 6))
    if kind == 0:  # dash or underline fragment, near horizontal
        y = rng.uniform(20, 36)
        slope = rng.uniform(-0.25, 0.25)
        x0, x1 = rng.uniform(2, 15), rng.uniform(35, 54)
        _stroke(canvas, np.array([[x0, y], [x1, y + slope * (x1 - x0)]]), t)
    elif kind == 1:  # dot or blob
        cv2.ellipse(canvas, (28, 28), (int(rng.integers(3, 9)), int(rng.integers(3, 9))),
                    float(rng.uniform(0, 180)), 0, 360, 255, -1)
    elif kind == 2:  # comma
        cv2.circle(canvas, (28, 22), int(rng.integers(3, 6)), 255, -1)
        _stroke(canvas, np.array([[30, 24], [29, 32], [24, 38]]), t)
    elif kind == 3:  # ruling remnants: corner, tee or cross
        cx, cy = rng.uniform(10, 46, 2)
        arms = rng.choice([[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 1, 1]])
        ends = [(55, cy), (cx, 55), (0, cy), (cx, 0)]
        for arm, end in zip(arms, ends):
            if arm:
                _stroke(canvas, np.array([[cx, cy], end]), t)
    elif kind == 4:  # background texture: speckles or hatching
        if rng.random() < 0.5:
            canvas[rng.random(canvas.shape) < rng.uniform(0.03, 0.12)] = 255
        else:
            for offset in range(-56, 56, int(rng.integers(5, 10))):
                _stroke(canvas, np.array([[offset, 0], [offset + 56, 56]]), 1)
    elif kind == 5:  # a few parallel lines (= sign, double rule)
        for y in np.linspace(rng.uniform(10, 20), rng.uniform(36, 46), int(rng.integers(2, 4))):
            _stroke(canvas, np.array([[rng.uniform(0, 10), y], [rng.uniform(44, 56), y]]), t)
    else:  # two or three digits touching: must be split, never read as one digit
        count = 3 if kind == 9 else 2
        picks = rng.integers(0, len(digits), count)
        if rng.random() < 0.5:  # a '1' touching its neighbour ('11', '21') reads as a sure '4'
            picks[rng.integers(0, count)] = ones[rng.integers(0, len(ones))] if len(ones) else picks[0]
        row = touching_digits([continental(digits[i], int(labels[i]), rng) if rng.random() < 0.3 else digits[i]
                               for i in picks], rng)
        return to_mnist(_affine(row, rng) if rng.random() < 0.5 else row)
    return to_mnist(canvas)


def touching_digits(digits: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Digits written so close that their ink touches or crosses, as segmentation hands them
    over: one blob. Each digit is moved left until its ink meets the ink before it, then a
    little further (never so far that two '1's merge into one thick stroke)."""
    parts = [ink_only(d) for d in digits]
    most_overlap = min(3, min(p.shape[1] for p in parts) // 4)
    height = max(p.shape[0] for p in parts) + 4
    canvas = np.zeros((height, sum(p.shape[1] for p in parts) + 2), np.uint8)
    right_edge = np.full(height, -1)  # per row, the last inked column so far
    for part in parts:
        h, w = part.shape
        top = int(rng.integers(0, height - h + 1))
        inked = part > 40
        left_edge = np.full(height, w)  # per row, the part's first inked column
        left_edge[top : top + h] = np.where(inked.any(1), inked.argmax(1), w)
        shared = (right_edge >= 0) & (left_edge < w)
        x = 0
        if shared.any():
            x = max(0, int((right_edge - left_edge)[shared].max()) + 1 - int(rng.integers(0, most_overlap + 1)))
        region = canvas[top : top + h, x : x + w]
        np.maximum(region, part[:, : region.shape[1]], out=region)
        right_edge[top : top + h] = np.maximum(right_edge[top : top + h],
                                               np.where(inked.any(1), x + w - 1 - inked[:, ::-1].argmax(1), -1))
    return ink_only(canvas)


_SECOND_LOOK_TILTS = (-8.0, 8.0)
_SECOND_LOOK_SHEARS = (-0.2, 0.2)


def second_looks(crop: np.ndarray) -> list[np.ndarray]:
    """A few fixed variants of a 28x28 crop (tilted, sheared, thickened, thinned), renormalized:
    the model's mean answer over them is steadier than its answer to one hard crop, and a pen
    broader or finer than MNIST's weighs less."""
    centre = (14.0, 14.0)
    matrices = [cv2.getRotationMatrix2D(centre, angle, 1.0) for angle in _SECOND_LOOK_TILTS]
    matrices += [np.float32([[1, shear, -shear * 14], [0, 1, 0]]) for shear in _SECOND_LOOK_SHEARS]
    looks = [cv2.warpAffine(crop, matrix, (28, 28)) for matrix in matrices]
    looks += [cv2.dilate(crop, _SQUARE), _thinner(crop)]
    return [to_mnist(look, adjust_stroke=False) for look in looks]


def augment_batch(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scan-like variants of (N, 28, 28) MNIST digits, as uint8."""
    if len(images) == 0:
        return images.copy()
    return np.stack([augment_digit(img, int(lab), rng) for img, lab in zip(images, labels)])


def junk_batch(rng: np.random.Generator, count: int, digits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """`count` reject-class examples; `digits` (with their `labels`) get stuck together."""
    if count <= 0:
        return np.zeros((0, 28, 28), np.uint8)
    ones = np.flatnonzero(labels == 1)
    return np.stack([junk_image(rng, digits, labels, ones) for _ in range(count)])
