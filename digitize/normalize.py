"""Turn any digit crop into an MNIST-style 28x28 image, the only input the classifier ever sees.

MNIST's recipe: the ink is scaled to fit a 20x20 box keeping its aspect ratio, then placed in a
28x28 field so that its centre of mass sits at the centre. Scans add one more concern: stroke
width. A 300 dpi pen stroke shrunk into 20 pixels becomes a hairline, a fat marker a blob, so
strokes are thickened or thinned first to land near MNIST's ~2.5 px.
"""
from __future__ import annotations

import cv2
import numpy as np

SIZE = 28
BOX = 20
#: MNIST's stroke width in the 20x20 box, in pixels: the median `stroke_width` of its training
#: digits binarized at 128. A thicker target fattens thin pen strokes until loops close up.
TARGET_STROKE = 2.4


def ink_only(image: np.ndarray, level: int = 40) -> np.ndarray:
    """The image cut to the box of its pixels brighter than `level` (all of it if there are none)."""
    rows, cols = np.flatnonzero(image.max(1) > level), np.flatnonzero(image.max(0) > level)
    if rows.size == 0:
        return image
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of binary ink: twice its area over its outline length."""
    binary = cv2.threshold(mask, 127, 1, cv2.THRESH_BINARY)[1]
    area = float(cv2.countNonZero(binary))
    if area == 0:
        return 0.0
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * area / max(perimeter, 1.0)


def _adjust_stroke(mask: np.ndarray, scale: float) -> np.ndarray:
    """Dilate thin or erode fat strokes so that after scaling they are MNIST-like."""
    width = stroke_width(mask)
    if width == 0:
        return mask
    wanted = TARGET_STROKE / scale  # stroke width we want in input pixels
    if width < 0.85 * wanted:
        grow = int(round((wanted - width) / 2))
        if grow >= 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
            return cv2.dilate(mask, kernel)
    elif width > 1.8 * wanted:
        shrink = int(round((width - wanted) / 2))
        if shrink >= 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * shrink + 1, 2 * shrink + 1))
            thinned = cv2.erode(mask, kernel)
            if thinned.sum() > 0.25 * mask.sum():  # never erase a digit to dust
                return thinned
    return mask


#: The share of a stroke's pixels at or below the darkness that is drawn full white in its crop.
SHADE_FULL = 90
_GROW = np.ones((3, 3), np.uint8)


def shaded_ink(mask: np.ndarray, shade: np.ndarray) -> np.ndarray:
    """The ink of a binary `mask` in its own darkness (`shade`: 0 paper, 255 black, the same
    shape), with the pixel round it for a soft edge. MNIST digits are gray scans: a pressed
    stroke is full white, a hairline lead-in or a light, faint bar dimmer, and the model weighs
    them so. Scaled so the darkest tenth of the stroke is full white: a pale pen reads like a dark one."""
    stroke = shade[mask > 0]
    if stroke.size == 0:
        return mask
    rank = round(SHADE_FULL / 100 * (stroke.size - 1))  # np.percentile, without its 25 us a crop
    full = max(float(np.partition(stroke, rank)[rank]), 1.0)
    ink = cv2.convertScaleAbs(shade, alpha=255.0 / full)
    ink[cv2.dilate(mask, _GROW) == 0] = 0
    return ink


def to_mnist(ink: np.ndarray, adjust_stroke: bool = True) -> np.ndarray:
    """Normalize white-on-black ink (any size, uint8) into a 28x28 uint8 MNIST-style image."""
    out = np.zeros((SIZE, SIZE), np.uint8)
    x, y, width, height = cv2.boundingRect(ink)  # of the non-zero pixels
    if width == 0 or height == 0:
        return out
    crop = ink[y : y + height, x : x + width]
    scale = BOX / max(height, width)
    if adjust_stroke:
        crop = _adjust_stroke(cv2.copyMakeBorder(crop, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=0), scale)
        x, y, width, height = cv2.boundingRect(crop)
        crop = crop[y : y + height, x : x + width]
        scale = BOX / max(height, width)
    new_w = max(1, int(round(width * scale)))
    new_h = max(1, int(round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    patch = cv2.resize(crop, (new_w, new_h), interpolation=interpolation)
    moments = cv2.moments(patch)
    if moments["m00"] == 0:
        return out
    top = int(round(SIZE / 2 - moments["m01"] / moments["m00"]))  # MNIST puts the centre of mass at (14, 14)
    left = int(round(SIZE / 2 - moments["m10"] / moments["m00"]))
    top = min(max(top, 0), SIZE - new_h)
    left = min(max(left, 0), SIZE - new_w)
    out[top : top + new_h, left : left + new_w] = patch
    return out
