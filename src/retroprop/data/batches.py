"""Mini-batches: the order in which examples are presented (Berzal: batch, online and
mini-batch learning; shuffling; class-balanced batches; more often the examples with
large error)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from retroprop.checks import check_count
from retroprop.random import generator

SAMPLINGS = ("uniform", "class_balanced", "hard_examples")


def batch_indices(n: int, batch_size: int | None, shuffle: bool = True,
                  sampling: str = "uniform", labels: np.ndarray | None = None,
                  errors: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Index arrays of one epoch's batches.

    Parameters
    ----------
    n : int
        Number of examples.
    batch_size : int or None
        1 for online learning, None for the full batch; any integer (Python's or
        NumPy's, not a bool).
    shuffle : bool
        A new random order each epoch ("uniform" sampling).
    sampling : {"uniform", "class_balanced", "hard_examples"}
        "uniform" presents each example once; "class_balanced" draws n examples
        with replacement so that every class is equally likely (needs
        ``labels``); "hard_examples" draws n examples with replacement, with
        probability proportional to the example's last error plus a floor of
        the mean error, so that high-error examples come more often without
        starving the rest (needs ``errors``; LeCun et al., Efficient BackProp).
    """
    if batch_size is not None:
        check_count(batch_size, "batch_size (or None, the full batch)")
    size = n if batch_size is None else int(batch_size)
    if sampling == "uniform":
        order = generator().permutation(n) if shuffle else np.arange(n)
    elif sampling == "class_balanced":
        if labels is None:
            raise ValueError("sampling='class_balanced' needs integer class labels")
        classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        weights = 1.0 / (len(classes) * counts[inverse])
        order = generator().choice(n, size=n, p=weights)
    elif sampling == "hard_examples":
        if errors is None:
            order = generator().permutation(n)
        else:
            weights = errors + errors.mean() + 1e-12
            order = generator().choice(n, size=n, p=weights / weights.sum())
    else:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    for start in range(0, n, size):
        yield order[start:start + size]
