"""Table cells cut out of a scanned grid one image each, a quarter of them left empty.

Register and tally-sheet jobs feed `digitize run` one image per cell. A cell image keeps what
the cut left of the grid: rules along its sides (or just inside them, or cut off), running
out of the image, sometimes a dark scan margin; a fifth of the cells are cut along the outside
of their rules, which frame the image. A cell holds a number of 1-4 MNIST *test*
digits (written at bench time into a temporary folder, never committed), or nothing, and
its image is scanned: gray paper, a slight turn, blur, noise, JPEG; the number fits in its
cell (it may touch its rules).

Scores: filled cells read exactly (the image's number rows joined), and empty cells that
gave a number, at any status and at `ok` (what a data-entry job would take unreviewed).

    python bench/cells.py [--cells 600] [--mnist PATH] [--model PATH] [--show-errors 20]
    python bench/cells.py --captioned    # boxes cut out of a form, a caption printed in each
    python bench/cells.py --combs ruled  # comb fields cut out of a form (or --combs ticks)
    python bench/cells.py --circled      # each number circled by hand, as a teacher marks a score
"""
from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import cv2
import numpy as np

from digitize.data import load_mnist
from digitize.synth import CAPTIONS, mnist_glyphs, random_number, write_number
from realdata import run_digitize

#: Share of the cells left empty.
EMPTY_SHARE = 0.25
#: Share of the cells cut along the outside of their rules, which then frame the image.
FRAMED_SHARE = 0.2


def make_cell(rng: np.random.Generator, glyph, number: str, caption: str = "", circled: bool = False) -> np.ndarray:
    """One cell of a ruled grid, cut out with a ragged margin and scanned; with a `caption`
    printed small in its top-left corner, as a form's boxes have one, the number under it;
    `circled`: a circle drawn round the number by hand, as a teacher marks a score."""
    height = int(rng.integers(50, 150))
    width = int(height * rng.uniform(1.2, 4.0))
    # How far the cut lies outside each rule (negative: inside it, the rule cut off).
    top, bottom, left, right = (int(rng.integers(-4, max(5, height // 8))) for _ in range(4))
    rule, shade = int(rng.integers(1, 5)), int(rng.integers(0, 120))
    if rng.random() < FRAMED_SHARE:
        top = bottom = left = right = rule // 2
    canvas = np.full((height + top + bottom, width + left + right), 255, np.uint8)
    x0, y0, x1, y1 = left, top, left + width, top + height
    h, w = canvas.shape
    for y in (y0, y1):  # the grid's rules run on past the cell, out of the image
        cv2.line(canvas, (0, y), (w, y + int(rng.integers(-2, 3))), shade, rule)
    for x in (x0, x1):
        cv2.line(canvas, (x, 0), (x + int(rng.integers(-2, 3)), h), shade, rule)
    caption_foot = y0
    if caption:
        size = max(7, int(height * rng.uniform(0.12, 0.18)))
        caption_foot = y0 + rule + 3 + size
        cv2.putText(canvas, caption, (max(x0, 0) + rule + 4, caption_foot), cv2.FONT_HERSHEY_PLAIN,
                    cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_PLAIN, size, 1), min(shade, 90), 1, cv2.LINE_AA)
    if number:
        digit_h = int(min(height * rng.uniform(0.35, 0.65), 0.85 * width / len(number)))
        baseline = y1 - int(rng.uniform(0.1, 0.3) * height)
        if caption:
            digit_h = min(digit_h, baseline - caption_foot - 3)
        while True:  # the number fits in the cell: it may touch its rules, never cross them
            trial = canvas.copy()
            inside = max(x0 + rule // 2, 0) + 2  # a cut inside the rule leaves the paper from the edge
            start = inside + int(rng.uniform(0.0, 0.5) * max(0, width - len(number) * digit_h))
            x, _, number_w, _ = write_number(trial, number, start, baseline, digit_h, rng, glyph)
            if x + number_w <= x1 - rule // 2 - 1 or digit_h < 8:
                canvas = trial
                break
            digit_h = int(digit_h * 0.9)
        if circled:
            top = baseline - digit_h
            cv2.ellipse(canvas, (x + number_w // 2, top + digit_h // 2),
                        (int(number_w * rng.uniform(0.7, 0.85)) + 6, int(digit_h * rng.uniform(0.8, 0.95))),
                        float(rng.uniform(-10, 10)), 0, float(rng.uniform(330, 375)), 40, int(rng.integers(2, 4)),
                        cv2.LINE_AA)
    return _scanned(canvas, rng, margin=max(0, left - rule))


def make_comb(rng: np.random.Generator, glyph, number: str, ticks: bool) -> np.ndarray:
    """A comb field (one digit a cell, 4-8 cells, the number filling the first ones) cut out
    with a margin and scanned: ruled all round, or `ticks` rising a third of the way from its
    base line. Digits may touch the dividers."""
    cells = int(rng.integers(max(4, len(number)), 9))
    cell = int(rng.integers(40, 80))
    height = int(cell * rng.uniform(1.0, 1.4))
    rule, shade = int(rng.integers(1, 4)), int(rng.integers(0, 100))
    margin = int(rng.integers(3, 15))
    canvas = np.full((height + 2 * margin, cells * cell + 2 * margin), 255, np.uint8)
    x0, y0, y1 = margin, margin, margin + height
    for k in range(cells + 1):
        cv2.line(canvas, (x0 + k * cell, y1 - height // 3 if ticks else y0), (x0 + k * cell, y1), shade, rule)
    cv2.line(canvas, (x0, y1), (x0 + cells * cell, y1), shade, rule)
    if not ticks:
        cv2.line(canvas, (x0, y0), (x0 + cells * cell, y0), shade, rule)
    digit_h = int(height * rng.uniform(0.5, 0.8))
    for k, char in enumerate(number):
        write_number(canvas, char, x0 + k * cell + int(rng.uniform(0.1, 0.3) * cell),
                     y1 - int(rng.uniform(0.05, 0.2) * height), digit_h, rng, glyph)
    return _scanned(canvas, rng, margin=0)


def _scanned(canvas: np.ndarray, rng: np.random.Generator, margin: int) -> np.ndarray:
    """Scan noise, and a scanner's black margin in the `margin` pixels left of the cell's rule."""
    h, w = canvas.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-1.5, 1.5)), 1.0)
    image = cv2.warpAffine(canvas, turn, (w, h), borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    image = image * rng.uniform(170, 250) / 255
    if margin >= 3 and rng.random() < 0.3:
        image[:, : int(rng.integers(2, margin + 1))] = rng.uniform(0, 50)
    image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.3, 1.2)))
    image += rng.normal(0, rng.uniform(0, 8), image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--mnist", help="mnist.npz (else DIGITIZE_MNIST, the Keras cache, the download)")
    parser.add_argument("--model")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--show-errors", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the images here instead of a temporary folder")
    parser.add_argument("--captioned", action="store_true",
                        help="boxes of a form: each with a caption printed small in its top-left corner")
    parser.add_argument("--circled", action="store_true", help="a circle drawn round each number")
    parser.add_argument("--combs", choices=["ruled", "ticks"],
                        help="comb fields of a form instead: one digit a cell, ruled all round or ticks")
    args = parser.parse_args()
    mnist = load_mnist(args.mnist)
    glyph = mnist_glyphs(mnist.x_test, mnist.y_test)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        truth, images = {}, []
        for index in range(args.cells):
            number = "" if rng.random() < EMPTY_SHARE else random_number(rng, 1, 8 if args.combs else 4)
            images.append(folder / f"cell{index:04d}.jpg")
            if args.combs:
                cell = make_comb(rng, glyph, number, ticks=args.combs == "ticks")
            else:
                cell = make_cell(rng, glyph, number, CAPTIONS[index % len(CAPTIONS)] if args.captioned else "",
                                 args.circled)
            cv2.imwrite(str(images[-1]), cell, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 95))])
            truth[images[-1].name] = number
        work = Path(tmp) / "work"
        work.mkdir()
        reads, ok, seconds = run_digitize(images, args.model, args.jobs, work)
        statuses = {}
        with open(work / "out.csv", newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                statuses.setdefault(Path(row["file"]).name, set()).add(row["status"])
    filled = [name for name, number in truth.items() if number]
    empty = [name for name, number in truth.items() if not number]
    right = sum(reads.get(name, "") == truth[name] for name in filled)
    spurious = [name for name in empty if reads.get(name, "")]
    spurious_ok = [name for name in spurious if "ok" in statuses.get(name, set())]
    print(f"filled cells {len(filled):5d}  read exactly {right / len(filled):6.1%}")
    print(f"empty cells  {len(empty):5d}  gave a number {len(spurious) / len(empty):6.1%}"
          f"  at ok {len(spurious_ok) / len(empty):6.1%}")
    print(f"seconds per cell {seconds / len(truth):.3f}")
    wrong = [name for name in filled if reads.get(name, "") != truth[name]] + spurious
    for name in wrong[: args.show_errors]:
        print(f"    {name}: truth {truth[name]!r} read {reads.get(name, '')!r}")


if __name__ == "__main__":
    main()
