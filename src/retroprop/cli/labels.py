"""Class labels as the network needs them (indices 0..C-1) and as the user wrote them
(words, or numbers such as the perceptron's -1/+1), kept as class names."""

from __future__ import annotations

import numpy as np


def encode_labels(y: np.ndarray, y_test: np.ndarray, class_names: list[str] | None,
                  where: str) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Training and test labels as class indices, and the class names.

    Words arrive already as indices with their names. Integers 0..C-1 stay as they are.
    Other integers (-1/+1, or 1, 2, 3) become indices in increasing order, named by their
    values, so that ``retroprop evaluate`` and the report show the user's labels.
    """
    for labels in (y, y_test):
        if labels.dtype.kind not in "iu":
            examples = np.unique(labels)[:5].tolist()
            raise ValueError(f"{where}: retroprop train trains classifiers; the labels must be "
                             f"integers or words, got values such as {examples} (dtype "
                             f"{labels.dtype})")
    if class_names is not None:
        return y, y_test, class_names
    values = np.unique(np.concatenate([y, y_test]))
    if np.array_equal(values, np.arange(len(values))):
        return y, y_test, None
    names = [str(v) for v in values]
    return np.searchsorted(values, y), np.searchsorted(values, y_test), names


def label_indices(y: np.ndarray, names: list[str] | None, known: list[str] | None,
                  where: str) -> np.ndarray:
    """Labels of another data file as indices of the classes a model was trained on
    (``known``), matched by name; a class the model does not know is an error."""
    words = np.asarray(names)[y] if names is not None else np.asarray(y).astype(str)
    if known is None:
        raise ValueError(f"{where}: the model was trained on class indices 0..C-1, the data "
                         f"has labels such as {np.unique(words)[:5].tolist()}")
    order = np.argsort(known)
    ranked = np.asarray(known)[order]
    position = np.minimum(np.searchsorted(ranked, words), len(known) - 1)
    unknown = ranked[position] != words
    if unknown.any():
        raise ValueError(f"{where}: labels {np.unique(words[unknown])[:5].tolist()} are not "
                         f"among the classes the model was trained on: {known}")
    return order[position]
