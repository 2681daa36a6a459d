"""The two-stage classifier: the small model answers what it is sure of, the full model the rest."""
from __future__ import annotations

import json
import shutil

import numpy as np

from digitize.data import file_sha256
from digitize.model import (FIRST_STAGE_SURE, Classifier, CompiledModel, compiled_path, first_stage_path,
                            load_for_inference, load_model)


class FixedModel:
    """Stands in for a Keras model: answers from a table keyed by each image's first pixel."""

    compiled = True
    output_shape = (None, 11)

    def __init__(self, table: dict[int, np.ndarray]):
        self.table = table
        self.seen: list[int] = []

    def predict_on_batch(self, x: np.ndarray) -> np.ndarray:
        keys = [int(image[0, 0, 0]) for image in x]
        self.seen += keys
        return np.stack([self.table[key] for key in keys])


def one_hot(digit: int, sure: float) -> np.ndarray:
    row = np.full(11, (1 - sure) / 10, np.float32)
    row[digit] = sure
    return row


def test_first_stage_answers_only_what_it_is_sure_of():
    fast = FixedModel({0: one_hot(3, 0.9999), 1: one_hot(5, 0.9), 2: one_hot(7, FIRST_STAGE_SURE)})
    full = FixedModel({1: one_hot(6, 0.99)})
    images = np.zeros((3, 28, 28), np.uint8)
    images[:, 0, 0] = [0, 1, 2]
    probabilities = Classifier(full, first_stage=fast).probabilities(images)
    assert probabilities.argmax(1).tolist() == [3, 6, 7]
    assert fast.seen == [0, 1, 2] and full.seen == [1]  # the full model saw only the unsure crop


def test_first_stage_is_used_only_for_the_model_it_was_made_for(tmp_path, model_path):
    bundled = Classifier.load(model_path)
    assert bundled.first_stage is not None  # the bundled pair matches its card
    model = tmp_path / "mine.keras"
    shutil.copy(model_path, model)
    shutil.copy(first_stage_path(model_path), first_stage_path(model))
    card = tmp_path / "mine.fast.card.json"
    card.write_text(json.dumps({"first_stage_for": {"sha256": file_sha256(model)}}))
    assert Classifier.load(model).first_stage is not None
    card.write_text(json.dumps({"first_stage_for": {"sha256": "0" * 64}}))  # e.g. after retraining
    assert Classifier.load(model).first_stage is None


def digit_crops() -> np.ndarray:
    """Printed digits and a few marks, normalized like page crops."""
    import cv2

    from digitize.normalize import to_mnist

    crops = []
    for text in "0123456789-/.":
        canvas = np.zeros((60, 50), np.uint8)
        cv2.putText(canvas, text, (8, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 255, 4)
        crops.append(to_mnist(canvas))
    return np.stack(crops)


def test_the_compiled_copy_reads_like_the_keras_model(model_path):
    compiled = load_for_inference(model_path)
    assert isinstance(compiled, CompiledModel)
    crops = digit_crops()
    ours = Classifier(compiled).probabilities(crops)
    reference = Classifier(load_model(model_path)).probabilities(crops)
    assert np.abs(ours - reference).max() < 1e-4
    assert (ours.argmax(1) == reference.argmax(1)).all()


def test_a_replaced_model_never_runs_a_stale_compiled_copy(tmp_path, model_path):
    model = tmp_path / "mine.keras"
    shutil.copy(model_path, model)
    load_for_inference(model)
    first_copy = compiled_path(model, file_sha256(model))
    assert first_copy.is_file()
    shutil.copy(first_stage_path(model_path), model)  # retrained: other weights, same name
    crops = digit_crops()
    ours = Classifier(load_for_inference(model)).probabilities(crops)
    reference = Classifier(load_model(model)).probabilities(crops)
    assert np.abs(ours - reference).max() < 1e-4
    assert compiled_path(model, file_sha256(model)).is_file() and not first_copy.exists()


def test_a_model_in_a_read_only_folder_is_compiled_in_memory(tmp_path, model_path, monkeypatch):
    model = tmp_path / "mine.keras"
    shutil.copy(model_path, model)

    def refuse(*_):
        raise PermissionError("read-only")
    monkeypatch.setattr(type(model), "write_bytes", refuse)
    assert isinstance(load_for_inference(model), CompiledModel)
    assert not list(tmp_path.glob("*.tflite"))


def test_loading_a_model_prints_nothing(tmp_path, model_path, capfd):
    model = tmp_path / "mine.keras"
    shutil.copy(model_path, model)
    Classifier.load(model)  # converts (TensorFlow) and loads the copy (LiteRT)
    Classifier.load(model_path)
    assert capfd.readouterr() == ("", "")


def test_a_damaged_compiled_copy_is_made_again(tmp_path, model_path):
    model = tmp_path / "mine.keras"
    shutil.copy(model_path, model)
    copy = compiled_path(model, file_sha256(model))
    copy.write_bytes(b"not a model")
    assert isinstance(load_for_inference(model), CompiledModel)
    assert copy.stat().st_size > 100_000
