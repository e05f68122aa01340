"""The 8 x 8 digits as the experiments use them: flat rows of 64 pixels in [0, 1], and
pictured side by side."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.datasets.loaders import DIGITS_MAXIMUM, load_digits, scale


def flat_digits(dtype: Any = np.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                  np.ndarray]:
    """(X_train, y_train, X_test, y_test), X of shape (n, 64) with pixels / 16."""
    (X, y), (X_test, y_test) = load_digits()
    flat = lambda a: scale(a.reshape(len(a), -1), DIGITS_MAXIMUM).astype(dtype)  # noqa: E731
    return flat(X), y, flat(X_test), y_test


def digit_strip(images: np.ndarray) -> np.ndarray:
    """8 x 8 images side by side, one blank column between them and a blank row below (the
    experiments' pictures of digits)."""
    padded = np.pad(images.reshape(-1, 8, 8), ((0, 0), (0, 1), (0, 1)))
    return padded.transpose(1, 0, 2).reshape(9, -1)
