"""`digitize train`: MNIST (+ your own crops) → augmented training → model, card and plots."""
from __future__ import annotations

import datetime as dt
import functools
import json
import math
import multiprocessing
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .augment import augment_batch, junk_batch
from .data import file_sha256, load_crop_folder, load_mnist
from .errors import DigitizeError
from .evaluate import score
from .model import (DIGITS, REJECT, Classifier, build_model, compiled_path, import_keras, load_for_inference,
                    load_model)


@dataclass
class TrainConfig:
    """Everything that decides a training run; saved in the model card."""

    arch: str = "wide"
    epochs: int = 30
    batch_size: int = 128
    val_split: float = 0.1
    augment: bool = True
    #: Share of each batch's digits that get augmented; the rest stay clean MNIST.
    augment_share: float = 0.65
    #: Train an 11th "not a digit" class, this many per digit example.
    reject_fraction: float = 0.12
    patience: int = 6
    learning_rate: float = 1e-3
    #: Start from this model's weights (fine-tuning, e.g. the bundled model on your own crops).
    init: Path | None = None
    #: Average the fine-tuned weights with `init`'s, half and half: the fine-tune's new skills
    #: with less of its drift on what the starting model already read well (WiSE-FT).
    average_with_init: bool = False
    seed: int = 1
    #: Processes that augment batches ahead of the model (1: in the training process).
    workers: int = 1
    limit: int | None = None
    extra: Path | None = None
    mnist: Path | None = None
    out_dir: Path = Path("models")
    name: str = "digitize"
    verbose: int = 1


@dataclass
class TrainResult:
    model_path: Path
    card_path: Path
    plots: list[Path]
    card: dict[str, Any] = field(default_factory=dict)


def _prepare_out_dir(out_dir: Path) -> None:
    """Fail before an hour of training, not after it, when the output can't be written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".digitize-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DigitizeError(f"cannot write to output folder {out_dir}: {exc.strerror or exc}") from exc


def _split(x: np.ndarray, y: np.ndarray, share: float, rng: np.random.Generator):
    order = rng.permutation(len(x))
    n_val = int(round(len(x) * share))
    if n_val < 1 or n_val >= len(x):
        raise DigitizeError(f"validation split {share} leaves no training or no validation data")
    val, fit = order[:n_val], order[n_val:]
    return x[fit], y[fit], x[val], y[val]


def _versions() -> dict[str, str]:
    import importlib

    import cv2
    import keras

    backend = keras.backend.backend()
    return {
        "digitize": __version__,
        "python": platform.python_version(),
        backend: importlib.import_module(backend).__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }


@dataclass(frozen=True)
class _BatchRecipe:
    seed: int
    batch_size: int
    augment_share: float
    reject_fraction: float


@functools.lru_cache(maxsize=2)
def _epoch_order(seed: int, epoch: int, count: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(count)


def _make_batch(x: np.ndarray, y: np.ndarray, recipe: _BatchRecipe, epoch: int, index: int):
    """Batch `index` of `epoch`: its own random stream, so any worker makes the same batch."""
    rng = np.random.default_rng([recipe.seed, epoch, index])
    picked = _epoch_order(recipe.seed, epoch, len(x))[index * recipe.batch_size : (index + 1) * recipe.batch_size]
    images, labels = x[picked], y[picked].astype(np.int64)
    n_aug = int(round(len(picked) * recipe.augment_share))
    junk = junk_batch(rng, int(round(len(picked) * recipe.reject_fraction)), x, y)
    batch = np.concatenate([augment_batch(images[:n_aug], labels[:n_aug], rng), images[n_aug:], junk])
    return batch, np.concatenate([labels, np.full(len(junk), REJECT, np.int64)])


_worker_data: tuple[np.ndarray, np.ndarray, _BatchRecipe] | None = None


def _start_batch_worker(x: np.ndarray, y: np.ndarray, recipe: _BatchRecipe) -> None:
    global _worker_data
    import cv2

    cv2.setNumThreads(1)
    _worker_data = (x, y, recipe)


def _batch_in_worker(key: tuple[int, int]):
    assert _worker_data is not None, "worker not started"
    return _make_batch(*_worker_data, *key)


def average_weights(models: list[Any]) -> list[np.ndarray]:
    """The mean of same-architecture models' weights (batch-norm statistics included). Models
    fine-tuned from one start stay in one basin of the loss, so their mean is a model too,
    usually better than each (Wortsman et al. 2022, "model soups")."""
    weights = [model.get_weights() for model in models]
    if any([w.shape for w in each] != [w.shape for w in weights[0]] for each in weights[1:]):
        raise DigitizeError("only models of the same architecture can be averaged")
    return [np.mean(layer, axis=0) for layer in zip(*weights)]


def _initial_model(config: TrainConfig, classes: int, keras: Any) -> Any:
    """A fresh model of the chosen architecture, or a copy of `config.init` to fine-tune."""
    if config.init is None:
        model = build_model(config.arch, classes)
    else:
        model = load_model(config.init)
        if int(model.output_shape[-1]) != classes:
            raise DigitizeError(f"{config.init} has {model.output_shape[-1]} classes, this training {classes} "
                                "(use --reject/--no-reject to match it)")
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train(config: TrainConfig) -> TrainResult:
    """Train, keep the epoch with the best validation accuracy, evaluate once on the test set."""
    if config.epochs < 1 or config.batch_size < 1:
        raise DigitizeError("epochs and batch size must be at least 1")
    if config.average_with_init and config.init is None:
        raise DigitizeError("averaging with the starting model needs a starting model (--init)")
    _prepare_out_dir(config.out_dir)
    mnist = load_mnist(config.mnist)
    keras = import_keras()
    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    x_all, y_all = mnist.x_train, mnist.y_train
    if config.limit:
        x_all, y_all = x_all[: config.limit], y_all[: config.limit]
    x_fit, y_fit, x_val, y_val = _split(x_all, y_all, config.val_split, rng)
    extra_count = 0
    if config.extra:
        x_extra, y_extra = load_crop_folder(config.extra)
        extra_count = len(x_extra)
        xe_fit, ye_fit, xe_val, ye_val = _split(x_extra, y_extra, config.val_split, rng)
        x_fit, y_fit = np.concatenate([x_fit, xe_fit]), np.concatenate([y_fit, ye_fit])
        x_val, y_val = np.concatenate([x_val, xe_val]), np.concatenate([y_val, ye_val])

    reject = config.reject_fraction > 0
    classes = DIGITS + 1 if reject else DIGITS
    x_val_in, y_val_in = x_val, y_val.astype(np.int64)
    if reject:  # a fixed set of validation junk, drawn from validation digits only
        junk = junk_batch(rng, int(round(len(x_val) * config.reject_fraction)), x_val, y_val)
        x_val_in = np.concatenate([x_val, junk])
        y_val_in = np.concatenate([y_val_in, np.full(len(junk), REJECT, np.int64)])

    recipe = _BatchRecipe(config.seed, config.batch_size, config.augment_share if config.augment else 0.0,
                          config.reject_fraction)
    pool = None
    if config.workers > 1:
        pool = multiprocessing.get_context("spawn").Pool(
            config.workers, initializer=_start_batch_worker, initargs=(x_fit, y_fit, recipe))

    class AugmentedBatches(keras.utils.PyDataset):
        """Fresh augmentation each epoch, made `workers` processes ahead of the model."""

        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0
            self.ahead: Any = None
            self.next_index = 0

        def __len__(self) -> int:
            return math.ceil(len(x_fit) / config.batch_size)

        def __getitem__(self, index: int):
            if pool is not None and self.ahead is None:
                self.ahead = pool.imap(_batch_in_worker, [(self.epoch, i) for i in range(len(self))])
                self.next_index = 0
            if self.ahead is not None and index == self.next_index:
                self.next_index += 1
                images, targets = next(self.ahead)
            else:  # batches are a pure function of (seed, epoch, index): same result either way
                images, targets = _make_batch(x_fit, y_fit, recipe, self.epoch, index)
            return images[..., None].astype(np.float32), targets

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self.ahead = None

    model = _initial_model(config, classes, keras)
    model_path = config.out_dir / f"{config.name}.keras"  # a name may hold dots: digitize.fast
    callbacks = [
        keras.callbacks.ModelCheckpoint(model_path, monitor="val_accuracy", save_best_only=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.3, patience=2, min_lr=1e-5),
    ]
    if config.patience > 0:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.patience))
    started = time.time()
    try:
        history = model.fit(
            AugmentedBatches(),
            validation_data=(x_val_in[..., None].astype(np.float32), y_val_in),
            epochs=config.epochs,
            callbacks=callbacks,
            verbose=config.verbose,
        ).history
    finally:
        if pool is not None:
            pool.terminate()
    seconds = time.time() - started

    # Reload the best epoch without optimizer state: a smaller file that only predicts.
    best = keras.saving.load_model(model_path, compile=False)
    if config.average_with_init:
        best.set_weights(average_weights([best, load_model(config.init)]))
    keras.saving.save_model(best, model_path)
    load_for_inference(model_path)  # its LiteRT copy for `digitize run`, made now rather than at first use
    runtime_copy = compiled_path(model_path, file_sha256(model_path))
    classifier = Classifier(best)
    val_acc, val_loss = score(classifier.probabilities(x_val_in), y_val_in)
    test_acc, test_loss = score(classifier.probabilities(mnist.x_test), mnist.y_test)
    plots = [config.out_dir / f"{config.name}.accuracy.png", config.out_dir / f"{config.name}.loss.png"]
    from .report import plot_curves

    plot_curves(history, "accuracy", plots[0])
    plot_curves(history, "loss", plots[1])
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
    settings.pop("verbose")
    card = {
        "name": config.name,
        "architecture": config.arch,
        "initialized_from": str(config.init) if config.init else None,
        "parameters": int(best.count_params()),
        "classes": classes,
        "class_names": [str(d) for d in range(10)] + (["not a digit"] if reject else []),
        "input": "28x28 uint8, white ink on black, MNIST-normalized (digitize.normalize.to_mnist)",
        "training_data": {
            "mnist_file": mnist.path.name,
            "mnist_sha256": mnist.sha256,
            "train_images": int(len(x_fit)),
            "validation_images": int(len(x_val)),
            "extra_folder": str(config.extra) if config.extra else None,
            "extra_images": extra_count,
            "augmentation": "rotation, shear, aspect, elastic, stroke width, binarization, breaks, noise, "
                            "page scans (resampled, blurred, binarized, stroke-adjusted)"
            if config.augment else "none",
        },
        "epochs_run": len(history["loss"]),
        "best_epoch": int(np.argmax(history["val_accuracy"])) + 1,
        "validation": {"accuracy": float(val_acc), "loss": float(val_loss)},
        "test": {"accuracy": float(test_acc), "loss": float(test_loss),
                 "note": "MNIST test set, evaluated once after training; never used for selection"},
        "model_file_bytes": model_path.stat().st_size,
        "runtime_copy": runtime_copy.name if runtime_copy.is_file() else None,
        "training_seconds": round(seconds, 1),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "settings": settings,
    }
    card_path = config.out_dir / f"{config.name}.card.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    return TrainResult(model_path, card_path, plots, card)
