"""A tiny end-to-end train (a few hundred images, one epoch) and evaluate reading it back."""
from __future__ import annotations

import json

from click.testing import CliRunner

from digitize.cli import main
from digitize.data import file_sha256


def test_train_then_evaluate(tmp_path, mnist_path):
    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["train", "--mnist", str(mnist_path), "--limit", "400", "--epochs", "1",
                                       "--batch-size", "64", "--out", str(out), "--name", "tiny"])
    assert result.exit_code == 0, result.output
    for name in ("tiny.keras", "tiny.card.json", "tiny.accuracy.png", "tiny.loss.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    card = json.loads((out / "tiny.card.json").read_text())
    assert card["architecture"] == "wide" and card["classes"] == 11
    assert card["training_data"]["train_images"] == 360 and card["training_data"]["validation_images"] == 40
    assert len(card["training_data"]["mnist_sha256"]) == 64
    assert 0.0 <= card["test"]["accuracy"] <= 1.0 and card["epochs_run"] == 1
    assert card["parameters"] > 10_000 and "tensorflow" in card["versions"]
    sha = file_sha256(out / "tiny.keras")
    assert card["runtime_copy"] == f"tiny.{sha[:12]}.tflite" and (out / card["runtime_copy"]).is_file()

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


def test_training_batches_depend_only_on_seed_epoch_and_index():
    """Batches are made in worker processes in any order; each must be reproducible on its own."""
    import numpy as np

    from digitize.train import _BatchRecipe, _make_batch

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 300)
    recipe = _BatchRecipe(seed=3, batch_size=64, augment_share=0.5, reject_fraction=0.25)
    images, targets = _make_batch(x, y, recipe, epoch=2, index=1)
    again, again_targets = _make_batch(x, y, recipe, epoch=2, index=1)
    assert np.array_equal(images, again) and np.array_equal(targets, again_targets)
    assert images.shape == (64 + 16, 28, 28) and images.dtype == np.uint8
    assert (targets[64:] == 10).all() and (targets[:64] < 10).all()
    next_epoch, _ = _make_batch(x, y, recipe, epoch=3, index=1)
    assert not np.array_equal(images, next_epoch)


def test_cli_offers_every_architecture():
    from digitize.cli import train
    from digitize.model import ARCHITECTURES

    arch = next(p for p in train.params if p.name == "arch")
    assert set(arch.type.choices) == set(ARCHITECTURES) and arch.default == "wide"


def test_average_weights_is_the_mean_and_needs_one_architecture():
    import numpy as np
    import pytest

    from digitize.errors import DigitizeError
    from digitize.model import build_model
    from digitize.train import average_weights

    first, second = build_model("compact"), build_model("compact")
    second.set_weights([w + 1.0 for w in first.get_weights()])
    mean = average_weights([first, second])
    assert all(np.allclose(m, w + 0.5) for m, w in zip(mean, first.get_weights()))
    with pytest.raises(DigitizeError, match="same architecture"):
        average_weights([first, build_model("wide")])


def test_fine_tune_averaged_with_its_start(tmp_path, mnist_path):
    """--average-with-init keeps the mean of the fine-tuned and the starting weights."""
    import numpy as np

    from digitize.model import load_model

    common = ["--mnist", str(mnist_path), "--limit", "200", "--epochs", "1", "--batch-size", "64",
              "--arch", "compact"]
    start = tmp_path / "start"
    assert CliRunner().invoke(main, ["train", *common, "--out", str(start)]).exit_code == 0
    refused = CliRunner().invoke(main, ["train", *common, "--average-with-init", "--out", str(tmp_path / "x")])
    assert refused.exit_code != 0 and "--init" in refused.output

    runs = {}
    for name, extra in (("plain", []), ("averaged", ["--average-with-init"])):
        result = CliRunner().invoke(main, ["train", *common, "--init", str(start / "digitize.keras"),
                                           "--learning-rate", "0.01", "--reject-share", "0.3", *extra,
                                           "--out", str(tmp_path / name), "--name", "mine.fast"])
        assert result.exit_code == 0, result.output
        runs[name] = load_model(tmp_path / name / "mine.fast.keras").get_weights()  # a dot in the name stays
    card = json.loads((tmp_path / "averaged" / "mine.fast.card.json").read_text())
    assert card["settings"]["average_with_init"] is True and card["settings"]["reject_fraction"] == 0.3
    initial = load_model(start / "digitize.keras").get_weights()
    # Training is seeded, so the averaged run's fine-tune is the plain run: the file holds their mean.
    assert all(np.allclose(a, (p + i) / 2, atol=1e-5)
               for a, p, i in zip(runs["averaged"], runs["plain"], initial))
    assert not all(np.allclose(p, i) for p, i in zip(runs["plain"], initial))
