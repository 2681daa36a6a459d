"""Shared fixtures: MNIST (skipped with a reason where absent), the bundled model, tiny files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from digitize.model import default_model_path

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    path = os.environ.get("DIGITIZE_MNIST")
    if not path or not Path(path).is_file():
        pytest.skip("MNIST not available: set DIGITIZE_MNIST to mnist.npz (.ci/run does)")
    return Path(path)


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = default_model_path()
    if not path.is_file():
        pytest.fail(f"bundled model missing: {path}")
    return path


@pytest.fixture(scope="session")
def classifier(model_path):
    from digitize.model import Classifier

    return Classifier.load(model_path)
