from __future__ import annotations

import numpy as np
import pytest

from digitize.data import load_crop_folder, load_mnist, resolve_mnist_path
from digitize.errors import DigitizeError


def test_load_mnist_checks_the_real_file(mnist_path):
    data = load_mnist(mnist_path)
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert data.x_train.dtype == np.uint8
    assert list(data.y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # from the dataset's README
    assert len(data.sha256) == 64


def test_env_variable_is_used(monkeypatch, tmp_path):
    target = tmp_path / "m.npz"
    target.write_bytes(b"x")
    monkeypatch.setenv("DIGITIZE_MNIST", str(target))
    assert resolve_mnist_path() == target


def test_explicit_path_wins_over_env(monkeypatch, tmp_path):
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    first.write_bytes(b"x")
    second.write_bytes(b"x")
    monkeypatch.setenv("DIGITIZE_MNIST", str(second))
    assert resolve_mnist_path(first) == first


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DigitizeError, match="not found"):
        load_mnist(tmp_path / "nope.npz")


def test_not_an_npz(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("hello")
    with pytest.raises(DigitizeError, match="not a readable .npz"):
        load_mnist(bad)


def test_missing_keys(tmp_path):
    bad = tmp_path / "keys.npz"
    np.savez(bad, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DigitizeError, match="missing key.*x_test"):
        load_mnist(bad)


@pytest.mark.parametrize("x_train, message", [
    (np.zeros((2, 32, 32), np.uint8), "x_train has shape"),
    (np.zeros((2, 28, 28), np.float32), "dtype float32"),
])
def test_wrong_layout(tmp_path, x_train, message):
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=x_train, y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    with pytest.raises(DigitizeError, match=message):
        load_mnist(bad)


def test_crop_folder_inverts_dark_ink_and_normalizes(tmp_path):
    import cv2

    for digit in (3, 7):
        (tmp_path / str(digit)).mkdir()
        image = np.full((60, 40), 255, np.uint8)
        cv2.line(image, (20, 5), (20, 55), 0, 4)  # dark ink on white paper
        cv2.imwrite(str(tmp_path / str(digit) / "a.png"), image)
    images, labels = load_crop_folder(tmp_path)
    assert images.shape == (2, 28, 28) and sorted(labels.tolist()) == [3, 7]
    assert images[0].max() > 200 and images[0][0, 0] == 0  # white ink on black


def test_empty_crop_folder(tmp_path):
    with pytest.raises(DigitizeError, match="no labeled crops"):
        load_crop_folder(tmp_path)
