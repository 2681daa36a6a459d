"""Start-up costs: `digitize --help`, import + model load for a run, and a one-page run.

    python bench/startup.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    helps = [timed([sys.executable, "-m", "digitize", "--help"]) for _ in range(args.repeat)]
    load = "import sys; from digitize.model import Classifier; Classifier.load(); print('tensorflow' in sys.modules)"
    loads = [timed([sys.executable, "-c", load]) for _ in range(max(1, args.repeat // 2))]
    tensorflow = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True).stdout.strip()
    page = Path(__file__).resolve().parent.parent / "samples" / "form.png"
    with tempfile.TemporaryDirectory() as tmp:
        runs = [timed([sys.executable, "-m", "digitize", "run", str(page), "-o", f"{tmp}/out.csv", "-q"])
                for _ in range(max(1, args.repeat // 2))]
    print(f"digitize --help: median {statistics.median(helps):.3f} s (min {min(helps):.3f}, n={len(helps)})")
    print(f"import + load bundled model and first stage: median {statistics.median(loads):.2f} s "
          f"(n={len(loads)}; TensorFlow imported: {tensorflow})")
    print(f"digitize run on one page (samples/form.png), whole command: median {statistics.median(runs):.2f} s")


if __name__ == "__main__":
    main()
