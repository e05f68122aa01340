"""Module hooks: functions a module calls before and after its ``forward``, as PyTorch's
``register_forward_pre_hook`` and ``register_forward_hook``, and in the backward pass, when
the gradients w.r.t. its outputs and then its inputs are complete, as PyTorch's
``register_full_backward_pre_hook`` and ``register_full_backward_hook``.

A classic teaching tool: record each layer's activations, or the gradients that
backpropagation carries through it (Berzal, "Backpropagation" (Granada)), or their
statistics, without changing the network's code, as in the vanishing-gradient
experiments of FAMAF (Córdoba), "Redes neuronales", clase 21, and Fuentes Pineda, UNAM,
"Introducción al Deep Learning", módulo 8 "Redes neuronales profundas".

Hooks are runtime state: ``rp.save`` does not store them (a saved and loaded model has
none), ``state_dict`` and ``load_state_dict`` ignore them, and ``copy.deepcopy`` copies
them with the module, as PyTorch's does (the copy's hooks are then removed on their own:
a handle removes the hook from the module it was registered on). ``rp.onnx.export`` leaves
them out of the file, with a warning (an exported model computes its layers only), and
``sklearn.base.clone`` of an estimator gives an unfitted one, without its network or the
hooks on it. The hooks see the calls of ``Trainer.fit``, ``evaluate`` and ``predict`` on
the user's data, not the Trainer's look at the shape of one example's outputs
(:func:`retroprop.nn.module.hooks_suspended`).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.stacklevel import user_stacklevel
from retroprop.tensor import grad_mode
from retroprop.tensor.function import Function, Gradients
from retroprop.tensor.hooks import RemovableHandle, checked_gradient, hooks_of
from retroprop.tensor.tensor import Tensor

if TYPE_CHECKING:
    from retroprop.nn.module import Module

__all__ = ["BackwardCall", "Hooks", "RemovableHandle"]

#: keys of the internal hooks on the gathering tensors (never handed out)
_internal = itertools.count()


class Hooks:
    """A module's forward pre-hooks and forward hooks, each by its handle's id in the
    order they run: ``(hook, with_kwargs)``; and its full backward pre-hooks and full
    backward hooks, each by its handle's id in the order they run."""

    __slots__ = ("backward", "backward_pre", "post", "pre")

    def __init__(self) -> None:
        self.pre: OrderedDict[int, tuple[Callable[..., Any], bool]] = OrderedDict()
        self.post: OrderedDict[int, tuple[Callable[..., Any], bool]] = OrderedDict()
        self.backward_pre: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self.backward: OrderedDict[int, Callable[..., Any]] = OrderedDict()

    def __bool__(self) -> bool:
        return bool(self.pre or self.post or self.backward_pre or self.backward)

    def call(self, module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``forward`` on the arguments (after the pre-hooks), then the forward hooks; with
        backward hooks, the positional tensor inputs and the tensor outputs pass through
        :class:`BackwardCall`'s nodes, as PyTorch's ``BackwardHook`` sets them up."""
        if not (self.backward or self.backward_pre):
            return self.after(module, args, kwargs, module.forward(*args, **kwargs))
        call = BackwardCall(module, self)
        args = call.inputs(args)
        return call.outputs(self.after(module, args, kwargs, module.forward(*args, **kwargs)))

    def before(self, module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]
               ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Run the pre-hooks in order on the call's arguments: the arguments ``forward``
        then gets (a hook's result, where it returns one, replaces them)."""
        for hook, with_kwargs in tuple(self.pre.values()):
            if with_kwargs:
                result = hook(module, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{type(module).__name__}: forward pre-hook {_name(hook)} "
                            "(with_kwargs=True) must return None or a tuple of (new_args, "
                            f"new_kwargs), got {result!r:.80}")
                    args, kwargs = result
            else:
                result = hook(module, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        return args, kwargs

    def after(self, module: Module, args: tuple[Any, ...], kwargs: dict[str, Any],
              output: Any) -> Any:
        """Run the forward hooks in order on the output: the module's call returns what
        the last hook that returned something returned, else ``output``."""
        for hook, with_kwargs in tuple(self.post.values()):
            result = hook(module, args, kwargs, output) if with_kwargs else \
                hook(module, args, output)
            if result is not None:
                output = result
        return output


class Gather(Function):
    """The tensors ``a_1 … a_k`` (those of a module's inputs, or outputs, that need a
    gradient) as one node, for the module's backward hooks: each ``a_i`` goes on as
    ``Take(z, i)``, with ``a_i``'s own array, so that dL/dz, complete once every ``a_i`` has
    its gradient, holds them all at once, flattened and joined (what PyTorch's
    ``BackwardHookFunction`` is for); ``z`` itself holds no values. dL/da_i = its slice of
    dL/dz (None for one that a hook set to None)."""

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        self.shapes = [a.shape for a in arrays]
        self.dtype = arrays[0].dtype
        self.ends = list(itertools.accumulate([a.size for a in arrays]))
        #: whether each a_i received a gradient in this backward pass (``Take.backward``)
        self.received = [False] * len(arrays)
        #: whether a hook set a_i's gradient to None (``join``)
        self.missing = [False] * len(arrays)
        # one zero seen ends[-1] times (what np.broadcast_to gives, made faster)
        out = np.ndarray((self.ends[-1],), self.dtype, np.zeros(1, self.dtype), strides=(0,))
        out.flags.writeable = False
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        return tuple([None if missing else grad[end - math.prod(shape):end].reshape(shape)
                      for shape, end, missing in zip(self.shapes, self.ends, self.missing,
                                                     strict=True)])

    def split(self, grad: np.ndarray) -> list[np.ndarray | None]:
        """dL/da_i from dL/dz, None for those that received none; then ready for the next
        backward pass (``retain_graph=True``)."""
        parts = [grad[end - math.prod(shape):end].reshape(shape) if received else None
                 for shape, end, received in zip(self.shapes, self.ends, self.received,
                                                 strict=True)]
        self.received = [False] * len(parts)
        return parts

    def join(self, grads: list[np.ndarray | None], dtype: np.dtype) -> np.ndarray:
        """dL/dz from the (replaced) dL/da_i; those set to None stay without a gradient."""
        self.missing = [grad is None for grad in grads]
        if len(grads) == 1:
            return np.zeros(self.ends[-1], dtype) if grads[0] is None else grads[0].reshape(-1)
        return np.concatenate([np.zeros(math.prod(shape), dtype) if grad is None
                               else grad.reshape(-1) for grad, shape in zip(grads, self.shapes,
                                                                            strict=True)])


class Take(Function):
    """a_i from ``Gather``'s z: a_i's own array (no copy);  dL/dz = dL/da_i in its slice,
    zeros elsewhere."""

    def forward(self, z: np.ndarray, gather: Gather, index: int, array: np.ndarray
                ) -> np.ndarray:
        self.gather, self.index, self.size = gather, index, z.shape[0]
        return array

    def backward(self, grad: np.ndarray) -> Gradients:
        gather, index = self.gather, self.index
        gather.received[index] = True
        if len(gather.shapes) == 1:
            return grad.reshape(-1)
        out = np.zeros(self.size, grad.dtype)
        out[gather.ends[index] - grad.size:gather.ends[index]] = grad.reshape(-1)
        return out


class BackwardCall:
    """One call of a module that has full backward hooks or pre-hooks, as PyTorch's
    ``torch.utils.hooks.BackwardHook``: its positional tensor inputs (where a full
    backward hook needs them) and its tensor outputs each pass through a :class:`Gather`
    node, whose complete gradient runs the hooks.

    When the gradient w.r.t. the outputs is complete, the pre-hooks run on
    ``grad_output`` (a tuple, one entry per output: None for one that is not a tensor or
    got no gradient) and may replace it; when the gradient w.r.t. the inputs is complete,
    the full hooks run on ``grad_input`` (one entry per positional argument: None for one
    that is not a tensor or does not require grad, zeros for one that the forward pass
    did not use) and that ``grad_output``, and may replace ``grad_input``. Where no input
    requires grad (the first layer of a network), the full hooks run with the pre-hooks,
    with ``grad_input`` all None, and a warning, as in PyTorch.
    """

    __slots__ = ("full", "grad_outputs", "module", "n_args", "pre", "wrapped_inputs")

    def __init__(self, module: Module, hooks: Hooks) -> None:
        self.module = module
        self.pre = tuple(hooks.backward_pre.values())  # those of the time of the call
        self.full = tuple(hooks.backward.values())
        self.grad_outputs: tuple[np.ndarray | None, ...] | None = None
        self.n_args = 0
        self.wrapped_inputs = False

    def inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """The arguments, those that need a gradient through a ``Gather`` node."""
        self.n_args = len(args)
        if not self.full:
            return args
        wrapped = _through_gather(args, self._inputs_done)
        self.wrapped_inputs = wrapped is not None
        return args if wrapped is None else wrapped

    def outputs(self, output: Any) -> Any:
        """The output, its tensors that need a gradient through a ``Gather`` node."""
        values = output if isinstance(output, tuple) else (output,)
        wrapped = _through_gather(values, self._outputs_done)
        if wrapped is None:
            return output
        return wrapped if isinstance(output, tuple) else wrapped[0]

    def _outputs_done(self, gather: Gather, positions: list[int], n: int,
                      grad: np.ndarray) -> np.ndarray:
        grad_outputs = _by_position(gather.split(grad), positions, n)
        for hook in self.pre:
            result = hook(self.module, grad_outputs)
            if result is not None:
                grad_outputs = self._checked(result, grad_outputs, gather, positions,
                                             f"full backward pre-hook {_name(hook)}",
                                             "grad_output", "output")
        self.grad_outputs = grad_outputs
        if self.full and not self.wrapped_inputs:
            warnings.warn(
                f"{type(self.module).__name__}: its full backward hooks run with grad_input "
                "all None, when the gradient w.r.t. its outputs is computed, since none of "
                "its inputs requires grad (as PyTorch warns)", UserWarning,
                stacklevel=user_stacklevel())
            nothing = (None,) * self.n_args
            for hook in self.full:
                result = hook(self.module, nothing, grad_outputs)
                if result is not None and any(value is not None for value in result):
                    raise RuntimeError(
                        f"{type(self.module).__name__}: full backward hook {_name(hook)} "
                        "returned gradients for inputs of which none requires grad: return "
                        "None (or None for every input), as PyTorch requires")
            self.grad_outputs = None
        return gather.join([grad_outputs[i] for i in positions], grad.dtype)

    def _inputs_done(self, gather: Gather, positions: list[int], n: int,
                     grad: np.ndarray) -> np.ndarray | None:
        grad_outputs = self.grad_outputs
        if grad_outputs is None:  # reached without passing through the outputs
            return None
        parts = [np.zeros(shape, grad.dtype) if part is None else part
                 for part, shape in zip(gather.split(grad), gather.shapes, strict=True)]
        grad_input = _by_position(parts, positions, n)
        for hook in self.full:
            result = hook(self.module, grad_input, grad_outputs)
            if result is not None:
                grad_input = self._checked(result, grad_input, gather, positions,
                                           f"full backward hook {_name(hook)}",
                                           "grad_input", "input")
        self.grad_outputs = None
        return gather.join([grad_input[i] for i in positions], grad.dtype)

    def _checked(self, result: Any, previous: tuple[Any, ...], gather: Gather,
                 positions: list[int], who: str, name: str, what: str
                 ) -> tuple[np.ndarray | None, ...]:
        """A hook's replacement for ``grad_input`` or ``grad_output``: a tuple (or list)
        as long, each gradient of its tensor's shape and dtype, or None."""
        who = f"{type(self.module).__name__}: {who}"
        if not isinstance(result, tuple | list) or len(result) != len(previous):
            seen = (f"{len(result)} values" if isinstance(result, tuple | list) else
                    f"{'an' if type(result).__name__[0] in 'aeinou' else 'a'} "
                    f"{type(result).__name__} of shape {result.shape}"
                    if hasattr(result, "shape") else f"{result!r:.60} ({type(result).__name__})")
            raise RuntimeError(f"{who} returned {seen}; expected None or a tuple of "
                               f"{len(previous)} like its {name} (one per {what})")
        replaced = list(previous)
        for position, shape in zip(positions, gather.shapes, strict=True):
            value = result[position]
            replaced[position] = None if value is None else checked_gradient(
                value, None, f"{who} ({name}[{position}])", what, shape, gather.dtype)
        return tuple(replaced)


def _through_gather(values: tuple[Any, ...], done: Callable[..., Any]
                    ) -> tuple[Any, ...] | None:
    """``values`` with each tensor that needs a gradient replaced by ``Take`` of a
    ``Gather`` node of them all, whose complete gradient goes through ``done``; None where
    none needs one (or gradients are off)."""
    positions = [i for i, value in enumerate(values)
                 if isinstance(value, Tensor) and value.requires_grad]
    if not positions or not grad_mode.is_grad_enabled():
        return None
    tensors = [values[i] for i in positions]
    joined = Gather.apply(*tensors)
    gather: Gather = joined._ctx  # type: ignore[assignment]
    entry = hooks_of(joined, create=True)
    entry.hooks[next(_internal)] = lambda grad: done(  # type: ignore[union-attr]
        gather, positions, len(values), grad)
    out = list(values)
    for index, (position, tensor) in enumerate(zip(positions, tensors, strict=True)):
        out[position] = Take.apply(joined, gather=gather, index=index, array=tensor.data)
    return tuple(out)


def _by_position(parts: Sequence[np.ndarray | None], positions: list[int], n: int
                 ) -> tuple[np.ndarray | None, ...]:
    """One entry per argument (or output): the gradients at ``positions``, None elsewhere."""
    grads: list[np.ndarray | None] = [None] * n
    for position, part in zip(positions, parts, strict=True):
        grads[position] = part
    return tuple(grads)


def _name(hook: Callable[..., Any]) -> str:
    return getattr(hook, "__qualname__", None) or repr(hook)
