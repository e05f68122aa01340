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
from retroprop.atomic import atomic_write
from retroprop.datasets.files import NAMES
from retroprop.errors import DataFileError
from retroprop.safe_npz import read_npz
from retroprop.serialization import load_model, read_metadata
from retroprop.train.metrics import confusion_matrix
from retroprop.viz.curves import curve_names, epoch_axis

PREDICTIONS = "predictions.npz"


def save_predictions(folder: str | Path, y_true: np.ndarray, y_pred: np.ndarray,
                     images: np.ndarray, limit: int = 36) -> None:
    """Keep what the report needs about the test set: labels, predictions and up to
    ``limit`` misclassified images."""
    wrong = np.flatnonzero(y_true != y_pred)[:limit]
    np.savez(Path(folder) / PREDICTIONS, y_true=y_true, y_pred=y_pred,
             wrong_index=wrong, wrong_images=images[wrong])


def _predictions(path: Path) -> dict[str, np.ndarray]:
    """The arrays that :func:`save_predictions` wrote, read as untrusted data."""
    arrays = read_npz(path, where="report: ", kind="predictions file of retroprop train")
    missing = sorted({"y_true", "y_pred", "wrong_index", "wrong_images"} - set(arrays))
    if missing:
        raise DataFileError(f"report: {path} lacks {missing}; it is not a predictions file "
                            "of retroprop train")
    return arrays


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
    return {key: [float(row[key]) for row in rows] for key in rows[0]}


def data_kind(metadata: dict[str, Any]) -> str:
    """``"images"`` or ``"features"``: as recorded by ``retroprop train``, else guessed from
    the data set's name (runs saved before the kind was recorded)."""
    if "data_kind" in metadata:
        return str(metadata["data_kind"])
    return "images" if metadata.get("dataset") in NAMES else "features"


def _picture(values: np.ndarray, shape: list[int]) -> np.ndarray:
    """An example as imshow takes it: (H, W) grey, or (H, W, 3) colour scaled to [0, 1]."""
    image = values.reshape(shape)
    if image.ndim == 2:
        return image
    if image.shape[0] in (3, 4):
        image = np.moveaxis(image, 0, -1)
        return (image - image.min()) / max(float(np.ptp(image)), 1e-12)
    return image.reshape(image.shape[-2:]) if image[0].size == image.size else image[0]


def _misclassified_images(predictions: Any, names: list[str], shape: list[int]) -> str:
    plt = pyplot()

    images, index = predictions["wrong_images"], predictions["wrong_index"]
    side = int(np.ceil(np.sqrt(len(images))))
    figure, axes = plt.subplots(side, side, figsize=(1.4 * side, 1.6 * side), squeeze=False)
    for k, axis in enumerate(axes.ravel()):
        axis.axis("off")
        if k < len(images):
            axis.imshow(_picture(images[k], shape), cmap="gray")
            axis.set_title(f"{names[predictions['y_true'][index[k]]]}→"
                           f"{names[predictions['y_pred'][index[k]]]}", fontsize=7)
    return _png(figure)


def _misclassified_table(predictions: Any, names: list[str], features: list[str]) -> str:
    """Misclassified rows of a feature table: true and predicted class, then the first
    features (standardized, as the network saw them)."""
    shown = features[:8]
    head = "".join(f"<th>{html.escape(f)}</th>" for f in ["test row", "true", "predicted",
                                                           *shown])
    rows = []
    for k, row in zip(predictions["wrong_index"], predictions["wrong_images"], strict=True):
        cells = [str(k), names[predictions["y_true"][k]], names[predictions["y_pred"][k]],
                 *(f"{v:.3g}" for v in row.ravel()[:len(shown)])]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _figures(folder: Path, metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """(heading, HTML) of each section: an embedded PNG, or a table."""
    plt = pyplot()

    history = _history(folder)
    epochs = history.pop("epoch")
    figures = []
    names = curve_names(history)
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        axis.plot(epochs, history[name], marker="o", label="training")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], marker="s", label="validation")
        epoch_axis(axis)
        axis.set_title(name)
        axis.legend()
    figures.append(("Learning curves", _img("Learning curves", _png(figure))))

    gradients = {k.split("/", 1)[1]: v for k, v in history.items()
                 if k.startswith("grad_norm/") and k.endswith(".weight")}
    if gradients:
        figure, axis = plt.subplots(figsize=(6, 3.5))
        for layer, values in gradients.items():
            axis.plot(epochs, values, label=layer)
        epoch_axis(axis)
        axis.set_title("gradient norm per layer")
        if all(min(values) > 0 for values in gradients.values()):
            axis.set_yscale("log")
        axis.legend(fontsize=8)
        figures.append(("Gradient norms per layer", _img("Gradient norms", _png(figure))))

    predictions = _predictions(folder / PREDICTIONS)
    matrix = confusion_matrix(predictions["y_true"], predictions["y_pred"],
                              num_classes=metadata.get("classes"))
    classes = metadata.get("class_names") or [str(i) for i in range(len(matrix))]
    figure, axis = plt.subplots(figsize=(5 + 0.15 * len(matrix), 4.5 + 0.15 * len(matrix)))
    shown = axis.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        axis.text(j, i, str(value), ha="center", va="center", fontsize=7)
    axis.set_xticks(range(len(matrix)), classes, rotation=90 if metadata.get("class_names")
                    else 0, fontsize=7)
    axis.set_yticks(range(len(matrix)), classes, fontsize=7)
    axis.set(xlabel="predicted", ylabel="true", title="confusion matrix")
    figure.colorbar(shown)
    figures.append(("Confusion matrix", _img("Confusion matrix", _png(figure))))

    if len(predictions["wrong_images"]):
        if data_kind(metadata) == "images":
            shape = metadata.get("image_shape") or metadata["input_shape"]
            figures.append(("Misclassified test images (true → predicted)", _img(
                "Misclassified test images", _misclassified_images(predictions, classes,
                                                                   shape))))
        else:
            features = metadata.get("feature_names") or [
                f"x{i + 1}" for i in range(predictions["wrong_images"][0].size)]
            figures.append(("Misclassified test examples (true → predicted)",
                            _misclassified_table(predictions, classes, features)))

    model = load_model(folder / "model.rpz")
    weights = [(name, p.data) for name, p in model.named_parameters() if name.endswith("weight")]
    figure, axes = plt.subplots(1, len(weights), figsize=(3.2 * len(weights), 2.8),
                                squeeze=False)
    for axis, (name, weight) in zip(axes[0], weights, strict=True):
        finite = np.isfinite(weight)  # a diverged run: the histogram of what is left
        axis.hist(weight[finite], bins=50)
        missing = weight.size - int(finite.sum())
        axis.set_title(name + (f" ({missing:,} not finite)" if missing else ""), fontsize=9)
    figures.append(("Weight histograms", _img("Weight histograms", _png(figure))))
    return figures


def _img(alt: str, source: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="{source}">'


def build_report(folder: str | Path) -> Path:
    """Write ``folder/report.html`` from the run's model, history and predictions."""
    folder = Path(folder)
    for name in ("model.rpz", "history.csv", PREDICTIONS):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"report: {folder} has no {name}; is it a folder written "
                                    "by retroprop train?")
    metadata = read_metadata(folder / "model.rpz")
    title = f"retroprop run: {metadata.get('config', {}).get('model', 'model')} on " \
            f"{Path(str(metadata.get('dataset', '?'))).name}"
    sections = "\n".join(f"<section><h2>{html.escape(heading)}</h2>{body}</section>"
                         for heading, body in _figures(folder, metadata))
    test = metadata.get("test", {})
    summary = ", ".join(f"{k} {v:.4f}" for k, v in test.items())
    settings = html.escape(json.dumps(metadata.get("config", {}), indent=2))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
img{{max-width:100%}}pre{{background:#f5f5f5;padding:1em}}
table{{border-collapse:collapse;font-size:90%}}
td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head>
<body><h1>{html.escape(title)}</h1><p>Test: {html.escape(summary)}</p>
{sections}
<h2>Settings</h2><pre>{settings}</pre></body></html>
"""
    return atomic_write(folder / "report.html", page)
