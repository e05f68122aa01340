"""Gradient hooks on tensors: ``Tensor.register_hook`` and ``Tensor.retain_grad``, as
PyTorch's, and the handle that takes a hook off (modules' hooks use it too).

Backpropagation computes dL/dy for every intermediate value y on its way to the weights
(Berzal, "Backpropagation" (Granada)), then forgets it: only the leaves keep ``.grad``.
A hook sees dL/dy when the backward pass has completed it (the sum over every use of y)
and may replace it; ``retain_grad()`` keeps it in ``y.grad``. This is how the vanishing
gradient is seen layer by layer (FAMAF (Córdoba), "Redes neuronales", clase 21).

The hooked tensors are kept here, by id, each with a weak reference to its tensor (a
tensor that goes takes its hooks along): a program that registers none leaves the
registry empty, and ``backward`` then makes no check per node. Hooks are not part of a
tensor's value: ``copy.deepcopy`` and pickling leave them behind, as PyTorch's do.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from retroprop.tensor.tensor import Tensor

#: one id per registered hook, unique in the process (as PyTorch's handles')
_ids = itertools.count()


class RemovableHandle:
    """What registering a hook returns: ``remove()`` takes the hook off its owner (a
    module or a tensor), as PyTorch's ``torch.utils.hooks.RemovableHandle``; removing twice
    does nothing. Also a context manager, which removes the hook at the end of the ``with``
    block.

    Attributes
    ----------
    id : int
        The hook's id, unique in the process.
    """

    __slots__ = ("_owner", "id")

    def __init__(self, owner: Any) -> None:
        self.id = next(_ids)
        self._owner = weakref.ref(owner)

    def remove(self) -> None:
        """Take the hook off the object it was registered on (not off a copy of it)."""
        owner = self._owner()
        if owner is not None:
            owner._remove_hook(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"RemovableHandle(id={self.id})"


class TensorHooks:
    """The gradient hooks of one tensor, by handle id in the order they run, and whether
    a computed tensor keeps its gradient (``retain_grad``)."""

    __slots__ = ("hooks", "ref", "retains")

    def __init__(self, tensor: Tensor) -> None:
        self.ref = weakref.ref(tensor, partial(_forget, id(tensor)))
        self.hooks: OrderedDict[int, Callable[[np.ndarray], Any]] = OrderedDict()
        self.retains = False

    def run(self, tensor: Tensor, grad: np.ndarray) -> np.ndarray:
        """The hooks in order, each on the previous one's result, then ``retain_grad``'s
        copy (last, whatever the order of registration, as in PyTorch)."""
        for hook in tuple(self.hooks.values()):
            result = hook(grad)
            if result is not None:
                grad = checked_gradient(result, grad, f"the hook {_name(hook)}", "tensor")
        if self.retains:
            tensor.grad = np.array(grad) if tensor.grad is None else tensor.grad + grad
        return grad


#: the tensors that have hooks or retain their gradient, by id
HOOKED: dict[int, TensorHooks] = {}


def _forget(key: int, ref: weakref.ref[Tensor]) -> None:
    """Drop the entry of a tensor that is gone (a weak reference's callback)."""
    entry = HOOKED.get(key)
    if entry is not None and entry.ref is ref:
        del HOOKED[key]


def hooks_of(tensor: Tensor, create: bool = False) -> TensorHooks | None:
    """The entry of ``tensor`` (made if ``create``), else None."""
    entry = HOOKED.get(id(tensor))
    if entry is not None and entry.ref() is tensor:
        return entry
    if not create:
        return None
    entry = HOOKED[id(tensor)] = TensorHooks(tensor)
    return entry


def drop_if_empty(tensor: Tensor) -> None:
    """Forget ``tensor`` once it has neither hooks nor ``retain_grad``."""
    entry = hooks_of(tensor)
    if entry is not None and not entry.hooks and not entry.retains:
        del HOOKED[id(tensor)]


def popper(adopted: set[int]) -> Callable[[dict[int, np.ndarray], Tensor,
                                           dict[int, np.ndarray] | None], np.ndarray | None]:
    """``_pop_gradient`` with the hooks: dL/d(tensor) taken out of ``grads``, through the
    tensor's hooks where it has some. An array a hook saw (and may keep) goes into
    ``adopted``, so that no leaf adopts it as its ``.grad`` (which a later backward adds to
    in place)."""

    def pop(grads: dict[int, np.ndarray], tensor: Tensor,
            record: dict[int, np.ndarray] | None) -> np.ndarray | None:
        grad = grads.pop(id(tensor), None)
        if grad is None:
            return None
        entry = HOOKED.get(id(tensor))
        if entry is not None and entry.ref() is tensor:
            adopted.add(id(grad))
            grad = entry.run(tensor, grad)
            adopted.add(id(grad))
        if record is not None:
            record[id(tensor)] = np.array(grad)
        return grad

    return pop


def checked_gradient(result: Any, grad: np.ndarray | None, who: str, what: str,
                     shape: tuple[int, ...] | None = None, dtype: Any = None) -> np.ndarray:
    """The array a hook returned in place of ``grad`` (of ``shape`` and ``dtype``, those of
    ``grad`` by default): a Tensor's array, or an error naming the hook, what it returned
    and what was expected (PyTorch refuses a hook that changes the size or the type too)."""
    shape = grad.shape if shape is None else shape  # type: ignore[union-attr]
    dtype = grad.dtype if dtype is None else dtype  # type: ignore[union-attr]
    if isinstance(result, np.generic):  # what NumPy's arithmetic gives for a 0-d gradient
        result = np.asarray(result)
    array = getattr(result, "data", result) if not isinstance(result, np.ndarray) else result
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{who} returned {result!r:.80} ({type(result).__name__}) for the "
                        f"gradient of the {what} of shape {shape}: return an array or a Tensor "
                        "of that shape, or None to keep the gradient")
    if array.shape != shape:
        raise RuntimeError(f"{who} returned a gradient of shape {array.shape} for the {what} "
                           f"of shape {shape}: a hook must keep the gradient's shape")
    if array.dtype != dtype:
        raise RuntimeError(f"{who} returned a gradient of dtype {array.dtype} for the {what} "
                           f"of dtype {dtype}: convert it (e.g. .astype(grad.dtype))")
    return array


def _name(hook: Callable[..., Any]) -> str:
    return getattr(hook, "__qualname__", None) or repr(hook)
