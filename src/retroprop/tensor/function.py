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

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop.tensor import grad_mode
from retroprop.tensor.tensor import Tensor, get_default_dtype

Gradients = np.ndarray | None | tuple[np.ndarray | None, ...]

_sequence = itertools.count()
_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def _not_tensors(where: str, inputs: tuple[Any, ...]) -> TypeError:
    """The error for an operation given something other than tensors (``rp.exp(array)``)."""
    index, value = next((i, v) for i, v in enumerate(inputs) if not isinstance(v, Tensor))
    return TypeError(f"{where}: expected Tensors, got {type(value).__name__} as operand "
                     f"{index}; make it one with rp.tensor(...)")


class Function:
    """Base class of the operations recorded on the tape."""

    parents: tuple[Tensor, ...]
    #: each input's ``_version`` when the node was made (checked by ``backward``)
    versions: tuple[int, ...]
    needs_input_grad: tuple[bool, ...]
    #: Creation order: a node is always made after the nodes of its inputs, so
    #: visiting nodes by decreasing number is a topological order (as in PyTorch).
    sequence_number: int
    released: bool = False
    #: Whether integer inputs give an integer result (sums, products, shapes), as in
    #: PyTorch; other operations (division, exp, sigmoid, mean) compute on the inputs
    #: converted to the default floating dtype, as PyTorch's integer-to-float promotion
    #: does. Integer tensors never need a gradient, so no node is recorded for either.
    keeps_integers: bool = False

    #: ``forward(*arrays, **options)``, each operation with its own parameters (declared
    #: as a callable so that type checkers accept every operation's signature).
    forward: Callable[..., np.ndarray]

    def backward(self, grad: np.ndarray) -> Gradients:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **options: Any) -> Tensor:
        """Run ``forward`` on the inputs' arrays and, if any input needs a
        gradient and recording is on, link the output to this node."""
        try:  # (free unless raised: a NumPy array's .data is a memoryview without dtype)
            dtype = inputs[0].data.dtype
            for tensor in inputs[1:]:
                if tensor.data.dtype != dtype:
                    raise TypeError(
                        f"{cls.__name__}: operands have dtypes {dtype} and "
                        f"{tensor.data.dtype}; retroprop never upcasts silently: convert one "
                        "operand first, e.g. Tensor(x.numpy(), dtype=np.float64)"
                    )
        except AttributeError:
            if all(isinstance(tensor, Tensor) for tensor in inputs):
                raise
            raise _not_tensors(cls.__name__, inputs) from None
        fn = cls()
        fn.needs_input_grad = needs = tuple([t.requires_grad for t in inputs])
        arrays = [t.data for t in inputs]
        # float32 and float64 by identity first: the test costs 7 ns instead of 25 per op
        integers = dtype is not _FLOAT32 and dtype is not _FLOAT64 and dtype.kind in "biu"
        if integers and not cls.keeps_integers:
            arrays = [array.astype(get_default_dtype()) for array in arrays]
        data = fn.forward(*arrays, **options)
        if type(data) is not np.ndarray:  # NumPy gives scalars for 0-d results
            data = np.asarray(data)
        if integers and data.dtype.kind == "f":  # 2 ** -0.5, 3 / 2
            data = data.astype(get_default_dtype())
        out = Tensor._wrap(data)
        if grad_mode._mode.enabled and True in needs:
            out.requires_grad = True
            out._ctx = fn
            fn.parents = inputs
            fn.versions = tuple([t._version for t in inputs])
            fn.sequence_number = next(_sequence)
        return out

    @property
    def next_functions(self) -> tuple[tuple[Function | None, int], ...]:
        """The nodes of this node's inputs, ``(node, 0)`` each, ``(None, 0)`` for a leaf
        (PyTorch's ``grad_fn.next_functions`` gives an ``AccumulateGrad`` node for a leaf
        that requires grad)."""
        if self.released:
            raise RuntimeError(f"next_functions: the graph of this {type(self).__name__} node "
                               "was freed by backward(); call backward(retain_graph=True) to "
                               "keep it")
        return tuple([(parent._ctx, 0) for parent in self.parents])

    def release(self) -> None:
        """Drop saved arrays and links once ``backward`` has used them."""
        self.__dict__.clear()
        self.released = True


class ViewFunction(Function):
    """An operation whose result may share its input's memory (reshape, transpose, basic
    indexing). Such a result remembers that input as its base, so that a write through it
    (``v = t[0]``, then ``v += 1`` under ``no_grad()``) counts as a write of the base too:
    its version goes up and ``backward`` refuses a node that saved it, as PyTorch's views
    share their base's version counter. Only this way round: a write into the base is not
    seen by a node that saved the view."""

    @classmethod
    def apply(cls, *inputs: Tensor, **options: Any) -> Tensor:
        out = super().apply(*inputs, **options)
        source = inputs[0].data
        base = out.data.base
        if base is not None and base is (source if source.base is None else source.base):
            out._base = inputs[0]
        return out
