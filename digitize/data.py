"""Training and evaluation data: MNIST from a file or the Keras cache, and labeled crop folders."""
from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DigitizeError

MNIST_ENV = "DIGITIZE_MNIST"
KERAS_CACHE = Path("~/.keras/datasets/mnist.npz")
_EXPECTED = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    path: Path
    sha256: str


def resolve_mnist_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The MNIST file to use: the given path, $DIGITIZE_MNIST, the Keras cache, else a download."""
    if path:
        return _existing(Path(path), "MNIST file")
    if os.environ.get(MNIST_ENV):
        return _existing(Path(os.environ[MNIST_ENV]), f"MNIST file (from ${MNIST_ENV})")
    cached = KERAS_CACHE.expanduser()
    if cached.is_file():
        return cached
    import keras  # deferred: only a download needs it

    try:
        fetched = keras.utils.get_file(
            "mnist.npz",
            origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
            file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        )
    except Exception as exc:  # network errors come in many types
        raise DigitizeError(
            f"MNIST is not in the Keras cache ({cached}) and could not be downloaded: {exc}. "
            f"Pass --mnist PATH or set ${MNIST_ENV}."
        ) from exc
    return Path(fetched)


def _existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise DigitizeError(f"{what} not found: {path}")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_mnist(path: str | os.PathLike[str] | None = None) -> Mnist:
    """Load and check MNIST, so that a wrong file fails here with a reason, not later in training."""
    resolved = resolve_mnist_path(path)
    try:
        with np.load(resolved, allow_pickle=False) as archive:
            missing = sorted(set(_EXPECTED) - set(archive.files))
            if missing:
                raise DigitizeError(
                    f"{resolved} is not an MNIST archive: missing key(s) {', '.join(missing)} "
                    f"(has {', '.join(archive.files) or 'nothing'})"
                )
            arrays = {key: archive[key] for key in _EXPECTED}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DigitizeError(f"{resolved} is not a readable .npz archive: {exc}") from exc
    for key, shape in _EXPECTED.items():
        array = arrays[key]
        if array.shape[1:] != shape[1:] or array.ndim != len(shape):
            raise DigitizeError(f"{resolved}: {key} has shape {array.shape}, expected (N, *{shape[1:]})")
        if array.dtype != np.uint8:
            raise DigitizeError(f"{resolved}: {key} has dtype {array.dtype}, expected uint8")
    for images, labels in (("x_train", "y_train"), ("x_test", "y_test")):
        if len(arrays[images]) != len(arrays[labels]):
            raise DigitizeError(f"{resolved}: {images} and {labels} differ in length")
        if arrays[labels].size and arrays[labels].max() > 9:
            raise DigitizeError(f"{resolved}: {labels} holds labels above 9")
    return Mnist(**arrays, path=resolved, sha256=file_sha256(resolved))


def load_crop_folder(folder: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Labeled crops from `folder/<digit>/*.png`, normalized like MNIST (white on black, 28x28)."""
    import cv2

    from .normalize import to_mnist

    root = Path(folder)
    if not root.is_dir():
        raise DigitizeError(f"crop folder not found: {root}")
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label in range(10):
        for file in sorted((root / str(label)).glob("*")):
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            gray = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
            if gray is None:
                raise DigitizeError(f"cannot read crop image {file}")
            if gray.mean() > 127:  # dark ink on light paper: make it white on black like MNIST
                gray = 255 - gray
            images.append(to_mnist(gray))
            labels.append(label)
    if not images:
        raise DigitizeError(f"no labeled crops in {root} (expected {root}/<digit>/*.png)")
    return np.stack(images), np.asarray(labels, dtype=np.uint8)
