"""Regenerate the sample scans and their expected.csv: python samples/generate.py"""
from pathlib import Path

from digitize.synth import write_sample_set

if __name__ == "__main__":
    write_sample_set(str(Path(__file__).parent))
