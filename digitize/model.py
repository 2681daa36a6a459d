"""The CNN: architectures, safe loading, and batched classification.

Models are built, trained and stored with Keras (TensorFlow); reading pages runs their LiteRT
copies (`CompiledModel`), made once beside each model file. Both are imported here only,
inside functions: `digitize --help` and the page-reading workers never load either, and a
run never imports TensorFlow once the copies exist.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from .data import file_sha256
from .errors import DigitizeError

if TYPE_CHECKING:
    import keras

#: Class index of "not a digit" in models trained with a reject class.
REJECT = 10
DIGITS = 10
BUNDLED_MODEL = Path(__file__).resolve().parent.parent / "models" / "digitize.keras"
MODEL_ENV = "DIGITIZE_MODEL"
#: Conv widths of the three blocks and the dense layer, per Conv-BN-ReLU architecture.
WIDTHS = {"wide": (32, 64, 128, 256), "compact": (16, 32, 64, 128)}
ARCHITECTURES = (*WIDTHS, "seed")
#: Chunk size of graph-mode prediction: large enough to amortize the call, small enough for cache.
PREDICT_BATCH = 256
#: A first-stage model's answer stands when its top probability reaches this; the crops it is
#: less sure of go to the full model.
FIRST_STAGE_SURE = 0.999


@functools.cache
def import_keras() -> Any:
    """Import Keras with TensorFlow's start-up noise silenced (once: it is on the per-page path)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with _quiet_output():  # TensorFlow's native start-up lines ("oneDNN custom operations are on")
        import keras       # come before its log level is read

    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:
        pass
    return keras


def build_model(arch: str = "wide", classes: int = DIGITS + 1) -> "keras.Model":
    """A fresh, uncompiled model (training compiles it). `seed` is the original design kept as a baseline."""
    keras = import_keras()
    layers = keras.layers
    inputs = keras.Input((28, 28, 1), name="digit")
    x = layers.Rescaling(1 / 255)(inputs)
    if arch == "seed":
        x = layers.Conv2D(64, 2, activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(0.3)(x)
        x = layers.Conv2D(32, 2, activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(0.3)(x)
        x = layers.Flatten()(x)
        x = layers.Dense(256, activation="relu")(x)
        x = layers.Dropout(0.5)(x)
    elif arch in WIDTHS:
        # Conv-BN-ReLU blocks, one pooling per block: wide (the default) ≈ 22 M multiply-adds
        # per digit; compact, a quarter of that, is 2-3x faster on a CPU and ~0.1 point less accurate.
        first, second, third, dense = WIDTHS[arch]

        def block(tensor: Any, filters: int) -> Any:
            tensor = layers.Conv2D(filters, 3, padding="same", use_bias=False)(tensor)
            tensor = layers.BatchNormalization()(tensor)
            return layers.ReLU()(tensor)

        x = block(x, first)
        x = layers.MaxPooling2D(2)(x)
        x = block(x, second)
        x = block(x, second)
        x = layers.MaxPooling2D(2)(x)
        x = block(x, third)
        x = block(x, third)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Flatten()(x)
        x = layers.Dropout(0.4)(x)
        x = layers.Dense(dense, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Dropout(0.4)(x)
    else:
        raise DigitizeError(f"unknown architecture {arch!r} (choose from {', '.join(ARCHITECTURES)})")
    outputs = layers.Dense(classes, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name=arch)


def default_model_path() -> Path:
    """$DIGITIZE_MODEL if set, else the bundled model."""
    return Path(os.environ[MODEL_ENV]) if os.environ.get(MODEL_ENV) else BUNDLED_MODEL


def load_model(path: str | os.PathLike[str] | None = None) -> "keras.Model":
    """Load a model and check that it maps 28x28 digits to 10 or 11 classes."""
    resolved = Path(path) if path else default_model_path()
    if not resolved.is_file():
        raise DigitizeError(f"model file not found: {resolved}")
    keras = import_keras()
    try:
        model = keras.saving.load_model(resolved, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a damaged archive
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DigitizeError(f"model file {resolved} is damaged or not a Keras model: {reason}") from exc
    if tuple(model.input_shape[1:]) != (28, 28, 1) or model.output_shape[-1] not in (DIGITS, DIGITS + 1):
        raise DigitizeError(
            f"model file {resolved} maps {model.input_shape} to {model.output_shape}; "
            "a digit model maps (None, 28, 28, 1) to 10 or 11 classes"
        )
    return model


def first_stage_path(model_path: Path) -> Path:
    """Where a model's first stage lives: `digitize.keras` → `digitize.fast.keras`."""
    return model_path.with_name(model_path.stem + ".fast.keras")


def _first_stage_for(model_path: Path) -> "keras.Model | CompiledModel | None":
    """The small model that answers easy crops first, if one was made for exactly this model
    (its card names the model's SHA-256): a retrained model never inherits a stale first stage."""
    stage = first_stage_path(model_path)
    card = stage.with_name(stage.stem + ".card.json")
    if not (stage.is_file() and card.is_file()):
        return None
    try:
        meant_for = json.loads(card.read_text())["first_stage_for"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return load_for_inference(stage) if meant_for == file_sha256(model_path) else None


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the OS tells it)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def compiled_path(model_path: Path, sha256: str) -> Path:
    """The LiteRT copy of a model sits beside it, named by the model's SHA-256: a retrained or
    replaced model never runs a stale copy."""
    return model_path.with_name(f"{model_path.stem}.{sha256[:12]}.tflite")


def load_for_inference(path: Path) -> "keras.Model | CompiledModel":
    """The model ready to classify: its LiteRT copy (made and saved beside it on first use),
    else the Keras model itself where LiteRT is not installed."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return load_model(path)
    compiled = compiled_path(path, file_sha256(path))
    if compiled.is_file():
        try:
            return CompiledModel(compiled.read_bytes(), str(compiled))
        except (OSError, ValueError, RuntimeError):
            pass  # a damaged copy is made again
    content = compile_model(load_model(path))
    try:
        temporary = compiled.with_suffix(f".{os.getpid()}.partial")  # runs starting together each write their own
        temporary.write_bytes(content)
        temporary.replace(compiled)
        for old in path.parent.glob(f"{path.stem}.*.tflite"):  # copies of the model it replaced
            if re.fullmatch(rf"{re.escape(path.stem)}\.[0-9a-f]{{12}}\.tflite", old.name) and old != compiled:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only folder: this run converts in memory, the next one again
    return CompiledModel(content, str(path))


def compile_model(model: "keras.Model") -> bytes:
    """Convert a Keras model to LiteRT (float32, the same numbers within ~1e-5)."""
    import_keras()
    import tensorflow as tf

    with _quiet_output():  # the converter prints its whole signature
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()


@contextlib.contextmanager
def _quiet_output() -> Iterator[None]:
    """Silence stdout and stderr, Python's and the native code's: the converter prints its whole
    signature, LiteRT announces its CPU delegate."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            yield
    finally:
        sys.stdout.flush()  # what Python printed meanwhile goes to the null device too
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


class CompiledModel:
    """A model run by LiteRT: about half TensorFlow's CPU time per digit at any batch size, and
    it imports in 0.1 s where TensorFlow takes seconds. Offers what `Classifier` uses of a
    Keras model."""

    compiled = True

    def __init__(self, content: bytes, name: str) -> None:
        from ai_edge_litert.interpreter import Interpreter

        with _quiet_output():
            self.interpreter = Interpreter(model_content=content, num_threads=min(4, usable_cpus()))
            self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        classes = int(self.output["shape"][-1])
        if tuple(self.input["shape"][1:]) != (28, 28, 1) or classes not in (DIGITS, DIGITS + 1):
            raise DigitizeError(f"compiled model {name} does not map 28x28 digits to 10 or 11 classes")
        self.output_shape = (None, classes)
        self.shape = tuple(self.input["shape"])

    def predict_on_batch(self, images: np.ndarray) -> np.ndarray:
        if images.shape != self.shape:
            self.interpreter.resize_tensor_input(self.input["index"], images.shape)
            self.interpreter.allocate_tensors()
            self.shape = images.shape
        self.interpreter.set_tensor(self.input["index"], images)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"]).copy()


@dataclass
class Classifier:
    """A loaded model (Keras, or its LiteRT copy) plus the batched prediction every command uses.

    With a `first_stage`, every crop goes through that small model first and only the crops it
    is not sure of (about one in five on a page) through the full model: about half the time per
    crop, the same reads on the development sets.
    """

    model: "keras.Model | CompiledModel"
    batch_size: int = PREDICT_BATCH
    first_stage: "keras.Model | CompiledModel | None" = None

    def __post_init__(self) -> None:
        for model in (self.model, self.first_stage):
            if model is not None and not model.compiled:
                # predict_on_batch runs a traced graph (jit-compiled where the backend wants it):
                # about 3x faster per digit than calling the model eagerly.
                model.compile()
        if self.first_stage is not None and self.first_stage.output_shape != self.model.output_shape:
            self.first_stage = None

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "Classifier":
        resolved = Path(path) if path else default_model_path()
        if not resolved.is_file():
            raise DigitizeError(f"model file not found: {resolved}")
        classifier = cls(load_for_inference(resolved), first_stage=_first_stage_for(resolved))
        classifier.warm_up()
        return classifier

    def warm_up(self) -> None:
        """Trace the prediction graphs now, as part of start-up: TensorFlow traces a new graph for
        the first two batch sizes it sees (then one for any size), ~0.15 s each."""
        for model in (self.model, self.first_stage):
            if model is not None:
                for size in (1, 2):
                    self._predict(model, np.zeros((size, 28, 28), np.uint8))

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities for (N, 28, 28) uint8 images, in large batches."""
        if len(images) == 0:
            return np.zeros((0, int(self.model.output_shape[-1])), np.float32)
        if self.first_stage is None:
            return self._predict(self.model, images)
        probabilities = self._predict(self.first_stage, images)
        unsure = probabilities.max(1) < FIRST_STAGE_SURE
        if unsure.any():
            probabilities[unsure] = self._predict(self.model, images[unsure])
        return probabilities

    def _predict(self, model: "keras.Model", images: np.ndarray) -> np.ndarray:
        x = images.reshape(-1, 28, 28, 1).astype(np.float32)
        chunks = [np.asarray(model.predict_on_batch(x[start : start + self.batch_size]))
                  for start in range(0, len(x), self.batch_size)]
        return np.concatenate(chunks)
