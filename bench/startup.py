"""Start-up costs: `digitize --help` wall time, and import + model load for a run.

    python bench/startup.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    helps = [timed([sys.executable, "-m", "digitize", "--help"]) for _ in range(args.repeat)]
    load = "from digitize.model import Classifier; Classifier.load()"
    loads = [timed([sys.executable, "-c", load]) for _ in range(max(1, args.repeat // 2))]
    print(f"digitize --help: median {statistics.median(helps):.3f} s (min {min(helps):.3f}, n={len(helps)})")
    print(f"import TensorFlow + load bundled model: median {statistics.median(loads):.2f} s (n={len(loads)})")


if __name__ == "__main__":
    main()
