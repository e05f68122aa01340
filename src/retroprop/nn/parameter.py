"""``Parameter``: a tensor that a module learns."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.tensor.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with ``requires_grad=True`` that registers itself on a module.

    ``Parameter.data`` is the ndarray itself: optimizers update it in place.
    A floating array keeps its dtype; anything else becomes the default dtype.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.data
        keep = isinstance(data, np.ndarray) and data.dtype in (np.float32, np.float64)
        super().__init__(data, requires_grad=requires_grad, dtype=data.dtype if keep else None)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
