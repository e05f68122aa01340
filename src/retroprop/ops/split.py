"""Cutting a tensor into consecutive pieces along an axis: ``split`` and ``chunk``, as
PyTorch's.

Each piece is a basic slice of the tensor (a view, in the graph): its gradient lands in
its own part of dL/da, and the pieces' parts add up to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from retroprop.ops.axes import check_axis
from retroprop.ops.shape import getitem
from retroprop.tensor.tensor import Tensor


def _pieces(a: Tensor, axis: int, sizes: Sequence[int]) -> tuple[Tensor, ...]:
    start, pieces = 0, []
    for size in sizes:
        pieces.append(getitem(a, (slice(None),) * axis + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


def _count(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{where}: {name} must be an integer, got {value!r}")
    return int(value)


def split(a: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
          ) -> tuple[Tensor, ...]:
    """``a`` cut along ``dim`` into pieces of ``split_size_or_sections`` elements each (the
    last one smaller where it does not divide), or of the sizes in a list that adds up to
    the axis's length, as ``torch.split``; a tuple of views in the graph.

    Examples
    --------
    >>> import retroprop as rp
    >>> [p.tolist() for p in rp.arange(5).split(2)]
    [[0, 1], [2, 3], [4]]
    >>> [p.shape for p in rp.zeros(2, 5).split([1, 4], dim=1)]
    [(2, 1), (2, 4)]
    """
    if a.ndim == 0:
        raise ValueError("split: expected a tensor with at least one dimension, got a 0-d "
                         "tensor")
    axis = check_axis(dim, a.ndim, "split", name="dim")
    length = a.shape[axis]
    if isinstance(split_size_or_sections, Sequence):
        sizes = [_count(n, "each section", "split") for n in split_size_or_sections]
        if any(n < 0 for n in sizes) or sum(sizes) != length:
            raise ValueError(f"split: sections {list(split_size_or_sections)} must be "
                             f"non-negative and add up to {length}, the size of dim {axis} "
                             f"of the tensor of shape {a.shape}")
        return _pieces(a, axis, sizes)
    size = _count(split_size_or_sections, "split_size_or_sections", "split")
    if size < 0 or (size == 0 and length):
        raise ValueError(f"split: split_size_or_sections must be positive (0 only for an "
                         f"empty dim), got {size} for dim {axis} of size {length}")
    if size == 0:
        return _pieces(a, axis, [0])
    return _pieces(a, axis, [min(size, length - start) for start in range(0, length, size)]
                   or [0])


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``a`` cut along ``dim`` into at most ``chunks`` pieces of ⌈n / chunks⌉ elements (the
    last one smaller; fewer pieces where they run out), as ``torch.chunk``.

    Examples
    --------
    >>> import retroprop as rp
    >>> [p.tolist() for p in rp.arange(6).chunk(4)]
    [[0, 1], [2, 3], [4, 5]]
    """
    count = _count(chunks, "chunks", "chunk")
    if count <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {count}")
    if a.ndim == 0:
        raise ValueError("chunk: expected a tensor with at least one dimension, got a 0-d "
                         "tensor")
    axis = check_axis(dim, a.ndim, "chunk", name="dim")
    length = a.shape[axis]
    if not length:  # PyTorch gives ``chunks`` empty pieces
        return _pieces(a, axis, [0] * count)
    return split(a, -(-length // count), axis)
