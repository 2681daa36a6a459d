"""Exact accuracy on single-digit images, stored the ways postal and exam digit sets store them.

MNIST *test* digits, written at bench time into a temporary folder (never committed) in
several forms: as MNIST stores them (28x28, white on black) and inverted, cut tightly to
their ink (64 px high, both polarities), on a box's worth of paper, scanned (gray paper,
noise, JPEG), postal size (16x16, aspect kept) and stretched to fill 16x16 in black and
white (as Semeion's). Each image is read with `digitize run` as it is; the read must be
exactly the digit. The first line is the model alone on the
same digits as MNIST gives them: the ceiling for every form. Optionally Tesseract 5
(digits only, --psm 10: one character) on the same files.

    python bench/digits.py [--count 500] [--tesseract] [--mnist PATH] [--model PATH]
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from digitize.data import load_mnist
from digitize.model import Classifier
from digitize.normalize import ink_only
from realdata import run_digitize, run_tesseract


def _height(image: np.ndarray, height: int) -> np.ndarray:
    scale = height / image.shape[0]
    return cv2.resize(image, (max(1, round(image.shape[1] * scale)), height), interpolation=cv2.INTER_CUBIC)


def _postal(digit: np.ndarray) -> np.ndarray:
    ink = ink_only(digit)
    scale = 16 / max(ink.shape)
    ink = cv2.resize(ink, (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    out = np.zeros((16, 16), np.uint8)
    y, x = (16 - ink.shape[0]) // 2, (16 - ink.shape[1]) // 2
    out[y : y + ink.shape[0], x : x + ink.shape[1]] = ink
    return 255 - out


def _stretched(digit: np.ndarray) -> np.ndarray:
    """Stretched to fill 16x16 and made black and white, as Semeion's digits are stored."""
    ink = cv2.resize(ink_only(digit), (16, 16), interpolation=cv2.INTER_AREA)
    return np.where(ink > 127, 0, 255).astype(np.uint8)


def _written(digit: np.ndarray, page: np.ndarray, top: int, ink_level: float) -> np.ndarray:
    """The digit written 60 px high (less if it would not fit the page's width: a digit as wide
    as two), horizontally centred, from row `top`."""
    ink = ink_only(digit)
    ink = _height(ink, min(60, (page.shape[1] - 10) * ink.shape[0] // ink.shape[1]))
    ink = ink.astype(np.float32) / 255
    x = (page.shape[1] - ink.shape[1]) // 2
    area = page[top : top + ink.shape[0], x : x + ink.shape[1]]
    area[:] = area * (1 - ink) + ink_level * ink
    return page


def _scanned(rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    def scan(digit: np.ndarray) -> np.ndarray:
        page = _written(digit, np.full((110, 110), 200.0, np.float32), (110 - 60) // 2, 40)
        page += rng.normal(0, 8, page.shape)
        return np.clip(page, 0, 255).astype(np.uint8)
    return scan


def _squared(level: int) -> Callable[[np.ndarray], np.ndarray]:
    """On squared exam paper: grid lines every 36 px (5 mm at 180 dpi) of this gray level."""
    def square(digit: np.ndarray) -> np.ndarray:
        page = np.full((100, 100), 250.0, np.float32)
        page[6::36, :] = level
        page[:, 10::36] = level
        return _written(digit, page, 20, 30).astype(np.uint8)
    return square


def forms(rng: np.random.Generator) -> dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]]:
    """Name → (how a 28x28 MNIST digit becomes the image, file suffix)."""
    return {
        "mnist 28 white/black": (lambda d: d, ".png"),
        "mnist 28 black/white": (lambda d: 255 - d, ".png"),
        "tight 64 black/white": (lambda d: 255 - _height(ink_only(d), 64), ".png"),
        "tight 64 white/black": (lambda d: _height(ink_only(d), 64), ".png"),
        "box 56 black/white": (lambda d: cv2.copyMakeBorder(255 - _height(ink_only(d), 40), 8, 8, 8, 8,
                                                            cv2.BORDER_CONSTANT, value=255), ".png"),
        "scan 110 gray, jpeg": (_scanned(rng), ".jpg"),
        "postal 16 black/white": (_postal, ".png"),
        "stretched 16 binary": (_stretched, ".png"),
        "squared paper, light": (_squared(190), ".png"),
        "squared paper, dark": (_squared(120), ".png"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="MNIST test digits per form")
    parser.add_argument("--mnist", help="mnist.npz (else DIGITIZE_MNIST, the Keras cache, the download)")
    parser.add_argument("--model")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tesseract", action="store_true")
    parser.add_argument("--show-errors", type=int, default=0, help="list this many misreads per form")
    parser.add_argument("--keep", type=Path, help="write the images here instead of a temporary folder")
    args = parser.parse_args()
    if args.tesseract and not shutil.which("tesseract"):
        parser.error("tesseract is not installed (apt-get install tesseract-ocr)")
    mnist = load_mnist(args.mnist)
    digits, labels = mnist.x_test[: args.count], mnist.y_test[: args.count]
    alone = Classifier.load(args.model).probabilities(digits)[:, :10].argmax(1)
    print(f"{'form':24} {'images':>6} {'digitize':>9} {'s/image':>8}" + (f" {'tesseract':>9} {'s/image':>8}" if args.tesseract else ""))
    print(f"{'(model alone, MNIST)':24} {len(digits):6d} {(alone == labels).mean():9.1%}")
    rng = np.random.default_rng(0)
    for name, (make, suffix) in forms(rng).items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            if args.keep:
                folder = args.keep / name.replace(" ", "_").replace("/", "-").replace(",", "")
                folder.mkdir(parents=True, exist_ok=True)
            images = []
            for index, digit in enumerate(digits):
                images.append(folder / f"{index:05d}{suffix}")
                cv2.imwrite(str(images[-1]), make(digit))
            work = Path(tmp) / "work"  # the run's own files stay out of a kept folder: it can be run again
            work.mkdir()
            reads, _, seconds = run_digitize(images, args.model, args.jobs, work)
            correct = sum(reads.get(image.name, "") == str(label) for image, label in zip(images, labels))
            line = f"{name:24} {len(images):6d} {correct / len(images):9.1%} {seconds / len(images):8.3f}"
            if args.tesseract:
                t_reads, t_seconds = run_tesseract(images, psm=10)
                t_correct = sum(t_reads.get(image.name, "") == str(label) for image, label in zip(images, labels))
                line += f" {t_correct / len(images):9.1%} {t_seconds / len(images):8.3f}"
            wrong = [f"{image.name}: {label} read {reads.get(image.name, '')!r}"
                     for image, label in zip(images, labels) if reads.get(image.name, "") != str(label)]
        print(line, flush=True)
        for error in wrong[: args.show_errors]:
            print("   ", error)


if __name__ == "__main__":
    main()
