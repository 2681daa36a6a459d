from __future__ import annotations

import cv2
import numpy as np

from digitize.normalize import TARGET_STROKE, shaded_ink, stroke_width, to_mnist


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def tall_stroke(height: int = 200, width: int = 60, thickness: int = 8) -> np.ndarray:
    image = np.zeros((height, width), np.uint8)
    cv2.line(image, (width // 2, 10), (width // 2, height - 10), 255, thickness)
    cv2.line(image, (width // 2, 10), (5, 40), 255, thickness)
    return image


def test_fits_20_box_keeps_aspect_and_centres_mass():
    out = to_mnist(tall_stroke())
    assert out.shape == (28, 28) and out.dtype == np.uint8
    ys, xs = np.nonzero(out)
    assert ys.max() - ys.min() + 1 == 20  # the long side fills the 20x20 box
    assert xs.max() - xs.min() + 1 < 12  # the short side keeps its proportion
    cy, cx = centre_of_mass(out.astype(float))
    assert abs(cy - 14) <= 0.75 and abs(cx - 14) <= 0.75


def test_wide_ink_fits_by_width():
    image = np.zeros((30, 120), np.uint8)
    cv2.ellipse(image, (60, 15), (55, 12), 0, 0, 360, 255, 3)
    ys, xs = np.nonzero(to_mnist(image))
    assert xs.max() - xs.min() + 1 == 20 and ys.max() - ys.min() + 1 <= 8


def test_mnist_digits_are_left_as_they_are(mnist_path):
    digits = np.load(mnist_path)["x_test"][:300]
    redone = np.stack([to_mnist(d, adjust_stroke=False) for d in digits])
    assert np.abs(redone.astype(int) - digits).mean() < 0.5


def test_empty_crop_gives_black_image():
    assert not to_mnist(np.zeros((10, 10), np.uint8)).any()


def test_hairline_is_thickened_towards_mnist_stroke():
    hairline = tall_stroke(height=400, width=120, thickness=2)  # 2 px at 400 px tall: 0.1 px at 20
    assert stroke_width(to_mnist(hairline)) > stroke_width(to_mnist(hairline, adjust_stroke=False)) + 0.5


def test_stroke_width_measures_thickness():
    assert abs(stroke_width(tall_stroke(thickness=6)) - 6) < 1.5


def test_target_stroke_is_mnist_s_own(mnist_path):
    digits = np.load(mnist_path)["x_train"][:2000]
    widths = [stroke_width(np.where(d > 127, 255, 0).astype(np.uint8)) for d in digits]
    assert abs(TARGET_STROKE - float(np.median(widths))) < 0.15


def test_shaded_ink_keeps_the_pen_s_pressure_and_a_soft_edge_but_nothing_further():
    mask = np.zeros((60, 40), np.uint8)
    mask[5:55, 16:24] = 255  # a stroke ...
    shade = np.full(mask.shape, 30, np.uint8)  # ... on paper with a light texture
    shade[5:30, 15:25] = 80  # its top half written light, with a lighter edge
    shade[30:55, 15:25] = 200  # its foot pressed
    ink = shaded_ink(mask, shade)
    assert (ink[30:55, 16:24] == 255).all()  # the darkest tenth is full white
    assert (abs(ink[5:30, 16:24].astype(int) - round(80 * 255 / 200)) <= 1).all()
    assert ink[30:55, 15].min() > 0 and ink[30:55, 24].min() > 0  # the pixel round the stroke
    assert not ink[:, :14].any() and not ink[:, 26:].any()  # the paper beyond it stays black
