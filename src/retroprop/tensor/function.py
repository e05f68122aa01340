"""The node type of the tape: an operation with its forward and its vector-Jacobian product.

Every differentiable operation in :mod:`retroprop.ops` subclasses
:class:`Function` and writes two methods side by side:

* ``forward(*arrays, **options)`` computes the output from NumPy arrays and
  keeps on ``self`` whatever ``backward`` will need;
* ``backward(grad)`` receives dL/d(output) and returns dL/d(input), one
  array per input (``None`` where an input needs none), in the shape the
  forward produced; the engine sums broadcast dimensions back to each
  input's shape and accumulates gradients that meet at one tensor.

``needs_input_grad`` tells both methods which inputs require a gradient,
so that, as in PyTorch, work for an input that needs none is skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.tensor import grad_mode

if TYPE_CHECKING:
    from retroprop.tensor.tensor import Tensor

Gradients = np.ndarray | None | tuple[np.ndarray | None, ...]


class Function:
    """Base class of the operations recorded on the tape."""

    parents: tuple[Tensor, ...]
    needs_input_grad: tuple[bool, ...]
    released: bool = False

    def forward(self, *inputs: np.ndarray, **options: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> Gradients:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **options: Any) -> Tensor:
        """Run ``forward`` on the inputs' arrays and, if any input needs a
        gradient and recording is on, link the output to this node."""
        from retroprop.tensor.tensor import Tensor

        dtype = inputs[0].data.dtype
        for tensor in inputs[1:]:
            if tensor.data.dtype != dtype:
                raise TypeError(
                    f"{cls.__name__}: operands have dtypes {dtype} and {tensor.data.dtype}; "
                    "retroprop never upcasts silently: convert one operand first, "
                    "e.g. Tensor(x.numpy(), dtype=np.float64)"
                )
        fn = cls()
        fn.needs_input_grad = tuple(t.requires_grad for t in inputs)
        requires_grad = grad_mode.is_grad_enabled() and any(fn.needs_input_grad)
        out = Tensor._wrap(fn.forward(*(t.data for t in inputs), **options), requires_grad)
        if requires_grad:
            fn.parents = inputs
            out._ctx = fn
        return out

    def release(self) -> None:
        """Drop saved arrays and links once ``backward`` has used them."""
        self.__dict__.clear()
        self.released = True
