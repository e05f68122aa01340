"""A self-contained HTML training report: learning curves, per-layer gradient norms, the
confusion matrix, a grid of misclassified images and weight histograms, every image
embedded (no network access). ``retroprop train`` writes ``report.html`` in its run
folder; ``retroprop report RUN_DIR`` rebuilds it from the files there."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from retroprop._optional import pyplot
from retroprop.serialization import load, read_metadata
from retroprop.train.metrics import confusion_matrix
from retroprop.viz.curves import curve_names

PREDICTIONS = "predictions.npz"


def save_predictions(folder: str | Path, y_true: np.ndarray, y_pred: np.ndarray,
                     images: np.ndarray, limit: int = 36) -> None:
    """Keep what the report needs about the test set: labels, predictions and up to
    ``limit`` misclassified images."""
    wrong = np.flatnonzero(y_true != y_pred)[:limit]
    np.savez(Path(folder) / PREDICTIONS, y_true=y_true, y_pred=y_pred,
             wrong_index=wrong, wrong_images=images[wrong])


def _png(figure: Any) -> str:
    plt = pyplot()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _history(folder: Path) -> dict[str, list[float]]:
    with (folder / "history.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"report: {folder / 'history.csv'} holds no epochs")
    return {key: [float(row[key]) for row in rows] for key in rows[0] if key != "epoch"}


def _figures(folder: Path) -> list[tuple[str, str]]:
    plt = pyplot()

    history = _history(folder)
    figures = []
    names = curve_names(history)
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        axis.plot(history[name], label="training")
        if f"val_{name}" in history:
            axis.plot(history[f"val_{name}"], label="validation")
        axis.set(title=name, xlabel="epoch")
        axis.legend()
    figures.append(("Learning curves", _png(figure)))

    gradients = {k.split("/", 1)[1]: v for k, v in history.items()
                 if k.startswith("grad_norm/") and k.endswith(".weight")}
    if gradients:
        figure, axis = plt.subplots(figsize=(6, 3.5))
        for layer, values in gradients.items():
            axis.plot(values, label=layer)
        axis.set(title="gradient norm per layer", xlabel="epoch", yscale="log")
        axis.legend(fontsize=8)
        figures.append(("Gradient norms per layer", _png(figure)))

    predictions = np.load(folder / PREDICTIONS, allow_pickle=False)
    matrix = confusion_matrix(predictions["y_true"], predictions["y_pred"])
    figure, axis = plt.subplots(figsize=(5, 4.5))
    shown = axis.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        axis.text(j, i, str(value), ha="center", va="center", fontsize=7)
    axis.set(xlabel="predicted", ylabel="true", title="confusion matrix")
    figure.colorbar(shown)
    figures.append(("Confusion matrix", _png(figure)))

    images = predictions["wrong_images"]
    if len(images):
        side = int(np.ceil(np.sqrt(len(images))))
        figure, axes = plt.subplots(side, side, figsize=(1.4 * side, 1.6 * side),
                                    squeeze=False)
        index = predictions["wrong_index"]
        for k, axis in enumerate(axes.ravel()):
            axis.axis("off")
            if k < len(images):
                image = images[k].reshape(images[k].shape[-2:]) if images[k].ndim > 1 else \
                    images[k].reshape(int(np.sqrt(images[k].size)), -1)
                axis.imshow(image, cmap="gray")
                axis.set_title(f"{predictions['y_true'][index[k]]}→"
                               f"{predictions['y_pred'][index[k]]}", fontsize=8)
        figures.append(("Misclassified test images (true → predicted)", _png(figure)))

    model = load(folder / "model.rpz")
    weights = [(name, p.data) for name, p in model.named_parameters() if name.endswith("weight")]
    figure, axes = plt.subplots(1, len(weights), figsize=(3.2 * len(weights), 2.8),
                                squeeze=False)
    for axis, (name, values) in zip(axes[0], weights, strict=True):
        axis.hist(values.ravel(), bins=50)
        axis.set_title(name, fontsize=9)
    figures.append(("Weight histograms", _png(figure)))
    return figures


def build_report(folder: str | Path) -> Path:
    """Write ``folder/report.html`` from the run's model, history and predictions."""
    folder = Path(folder)
    for name in ("model.rpz", "history.csv", PREDICTIONS):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"report: {folder} has no {name}; is it a folder written "
                                    "by retroprop train?")
    metadata = read_metadata(folder / "model.rpz")
    title = f"retroprop run: {metadata.get('config', {}).get('model', 'model')} on " \
            f"{metadata.get('dataset', '?')}"
    sections = "\n".join(
        f'<section><h2>{html.escape(heading)}</h2><img alt="{html.escape(heading)}" '
        f'src="{source}"></section>' for heading, source in _figures(folder))
    test = metadata.get("test", {})
    summary = ", ".join(f"{k} {v:.4f}" for k, v in test.items())
    settings = html.escape(json.dumps(metadata.get("config", {}), indent=2))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
img{{max-width:100%}}pre{{background:#f5f5f5;padding:1em}}</style></head>
<body><h1>{html.escape(title)}</h1><p>Test: {html.escape(summary)}</p>
{sections}
<h2>Settings</h2><pre>{settings}</pre></body></html>
"""
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
