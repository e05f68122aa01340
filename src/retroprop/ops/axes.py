"""Axis arguments as PyTorch checks them: integers in range, named ``axis`` (NumPy) or
``dim`` (PyTorch); and the tensor they apply to (``rp.sum([1, 2])`` is told to make one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from retroprop.tensor.tensor import Tensor


def tensor_input(a: Any, where: str) -> Any:
    """``a``, or the error for an input that is not a tensor (a list, an ndarray), which
    would otherwise fail on its missing ``.ndim`` or ``.data``."""
    if not isinstance(a, Tensor):
        raise TypeError(f"{where}: expected a Tensor as input, got {type(a).__name__}; make "
                        "it one with rp.tensor(...)")
    return a


def check_axis(axis: Any, ndim: int, where: str, *, name: str = "axis",
               shape: tuple[int, ...] | None = None) -> int:
    """``axis`` as a non-negative axis of a tensor with ``ndim`` dimensions (a 0-d tensor
    accepts 0 and -1, as in PyTorch). ``name`` is the argument's name in the messages, and
    ``shape`` the tensor's shape where ``ndim`` counts a new axis (``unsqueeze``,
    ``stack``)."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{where}: {name} must be an integer, got {axis!r}")
    span = max(ndim, 1)
    if not -span <= axis < span:
        tensor = f"{ndim} dimensions" if shape is None else f"shape {shape}"
        raise IndexError(
            f"{where}: {name} {axis} is out of range for a tensor with {tensor} "
            f"(expected {-span} to {span - 1})"
        )
    return int(axis) % span


def check_axes(axis: Any, ndim: int, where: str, *, name: str = "axis",
               shape: tuple[int, ...] | None = None, empty_is_all: bool = False
               ) -> tuple[int, ...]:
    """``axis`` (an integer, a sequence of them, or None for all) as a sorted tuple of
    distinct non-negative axes (none for a 0-d tensor). An empty sequence names no axis
    (NumPy's ``axis=()``), or every axis with ``empty_is_all`` (PyTorch's reductions read
    ``dim=()`` so)."""
    if axis is None or (empty_is_all and isinstance(axis, Sequence) and not len(axis)):
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else axis
    if not isinstance(axes, Sequence):
        raise TypeError(
            f"{where}: {name} must be an integer or a tuple of integers, got {axis!r}")
    resolved = {check_axis(a, ndim, where, name=name, shape=shape) for a in axes}
    if len(resolved) != len(axes):
        raise ValueError(f"{where}: {name} {axis!r} names an axis twice")
    return tuple(sorted(resolved)) if ndim else ()


def chosen(axis: Any, dim: Any, keepdims: bool, keepdim: bool | None, where: str
           ) -> tuple[Any, bool]:
    """The axis and keepdims given by either name (NumPy's or PyTorch's), not both."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; give one")
        axis = dim
    return axis, keepdims if keepdim is None else keepdim
