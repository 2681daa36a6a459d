"""Generated pages with known truth: the samples, the test fixtures and the benchmarks.

Digits come from a glyph source: `hershey_glyph` draws them with OpenCV's built-in font (Hershey
strokes in OpenCV 4, an outline font since 5; the committed samples were drawn with 5) and a
random hand (slant, size, weight, wobble), so nothing outside this project is needed; the
benchmarks pass MNIST test digits instead. Every page returns its truth with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np

from .normalize import ink_only

Glyph = Callable[[int, np.random.Generator], np.ndarray]  # digit → white-on-black ink image



def hershey_glyph(digit: int, rng: np.random.Generator) -> np.ndarray:
    """A handwriting-like digit: OpenCV's font drawn with a random slant, weight and wobble."""
    canvas = np.zeros((80, 70), np.uint8)
    if digit == 1:  # the font's '1' is a printed one; draw a hand-written stroke with a short flag
        weight = int(rng.integers(3, 5))
        cv2.line(canvas, (38, 14), (34, 64), 255, weight, cv2.LINE_AA)
        if rng.random() < 0.6:
            cv2.line(canvas, (38, 14), (int(rng.integers(26, 31)), int(rng.integers(22, 27))), 255, weight, cv2.LINE_AA)
    else:
        cv2.putText(canvas, str(digit), (12, 64), cv2.FONT_HERSHEY_SIMPLEX, 1.9, 255,
                    int(rng.integers(2, 4)), cv2.LINE_AA)
    shear = rng.uniform(-0.25, 0.1)
    angle = np.deg2rad(rng.uniform(-6, 6))
    matrix = np.array([[np.cos(angle), -np.sin(angle) + shear, 0], [np.sin(angle), np.cos(angle), 0]])
    matrix[:, 2] = np.array([35, 40]) - matrix[:, :2] @ np.array([35, 40])
    canvas = cv2.warpAffine(canvas, matrix, (70, 80))
    h, w = canvas.shape
    coarse = rng.normal(0, 1.2, (2, 3, 3)).astype(np.float32)
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    canvas = cv2.remap(canvas, grid_x + cv2.resize(coarse[0], (w, h)), grid_y + cv2.resize(coarse[1], (w, h)),
                       cv2.INTER_LINEAR)
    ys, xs = np.nonzero(canvas > 40)
    return canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def mnist_glyphs(images: np.ndarray, labels: np.ndarray) -> Glyph:
    """A glyph source drawing real handwritten digits from an MNIST array."""
    by_digit = {d: images[labels == d] for d in range(10)}

    def glyph(digit: int, rng: np.random.Generator) -> np.ndarray:
        pool = by_digit[digit]
        return ink_only(pool[int(rng.integers(0, len(pool)))], level=30)

    return glyph


@dataclass
class Truth:
    field: str
    number: str
    box: tuple[int, int, int, int]


@dataclass
class SynthPage:
    image: np.ndarray  # gray uint8, dark ink on white
    truth: list[Truth] = field(default_factory=list)


def write_number(page: np.ndarray, number: str, x: int, baseline: int, height: int,
                 rng: np.random.Generator, glyph: Glyph, ink: int = 30) -> tuple[int, int, int, int]:
    """Write a number with its left end at x; returns its box. Ink darkens, never lightens."""
    left, top, right, bottom = x, baseline, x, baseline
    for char in number:
        shape = glyph(int(char), rng)
        digit_h = max(4, int(height * rng.uniform(0.9, 1.05)))
        digit_w = max(2, int(shape.shape[1] * digit_h / shape.shape[0]))
        shape = cv2.resize(shape, (digit_w, digit_h), interpolation=cv2.INTER_AREA)
        y0 = baseline - digit_h + int(rng.integers(-height // 20 - 1, height // 20 + 2))
        y0 = max(0, y0)
        region = page[y0 : y0 + digit_h, x : x + digit_w]
        shade = (255 - shape.astype(np.float32) * (255 - ink) / 255).astype(np.uint8)[: region.shape[0], : region.shape[1]]
        np.minimum(region, shade, out=region)
        top, bottom = min(top, y0), max(bottom, y0 + digit_h)
        right = x + digit_w
        x += digit_w + int(height * rng.uniform(0.08, 0.22))
    return left, top, right - left, bottom - top


def random_number(rng: np.random.Generator, low: int = 1, high: int = 6) -> str:
    length = int(rng.integers(low, high + 1))
    return "".join(str(int(d)) for d in rng.integers(0, 10, length))


def _blank(width: int, height: int) -> np.ndarray:
    return np.full((height, width), 255, np.uint8)


CAPTIONS = ("Amount", "No.", "Total", "Date", "Score")


def form_page(rng: np.random.Generator, glyph: Glyph = hershey_glyph, dpi: int = 150) -> SynthPage:
    """A form: labelled, captioned boxes with one number each, comb fields, and one box left empty."""
    unit = dpi / 150
    page = _blank(int(8.5 * dpi), int(11 * dpi))
    truth: list[Truth] = []
    height = int(38 * unit)
    y = int(150 * unit)
    box_count = comb_count = 0
    for row in range(5):
        x = int(120 * unit)
        for col in range(2):
            box_w, box_h = int(420 * unit), int(75 * unit)
            cv2.putText(page, f"Item {row * 2 + col + 1}", (x, y - int(10 * unit)), cv2.FONT_HERSHEY_PLAIN,
                        1.2 * unit, 90, 1, cv2.LINE_AA)
            cv2.rectangle(page, (x, y), (x + box_w, y + box_h), 0, max(2, int(2 * unit)))
            # Real forms print a caption inside the box too; the empty box keeps only that.
            cv2.putText(page, CAPTIONS[box_count % len(CAPTIONS)], (x + int(6 * unit), y + int(16 * unit)),
                        cv2.FONT_HERSHEY_PLAIN, 0.9 * unit, 70, 1, cv2.LINE_AA)
            box_count += 1
            if not (row == 4 and col == 1):  # one box stays empty
                number = random_number(rng, 1, 5)
                box = write_number(page, number, x + int(30 * unit), y + box_h - int(18 * unit), height, rng, glyph)
                truth.append(Truth(f"box{box_count}", number, box))
            x += box_w + int(100 * unit)
        y += int(150 * unit)
    for _ in range(2):  # comb fields: one digit per cell
        comb_count += 1
        cells, cell = 6, int(60 * unit)
        x0 = int(120 * unit)
        number = random_number(rng, cells, cells)
        for i in range(cells + 1):
            cv2.line(page, (x0 + i * cell, y), (x0 + i * cell, y + int(75 * unit)), 0, max(2, int(2 * unit)))
        cv2.rectangle(page, (x0, y), (x0 + cells * cell, y + int(75 * unit)), 0, max(2, int(2 * unit)))
        boxes = []
        for i, char in enumerate(number):
            boxes.append(write_number(page, char, x0 + i * cell + int(14 * unit), y + int(60 * unit), height, rng, glyph))
        x_left = min(b[0] for b in boxes)
        y_top = min(b[1] for b in boxes)
        x_right = max(b[0] + b[2] for b in boxes)
        y_bottom = max(b[1] + b[3] for b in boxes)
        truth.append(Truth(f"comb{comb_count}", number, (x_left, y_top, x_right - x_left, y_bottom - y_top)))
        y += int(150 * unit)
    return SynthPage(page, truth)


def free_page(rng: np.random.Generator, glyph: Glyph = hershey_glyph, dpi: int = 150, lines: int = 12,
              per_line: int = 4, max_digits: int = 6) -> SynthPage:
    """Numbers written on a blank page, a few per line."""
    unit = dpi / 150
    page = _blank(int(8.5 * dpi), int(11 * dpi))
    truth: list[Truth] = []
    height = int(40 * unit)
    gap_y = (page.shape[0] - int(200 * unit)) // lines
    for line in range(lines):
        baseline = int(120 * unit) + line * gap_y + height
        x = int(100 * unit)
        for _ in range(per_line):
            number = random_number(rng, 1, max_digits)
            if x + len(number) * height > page.shape[1] - int(80 * unit):
                break
            box = write_number(page, number, x, baseline, height, rng, glyph)
            truth.append(Truth(f"line{line + 1}", number, box))
            x = box[0] + box[2] + int(rng.uniform(1.6, 3.0) * height)
    return SynthPage(page, truth)


def table_page(rng: np.random.Generator, glyph: Glyph = hershey_glyph, dpi: int = 150) -> SynthPage:
    """A tally table: a ruled grid with a number in most cells."""
    unit = dpi / 150
    page = _blank(int(8.5 * dpi), int(11 * dpi))
    truth: list[Truth] = []
    rows, cols = 10, 4
    cell_w, cell_h = int(250 * unit), int(100 * unit)
    x0, y0 = int(100 * unit), int(150 * unit)
    thickness = max(2, int(2 * unit))
    for r in range(rows + 1):
        cv2.line(page, (x0, y0 + r * cell_h), (x0 + cols * cell_w, y0 + r * cell_h), 0, thickness)
    for c in range(cols + 1):
        cv2.line(page, (x0 + c * cell_w, y0), (x0 + c * cell_w, y0 + rows * cell_h), 0, thickness)
    count = 0
    for r in range(rows):
        for c in range(cols):
            count += 1
            if rng.random() < 0.15:
                continue  # empty cell
            number = random_number(rng, 1, 4)
            box = write_number(page, number, x0 + c * cell_w + int(40 * unit), y0 + (r + 1) * cell_h - int(25 * unit),
                               int(45 * unit), rng, glyph)
            truth.append(Truth(f"box{count}", number, box))
    return SynthPage(page, truth)


def on_ruled_paper(page: SynthPage) -> SynthPage:
    """The page as if written on notebook paper: each line of its numbers sits on a light rule
    (drawn under the writing, where its digits' feet mostly are), a light margin line at left."""
    unit = page.image.shape[1] / (8.5 * 150)
    rules = np.full_like(page.image, 255)
    thickness = max(1, round(1.5 * unit))
    for line in sorted({item.field for item in page.truth}):
        foot = int(np.median([item.box[1] + item.box[3] for item in page.truth if item.field == line]))
        cv2.line(rules, (0, foot), (rules.shape[1], foot), 150, thickness)
    cv2.line(rules, (int(75 * unit), 0), (int(75 * unit), rules.shape[0]), 170, thickness)
    page.image = np.minimum(page.image, rules)
    return page


def photograph(page: SynthPage, rng: np.random.Generator, angle: float = 4.0, background: int = 255) -> SynthPage:
    """Make a clean page look like a phone photo: rotation, uneven light, blur and sensor noise.
    `background` shows where the turned page does not reach: white, or a scanner's black."""
    h, w = page.image.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    image = cv2.warpAffine(page.image, matrix, (w, h), borderValue=background).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 0.6 + 0.4 * (xx / w) * (0.7 + 0.3 * yy / h)  # a shadow falling from the left
    image = cv2.GaussianBlur(image * light, (0, 0), 1.0)
    image += rng.normal(0, 6, image.shape).astype(np.float32)
    truth = _moved(page.truth, lambda corners: np.c_[corners, np.ones(len(corners))] @ matrix.T)
    return SynthPage(np.clip(image, 0, 255).astype(np.uint8), truth)


def _moved(truth: list[Truth], move: Callable[[np.ndarray], np.ndarray]) -> list[Truth]:
    """Each number's box, once `move` has taken its four corners (N x 2) where the page went:
    the box around them."""
    moved = []
    for item in truth:
        x, y, bw, bh = item.box
        corners = move(np.array([[x, y], [x + bw, y], [x, y + bh], [x + bw, y + bh]], float))
        lo, hi = corners.min(0), corners.max(0)
        moved.append(Truth(item.field, item.number, (int(lo[0]), int(lo[1]), int(hi[0] - lo[0]), int(hi[1] - lo[1]))))
    return moved


def on_a_desk(page: SynthPage, rng: np.random.Generator, desk: int = 60) -> SynthPage:
    """The page photographed lying on a desk of this gray: smaller than the photo, in
    perspective, the desk's grain around it."""
    h, w = page.image.shape
    height, width = int(h * 1.3), int(w * 1.3)
    corners = np.float32([[0.12, 0.1], [0.88, 0.1], [0.9, 0.9], [0.1, 0.9]]) * np.float32([width, height])
    corners += (rng.uniform(-0.04, 0.04, corners.shape) * w).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), corners)
    grain = cv2.GaussianBlur(desk + rng.normal(0, 12, (height, width)), (0, 0), 2)
    sheet = cv2.warpPerspective(np.full_like(page.image, 255), matrix, (width, height)) > 128
    image = np.where(sheet, cv2.warpPerspective(page.image, matrix, (width, height)), np.clip(grain, 0, 255))
    truth = _moved(page.truth, lambda corners: cv2.perspectiveTransform(np.float32([corners]), matrix)[0])
    return SynthPage(image.astype(np.uint8), truth)


def sample_set(seed: int = 7) -> dict[str, list[SynthPage]]:
    """The pages of samples/: file name → its pages (a form, free-form numbers, a table, a photo)."""
    rng = np.random.default_rng(seed)
    return {
        "form.png": [form_page(rng)],
        "freeform.png": [free_page(rng, lines=8)],
        "table.png": [table_page(rng)],
        "phone_photo.jpg": [photograph(free_page(rng, lines=6, per_line=3), rng, angle=5.0)],
        "two_pages.pdf": [free_page(rng, lines=4, per_line=3), form_page(rng)],
    }


def write_sample_set(folder: str, seed: int = 7, pdf_dpi: int = 150, render_dpi: int = 300) -> None:
    """Write the sample scans and expected.csv (their truth, boxes in the pixels digitize reads)."""
    import csv
    from pathlib import Path

    from PIL import Image

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, pages in sample_set(seed).items():
        scale = render_dpi / pdf_dpi if name.endswith(".pdf") else 1.0
        if name.endswith(".pdf"):
            images = [Image.fromarray(page.image) for page in pages]
            images[0].save(out / name, "PDF", resolution=pdf_dpi, save_all=True, append_images=images[1:])
        elif name.endswith(".jpg"):
            cv2.imwrite(str(out / name), pages[0].image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        else:
            cv2.imwrite(str(out / name), pages[0].image)
        for number, page in enumerate(pages, start=1):
            for item in page.truth:
                rows.append([name, number, item.field, item.number, *(int(round(v * scale)) for v in item.box)])
    with open(out / "expected.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "page", "field", "number", "x", "y", "width", "height"])
        writer.writerows(rows)
