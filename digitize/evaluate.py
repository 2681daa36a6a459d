"""`digitize evaluate`: accuracy, loss, per-class precision/recall, confusion matrix, misreads."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DigitizeError
from .model import DIGITS, Classifier


def score(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean cross-entropy; a "not a digit" answer counts as wrong."""
    labels = labels.astype(np.int64)
    accuracy = float((probabilities.argmax(1) == labels).mean())
    picked = probabilities[np.arange(len(labels)), labels]
    loss = float(-np.log(np.clip(picked, 1e-7, 1.0)).mean())
    return accuracy, loss


@dataclass
class Evaluation:
    accuracy: float
    loss: float
    count: int
    confusion: np.ndarray
    precision: list[float]
    recall: list[float]
    dataset: str
    model: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "model": self.model,
            "count": self.count,
            "accuracy": self.accuracy,
            "loss": self.loss,
            "errors": int(round(self.count * (1 - self.accuracy))),
            "per_class": {
                str(d): {"precision": self.precision[d], "recall": self.recall[d]} for d in range(DIGITS)
            },
            "confusion": self.confusion.tolist(),
        }


def evaluate(
    classifier: Classifier,
    images: np.ndarray,
    labels: np.ndarray,
    dataset: str,
    model_name: str,
    out_dir: Path | None = None,
) -> Evaluation:
    """Score the classifier; with `out_dir`, also write the confusion matrix and misread grid."""
    if len(images) == 0:
        raise DigitizeError(f"nothing to evaluate in {dataset}")
    probabilities = classifier.probabilities(images)
    accuracy, loss = score(probabilities, labels)
    predicted = probabilities.argmax(1)
    columns = probabilities.shape[1]
    confusion = np.zeros((DIGITS, columns), np.int64)
    np.add.at(confusion, (labels.astype(np.int64), predicted), 1)
    true_positive = np.diag(confusion[:, :DIGITS]).astype(float)
    precision = (true_positive / np.maximum(confusion[:, :DIGITS].sum(0), 1)).tolist()
    recall = (true_positive / np.maximum(confusion.sum(1), 1)).tolist()
    result = Evaluation(accuracy, loss, len(labels), confusion, precision, recall, dataset, model_name)
    if out_dir is not None:
        from .report import plot_confusion, plot_misread

        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DigitizeError(f"cannot write to output folder {out_dir}: {exc.strerror or exc}") from exc
        names = [str(d) for d in range(DIGITS)] + ["not a digit"]
        plot_confusion(confusion, names, out_dir / "confusion.png")
        wrong = np.nonzero(predicted != labels)[0]
        plot_misread(images[wrong], labels[wrong], predicted[wrong], out_dir / "misread.png")
        (out_dir / "evaluation.json").write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return result
