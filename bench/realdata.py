"""Exact-number accuracy of `digitize run` on the real development scans (../shared/realdata).

Each image holds one number; the read for an image is its number rows joined in reading
order. An image is "ok" when every row has status `ok` (confidence at least the default
--min-confidence): the columns "ok" and "right if ok" say how far a data-entry job can trust
those rows and how many it must review. Optionally runs Tesseract 5 (digits only, --psm 7) on
the same images for comparison.

    python bench/realdata.py ../shared/realdata --limit 300 [--tesseract] [--model PATH] [--breakdown]

--breakdown says where a set's errors lie: reads a digit or more short, long, or of the right
length with digits swapped, and the commonest single-digit swaps (truth>read).

--scale F reads every image resized by F (copies in a temporary folder), as the same writing
scanned at another resolution: 2 or 4 for 300-600 dpi scans and large photos, 0.5 for
coarse ones.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path


def truth_of(folder: Path) -> dict[str, str]:
    with open(folder / "truth.csv", newline="", encoding="utf-8") as handle:
        return {row["file"]: row["truth"].strip() for row in csv.DictReader(handle)}


def error_kinds(truth: dict[str, str], reads: dict[str, str]) -> tuple[Counter, Counter]:
    """The wrong reads by kind ('short', 'long', 'swapped'), and the single-digit swaps
    ('4>6': truth>read) among reads of the right length that differ in one digit."""
    kinds: Counter = Counter()
    swaps: Counter = Counter()
    for name, number in truth.items():
        read = reads.get(name, "")
        if read == number:
            continue
        kinds["short" if len(read) < len(number) else "long" if len(read) > len(number) else "swapped"] += 1
        differ = [(a, b) for a, b in zip(number, read) if a != b]
        if len(read) == len(number) and len(differ) == 1:
            swaps[">".join(differ[0])] += 1
    return kinds, swaps


def run_digitize(images: list[Path], model: str | None, jobs: int, workdir: Path) -> tuple[dict[str, str], set[str], float]:
    """The read of each image, the images whose rows are all `ok`, and the seconds taken."""
    listing = workdir / "inputs"
    listing.mkdir()
    for image in images:
        (listing / image.name).symlink_to(image.resolve())
    out = workdir / "out.csv"
    command = [sys.executable, "-m", "digitize", "run", str(listing), "-o", str(out), "-q", "-j", str(jobs)]
    if model:
        command += ["--model", model]
    started = time.perf_counter()
    subprocess.run(command, check=False)
    seconds = time.perf_counter() - started
    reads: dict[str, list[str]] = defaultdict(list)
    statuses: dict[str, set[str]] = defaultdict(set)
    with open(out, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = Path(row["file"]).name
            reads[name].append(row["number"])
            statuses[name].add(row["status"])
    ok = {name for name, seen in statuses.items() if seen == {"ok"}}
    return {name: "".join(numbers) for name, numbers in reads.items()}, ok, seconds


def run_tesseract(images: list[Path], psm: int = 7) -> tuple[dict[str, str], float]:
    """Tesseract restricted to digits; --psm 7 reads a field image as one line of text."""
    reads = {}
    started = time.perf_counter()
    for image in images:
        done = subprocess.run(["tesseract", str(image), "stdout", "--psm", str(psm), "-c",
                               "tessedit_char_whitelist=0123456789"], capture_output=True, text=True)
        reads[image.name] = "".join(ch for ch in done.stdout if ch.isdigit())
    return reads, time.perf_counter() - started


def resized(images: list[Path], factor: float, folder: Path) -> list[Path]:
    """Copies of the images resized by `factor` (same names, PNG data), in `folder`."""
    import cv2

    folder.mkdir()
    copies = []
    for image in images:
        pixels = cv2.imread(str(image), cv2.IMREAD_UNCHANGED)
        method = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        copies.append(folder / image.name)
        cv2.imencode(".png", cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=method))[1].tofile(str(copies[-1]))
    return copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder holding the realdata sets")
    parser.add_argument("--sets", nargs="*", default=["danish_rows_val", "orand_car_a_train", "webcam_numbers"])
    parser.add_argument("--limit", type=int, default=0, help="first N images of each set (0: all)")
    parser.add_argument("--model")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tesseract", action="store_true")
    parser.add_argument("--show-errors", type=int, default=0)
    parser.add_argument("--breakdown", action="store_true", help="where the errors lie (see above)")
    parser.add_argument("--scale", type=float, default=1.0, help="read the images resized by this factor")
    args = parser.parse_args()
    if args.tesseract and not shutil.which("tesseract"):
        parser.error("tesseract is not installed (apt-get install tesseract-ocr)")
    print(f"{'set':20} {'images':>6} {'digitize':>9} {'ok':>6} {'right if ok':>11} {'s/image':>8}"
          + (f" {'tesseract':>9} {'s/image':>8}" if args.tesseract else ""))
    for name in args.sets:
        folder = args.root / name
        truth = truth_of(folder)
        names = sorted(truth)[: args.limit or None]
        images = [folder / "images" / n for n in names]
        with tempfile.TemporaryDirectory() as tmp:
            if args.scale != 1.0:
                images = resized(images, args.scale, Path(tmp) / "resized")
            reads, ok, seconds = run_digitize(images, args.model, args.jobs, Path(tmp))
        correct = sum(reads.get(n, "") == truth[n] for n in names)
        ok_names = [n for n in names if n in ok]
        right_if_ok = sum(reads[n] == truth[n] for n in ok_names) / max(1, len(ok_names))
        line = (f"{name:20} {len(names):6d} {correct / len(names):9.1%} {len(ok_names) / len(names):6.1%}"
                f" {right_if_ok:11.1%} {seconds / len(names):8.3f}")
        if args.tesseract:
            t_reads, t_seconds = run_tesseract(images)
            t_correct = sum(t_reads.get(n, "") == truth[n] for n in names)
            line += f" {t_correct / len(names):9.1%} {t_seconds / len(names):8.3f}"
        print(line, flush=True)
        if args.breakdown:
            kinds, swaps = error_kinds({n: truth[n] for n in names}, reads)
            print(f"    wrong {sum(kinds.values())}: " + ", ".join(f"{k} {kinds[k]}" for k in ("short", "long", "swapped"))
                  + "; commonest single swaps: " + ", ".join(f"{k} {v}" for k, v in swaps.most_common(8)))
        wrong = [n for n in names if reads.get(n, "") != truth[n]][: args.show_errors]
        for n in wrong:
            print(f"    {n}: truth {truth[n]} read {reads.get(n, '')!r}")


if __name__ == "__main__":
    main()
