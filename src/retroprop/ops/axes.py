"""Axis arguments as PyTorch checks them: integers in range, named ``axis`` (NumPy) or
``dim`` (PyTorch)."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_axis(axis: Any, ndim: int, where: str) -> int:
    """``axis`` as a non-negative axis of a tensor with ``ndim`` dimensions (a 0-d tensor
    accepts 0 and -1, as in PyTorch)."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{where}: an axis must be an integer, got {axis!r}")
    span = max(ndim, 1)
    if not -span <= axis < span:
        raise IndexError(
            f"{where}: axis {axis} is out of range for a tensor with {ndim} dimensions "
            f"(expected {-span} to {span - 1})"
        )
    return int(axis) % span


def chosen(axis: Any, dim: Any, keepdims: bool, keepdim: bool | None, where: str
           ) -> tuple[Any, bool]:
    """The axis and keepdims given by either name (NumPy's or PyTorch's), not both."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; give one")
        axis = dim
    return axis, keepdims if keepdim is None else keepdim
