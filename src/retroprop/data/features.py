"""Features invariant to shifts, extracted from images by hand (Berzal, "Backpropagation"
(Granada), "En la práctica: Invarianza": invariance by feature extraction, after Haykin's
"Neural Networks and Learning Machines")."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from retroprop.checks import check_count


def _images(images: Any) -> np.ndarray:
    """``images`` as a non-empty (N, H, W) array of finite numbers; rows of H·W values are
    taken as square images."""
    array = np.asarray(images)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"fourier_magnitude: images must hold numbers, got dtype "
                         f"{array.dtype}")
    if array.ndim == 2:
        side = math.isqrt(array.shape[1])
        if side * side != array.shape[1] or side == 0:
            raise ValueError(f"fourier_magnitude: images given as rows (N, H·W) must be "
                             f"square, got rows of {array.shape[1]} values: pass them as "
                             f"(N, H, W)")
        array = array.reshape(len(array), side, side)
    if array.ndim != 3 or array.size == 0:
        raise ValueError(f"fourier_magnitude: images must be a non-empty array (N, H, W) or "
                         f"(N, H·W), got shape {np.shape(images)}")
    if not np.isfinite(array).all():
        raise ValueError("fourier_magnitude: images hold NaN or infinite values")
    return array


def fourier_magnitude(images: Any, size: tuple[int, int] | None = None) -> np.ndarray:
    """The magnitude of the 2-D discrete Fourier transform of each image, zero-padded to
    ``size`` = (P, Q) (default (2H, 2W)):

        F(u, v) = Σ_{r, c} x[r, c] · exp(-2πi (u r / P + v c / Q)),   features = |F(u, v)|

    for u = 0, …, P - 1 and v = 0, …, Q // 2 (the image is real, so
    |F(-u, -v)| = |F(u, v)| and the other half repeats these).

    Why they are invariant: moving an image circularly by (a, b) multiplies F(u, v) by
    exp(-2πi (u a / P + v b / Q)), a number of modulus 1 (the shift theorem), so |F| does
    not change at all. A shift with zero fill that pushes no ink out of the H × W image is
    such a circular shift (what wraps around is zeros), on any canvas: exactly invariant.
    A shift that crops ink is not; the features change by what was cropped.

    What they cost: the phase of F, which says where things are. |F|² is the transform of
    the image's autocorrelation Σ x[p] x[p + d] (Wiener–Khinchin; on the (2H, 2W) canvas
    the linear one, every lag apart, hence the default padding), which keeps which pixels
    lie at which offsets from which, not where: an image and its half-turn
    x[H - 1 - r, W - 1 - c] have the same features (a 6 and a 9 turned upside down).
    Nor are they invariant to rotations: rotating an image rotates its spectrum.

    Parameters
    ----------
    images : array (N, H, W), or (N, H·W) rows of square images
    size : (P, Q), P >= H and Q >= W, the canvas the images are zero-padded to

    Returns
    -------
    array (N, P · (Q // 2 + 1)), of the images' floating dtype (float64 for integers)

    Examples
    --------
    >>> x = np.zeros((1, 8, 8)); x[0, 2:5, 3] = 1.0        # a short vertical stroke
    >>> moved = np.roll(x, (1, 2), axis=(1, 2))             # down 1, right 2: no ink lost
    >>> np.allclose(fourier_magnitude(x), fourier_magnitude(moved))
    True
    """
    array = _images(images)
    height, width = array.shape[1:]
    canvas = (2 * height, 2 * width) if size is None else size
    if not isinstance(canvas, tuple | list) or len(canvas) != 2:
        raise ValueError(f"fourier_magnitude: size must be a pair (P, Q), got {size!r}")
    rows = check_count(canvas[0], "fourier_magnitude: size[0] (the images' height or more)",
                       low=height)
    cols = check_count(canvas[1], "fourier_magnitude: size[1] (the images' width or more)",
                       low=width)
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    spectrum = np.fft.rfft2(array.astype(dtype, copy=False), s=(rows, cols))
    return np.abs(spectrum).reshape(len(array), -1).astype(dtype, copy=False)
