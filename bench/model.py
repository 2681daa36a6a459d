"""Classifier figures: MNIST test accuracy, file size and batched throughput on this machine.

Each model file run by TensorFlow and by LiteRT (its compiled copy, what `digitize run` uses),
and for a model with a first stage (`NAME.fast.keras`, see `digitize.model`) the two stages
together, as `digitize run` uses them.

    python bench/model.py [MODEL.keras ...] [--mnist PATH] [--batch 256] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


from digitize.data import load_mnist
from digitize.evaluate import score
from digitize.model import BUNDLED_MODEL, PREDICT_BATCH, Classifier, first_stage_path, load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path, default=[BUNDLED_MODEL])
    parser.add_argument("--mnist", type=Path)
    parser.add_argument("--batch", type=int, default=PREDICT_BATCH)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = load_mnist(args.mnist)
    print(f"cpus: {os.cpu_count()}, test digits: {len(data.x_test)}")
    print(f"{'model (runtime)':52} {'params':>8} {'MB':>6} {'test acc':>9} {'test loss':>9} {'digits/s':>9}")
    for path in args.models:
        two_stage = Classifier.load(path)
        params = load_model(path).count_params()
        keras_model = load_model(path)
        rows = [(f"{path.name} (TensorFlow)", Classifier(keras_model), path.stat().st_size, params),
                (f"{path.name} (LiteRT)", Classifier(two_stage.model), path.stat().st_size, params)]
        if two_stage.first_stage is not None:
            stage = first_stage_path(path)
            rows.append((f"{path.name} + {stage.name} (LiteRT)", two_stage,
                         path.stat().st_size + stage.stat().st_size, params + load_model(stage).count_params()))
        for name, classifier, size, params in rows:
            classifier.batch_size = args.batch
            classifier.probabilities(data.x_test[: args.batch])  # warm-up: graph tracing, allocations
            best = 0.0
            for _ in range(args.repeat):
                started = time.perf_counter()
                probabilities = classifier.probabilities(data.x_test)
                best = max(best, len(data.x_test) / (time.perf_counter() - started))
            accuracy, loss = score(probabilities, data.y_test)
            print(f"{name:52} {params:8,d} {size / 1e6:6.2f} "
                  f"{accuracy:9.4f} {loss:9.4f} {best:9.0f}")


if __name__ == "__main__":
    main()
