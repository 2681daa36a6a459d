"""A tiny end-to-end train (a few hundred images, one epoch) and evaluate reading it back."""
from __future__ import annotations

import json

from click.testing import CliRunner

from digitize.cli import main


def test_train_then_evaluate(tmp_path, mnist_path):
    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["train", "--mnist", str(mnist_path), "--limit", "400", "--epochs", "1",
                                       "--batch-size", "64", "--out", str(out), "--name", "tiny"])
    assert result.exit_code == 0, result.output
    for name in ("tiny.keras", "tiny.card.json", "tiny.accuracy.png", "tiny.loss.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    card = json.loads((out / "tiny.card.json").read_text())
    assert card["architecture"] == "compact" and card["classes"] == 11
    assert card["training_data"]["train_images"] == 360 and card["training_data"]["validation_images"] == 40
    assert len(card["training_data"]["mnist_sha256"]) == 64
    assert 0.0 <= card["test"]["accuracy"] <= 1.0 and card["epochs_run"] == 1
    assert card["parameters"] > 10_000 and "tensorflow" in card["versions"]

    report = tmp_path / "report"
    result = CliRunner().invoke(main, ["evaluate", "--model", str(out / "tiny.keras"), "--mnist", str(mnist_path),
                                       "--json", "--out", str(report)])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["count"] == 10000 and 0.0 <= scores["accuracy"] <= 1.0
    assert abs(scores["accuracy"] - card["test"]["accuracy"]) < 1e-6  # the card's figure is reproducible
    assert sum(map(sum, scores["confusion"])) == 10000
    for name in ("confusion.png", "misread.png", "evaluation.json"):
        assert (report / name).is_file()


def test_seed_architecture_builds_as_specified():
    from digitize.model import build_model

    model = build_model("seed", 10)
    kinds = [layer.__class__.__name__ for layer in model.layers]
    assert kinds == ["InputLayer", "Rescaling", "Conv2D", "MaxPooling2D", "Dropout", "Conv2D", "MaxPooling2D",
                     "Dropout", "Flatten", "Dense", "Dropout", "Dense"]
    convs = [layer for layer in model.layers if kinds[model.layers.index(layer)] == "Conv2D"]
    assert [(c.filters, c.kernel_size) for c in convs] == [(64, (2, 2)), (32, (2, 2))]
