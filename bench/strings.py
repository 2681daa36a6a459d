"""Exact accuracy on digit-string images (zip codes, cut-out amounts) from 16 to 300 px high.

MNIST *test* digits, cut to their ink and laid side by side 0-5 pixels apart at MNIST's scale
(a third of them touch or all but touch), five to a string, written at bench time into a
temporary folder (never committed) as black on white images of each height: gray as scanned,
and thresholded to black and white as postal sets store them. Each image is read with
`digitize run` as it is; the read must be exactly the string. Optionally Tesseract 5 (digits
only, --psm 7: one line) on the same files.

    python bench/strings.py [--count 300] [--digits 5] [--tesseract] [--mnist PATH] [--model PATH]
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

from digitize.data import load_mnist
from realdata import run_digitize, run_tesseract

HEIGHTS = (16, 20, 28, 40, 64, 100, 300)  # 300: over 1000 px wide, as scanned at 600 dpi
#: Digits lie up to this many pixels apart at MNIST's 28 px scale: 0 makes them touch.
MOST_APART = 5


def string_image(digits: np.ndarray, gaps: np.ndarray, height: int, binary: bool) -> np.ndarray:
    """White-on-black MNIST digits, cut to their ink columns, side by side `gaps` apart; black on
    white at `height` pixels."""
    parts = [np.zeros((28, 4), np.uint8)]
    for digit, gap in zip(digits, gaps):
        columns = np.flatnonzero(digit.max(axis=0) > 30)
        parts += [digit[:, columns[0] : columns[-1] + 1], np.zeros((28, int(gap)), np.uint8)]
    line = np.concatenate(parts + [np.zeros((28, 4), np.uint8)], axis=1)
    line = cv2.resize(line, (max(1, round(line.shape[1] * height / 28)), height), interpolation=cv2.INTER_AREA)
    if binary:
        line = np.where(line > 100, 255, 0).astype(np.uint8)
    return 255 - line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="strings per height and style")
    parser.add_argument("--digits", type=int, default=5, help="digits per string")
    parser.add_argument("--heights", type=int, nargs="*", default=list(HEIGHTS))
    parser.add_argument("--mnist", help="mnist.npz (else DIGITIZE_MNIST, the Keras cache, the download)")
    parser.add_argument("--model")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tesseract", action="store_true")
    parser.add_argument("--show-errors", type=int, default=0, help="list this many misreads per form")
    args = parser.parse_args()
    if args.tesseract and not shutil.which("tesseract"):
        parser.error("tesseract is not installed (apt-get install tesseract-ocr)")
    mnist = load_mnist(args.mnist)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(mnist.x_test), (args.count, args.digits))
    gaps = rng.integers(0, MOST_APART + 1, (args.count, args.digits))
    truths = ["".join(str(d) for d in mnist.y_test[row]) for row in picks]
    print(f"{'form':22} {'images':>6} {'digitize':>9} {'s/image':>8}" + (f" {'tesseract':>9} {'s/image':>8}" if args.tesseract else ""))
    for height in args.heights:
        for binary in (False, True):
            name = f"{height} px {'black/white' if binary else 'gray'}"
            with tempfile.TemporaryDirectory() as tmp:
                images = [Path(tmp) / f"{index:05d}.png" for index in range(args.count)]
                for image, row, row_gaps in zip(images, picks, gaps):
                    cv2.imwrite(str(image), string_image(mnist.x_test[row], row_gaps, height, binary))
                work = Path(tmp) / "work"
                work.mkdir()
                reads, _, seconds = run_digitize(images, args.model, args.jobs, work)
                correct = sum(reads.get(image.name, "") == truth for image, truth in zip(images, truths))
                line = f"{name:22} {len(images):6d} {correct / len(images):9.1%} {seconds / len(images):8.3f}"
                if args.tesseract:
                    t_reads, t_seconds = run_tesseract(images, psm=7)
                    t_correct = sum(t_reads.get(image.name, "") == truth for image, truth in zip(images, truths))
                    line += f" {t_correct / len(images):9.1%} {t_seconds / len(images):8.3f}"
                wrong = [f"{image.name}: {truth} read {reads.get(image.name, '')!r}"
                         for image, truth in zip(images, truths) if reads.get(image.name, "") != truth]
            print(line, flush=True)
            for error in wrong[: args.show_errors]:
                print("   ", error)


if __name__ == "__main__":
    main()
