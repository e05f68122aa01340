"""``rp.autograd.Function``: a differentiable operation written in PyTorch's form.

As ``torch.autograd.Function``: static ``forward(ctx, ...)`` and ``backward(ctx, ...)``
methods on tensors, ``ctx.save_for_backward`` and ``ctx.saved_tensors``::

    class MyReLU(rp.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    y = MyReLU.apply(x)

``forward`` runs outside the graph (as PyTorch's, under ``no_grad``) on the tensor
arguments, and other arguments (numbers, flags) pass through as they are; it returns one
tensor. ``backward`` gets dL/d(output) as a tensor and returns one gradient per argument
of ``forward`` (``None`` for an argument that takes none), each of its input's dtype and
shape (or of a shape that the input broadcasts to: it is summed to the input's shape, as
PyTorch's).
``ctx.needs_input_grad`` says, argument by argument, which need one, and anything else
``forward`` sets on ``ctx`` is there for ``backward``.

The engine's own operations are :class:`retroprop.tensor.Function`, whose methods take
NumPy arrays and keep what ``backward`` needs on ``self``; this class runs one of those
around the user's two methods. Not offered: several outputs, ``ctx.mark_dirty``,
``ctx.mark_non_differentiable``, ``setup_context`` and double backward
(``create_graph``), which retroprop's engine does not have.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from retroprop.tensor import function, grad_mode
from retroprop.tensor.tensor import Tensor

__all__ = ["Function"]


class _Node(function.Function):
    """The tape's node of a user's :class:`Function`: it is the ``ctx`` of its methods."""

    @classmethod
    def apply(cls, *inputs: Tensor, **options: Any) -> Tensor:
        """As the engine's ``Function.apply``, but the tensors reach the user's ``forward``
        as they are, of any dtypes (a float input and an integer index, float32 and
        float64), as PyTorch's: no operand check, no integers cast to floats; a result
        that is not floating takes no gradient, as in PyTorch."""
        fn = cls()
        fn.needs_input_grad = needs = tuple([t.requires_grad for t in inputs])
        out = Tensor._wrap(fn.forward(*[t.data for t in inputs], **options))
        if grad_mode.is_grad_enabled() and True in needs and out.data.dtype.kind == "f":
            out.requires_grad = True
            out._ctx = fn
            fn.parents = inputs
            fn.versions = tuple([t._version for t in inputs])
            fn.sequence_number = next(function._sequence)
        return out

    def forward(self, *arrays: np.ndarray, user: type[Function], args: tuple[Any, ...],
                slots: tuple[int, ...]) -> np.ndarray:
        self.user, self.slots, self.arity = user, slots, len(args)
        full = list(args)
        for slot, array in zip(slots, arrays, strict=True):
            full[slot] = Tensor._wrap(array)
        needs = [False] * len(args)
        for slot, need in zip(slots, self.needs_input_grad, strict=True):
            needs[slot] = need
        # the tape's inputs are the tensor arguments; the user sees every argument
        self.needs_input_grad = tuple(needs)
        with grad_mode.no_grad():
            out = user.forward(self, *full)
        if not isinstance(out, Tensor):
            raise TypeError(f"{user.__name__}.forward must return one Tensor, got "
                            f"{type(out).__name__}; several outputs are not supported")
        return out.data

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        user = self.user
        with grad_mode.no_grad():
            grads = user.backward(self, Tensor._wrap(grad))
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != self.arity:
            raise RuntimeError(f"{user.__name__}.backward returned {len(grads)} gradients "
                               f"for the {self.arity} arguments of forward; return one per "
                               "argument (None where there is none)")
        parents = self.parents
        out: list[np.ndarray | None] = []
        for slot, parent in zip(self.slots, parents, strict=True):
            given = grads[slot]
            if given is None or not parent.requires_grad:
                out.append(None)
                continue
            array = np.asarray(given.data if isinstance(given, Tensor) else given)
            if array.dtype != parent.data.dtype:
                raise TypeError(f"{user.__name__}.backward: the gradient of argument {slot} "
                                f"has dtype {array.dtype}, its input {parent.data.dtype}; "
                                "return it in the input's dtype")
            shape = parent.data.shape
            if array.shape != shape and not _broadcasts(shape, array.shape):
                raise RuntimeError(f"{user.__name__}.backward: the gradient of argument {slot} "
                                   f"has shape {array.shape}, its input {shape}; return one "
                                   "of the input's shape")
            out.append(array)
        return tuple(out)

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` (or None) for ``backward``, as ``ctx.save_for_backward``."""
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What ``forward`` gave ``save_for_backward``."""
        return getattr(self, "to_save", ())


def _broadcasts(shape: tuple[int, ...], to: tuple[int, ...]) -> bool:
    """Whether ``shape`` broadcasts to ``to`` (a gradient of shape ``to`` is then summed to
    ``shape`` by the engine, as PyTorch's)."""
    try:
        return np.broadcast_shapes(shape, to) == to
    except ValueError:
        return False


class Function:
    """Base of operations written in PyTorch's form (see the module's text): subclass it,
    define the static methods ``forward(ctx, *args)`` and ``backward(ctx, grad_output)``,
    and call ``YourFunction.apply(*args)``."""

    #: The node class of this function's results, ``<Name>Backward`` (made at the first
    #: ``apply``), as PyTorch's.
    _backward_cls: ClassVar[type[_Node]]

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Tensor:
        raise NotImplementedError("define forward(ctx, *args) as a @staticmethod")

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> Any:
        raise NotImplementedError("define backward(ctx, grad_output) as a @staticmethod")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """``forward`` on ``args``, recorded on the tape (when an argument requires a
        gradient and recording is on) so that ``backward`` gives the gradients."""
        slots = tuple(i for i, arg in enumerate(args) if isinstance(arg, Tensor))
        if not slots:
            raise TypeError(f"{cls.__name__}.apply: expected at least one Tensor argument, "
                            f"got {[type(arg).__name__ for arg in args]}")
        node: type[_Node] | None = cls.__dict__.get("_backward_cls")
        if node is None:  # "<Name>Backward", as PyTorch names the node (grad_fn, messages)
            node = cls._backward_cls = type(f"{cls.__name__}Backward", (_Node,),
                                            {"__module__": cls.__module__})
        return node.apply(*(args[i] for i in slots), user=cls, args=args, slots=slots)
