"""Pictures for people: training curves, confusion matrices, grids of misread digits."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; servers have no display
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: dict[str, list[float]], metric: str, path: Path) -> None:
    """One metric per epoch, training against validation."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(history[metric]) + 1)
    ax.plot(epochs, history[metric], marker="o", label="training")
    if f"val_{metric}" in history:
        ax.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per epoch")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(matrix: np.ndarray, labels: list[str], path: Path) -> None:
    """Confusion matrix with counts in the cells; rows are the truth."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    shown = np.log1p(matrix)
    ax.imshow(shown, cmap="Blues")
    ax.set_xticks(range(matrix.shape[1]), labels[: matrix.shape[1]])
    ax.set_yticks(range(matrix.shape[0]), labels[: matrix.shape[0]])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    limit = shown.max() / 2
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            ax.text(col, row, str(count), ha="center", va="center", fontsize=7,
                    color="white" if shown[row, col] > limit else "black")
    ax.set_title("confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_misread(images: np.ndarray, truth: np.ndarray, predicted: np.ndarray, path: Path,
                 limit: int = 100) -> None:
    """A grid of misread digits titled 'true→predicted', to see what the model gets wrong."""
    plt = _pyplot()
    count = min(len(images), limit)
    cols = 10
    rows = max(1, int(np.ceil(count / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < count:
            ax.imshow(images[index], cmap="gray", vmin=0, vmax=255)
            guess = "x" if predicted[index] == 10 else str(predicted[index])
            ax.set_title(f"{truth[index]}→{guess}", fontsize=8)
    if count == 0:
        axes.flat[0].text(0.5, 0.5, "no misread digits", ha="center")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
