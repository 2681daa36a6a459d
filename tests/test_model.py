"""The two-stage classifier: the small model answers what it is sure of, the full model the rest."""
from __future__ import annotations

import json
import shutil

import numpy as np

from digitize.data import file_sha256
from digitize.model import FIRST_STAGE_SURE, Classifier, first_stage_path


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
