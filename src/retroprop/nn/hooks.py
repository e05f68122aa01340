"""Forward hooks: functions a module calls before and after its ``forward``, as
PyTorch's ``register_forward_pre_hook`` and ``register_forward_hook``.

A classic teaching tool: record each layer's activations (or their statistics) during a
forward pass without changing the network's code, as in the vanishing-gradient
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
import weakref
from collections import OrderedDict
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retroprop.nn.module import Module

#: one id per registered hook, unique in the process (as PyTorch's handles')
_ids = itertools.count()


class Hooks:
    """A module's forward pre-hooks and forward hooks, each by its handle's id in the
    order they run: ``(hook, with_kwargs)``."""

    __slots__ = ("post", "pre")

    def __init__(self) -> None:
        self.pre: OrderedDict[int, tuple[Callable[..., Any], bool]] = OrderedDict()
        self.post: OrderedDict[int, tuple[Callable[..., Any], bool]] = OrderedDict()

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


class RemovableHandle:
    """What registering a hook returns: ``remove()`` takes the hook off its module, as
    PyTorch's ``torch.utils.hooks.RemovableHandle``; removing twice does nothing. Also a
    context manager, which removes the hook at the end of the ``with`` block.

    Attributes
    ----------
    id : int
        The hook's id, unique in the process.
    """

    __slots__ = ("_module", "id")

    def __init__(self, module: Module) -> None:
        self.id = next(_ids)
        self._module = weakref.ref(module)

    def remove(self) -> None:
        """Take the hook off the module it was registered on (not off a copy of it)."""
        module = self._module()
        if module is not None:
            module._remove_hook(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"RemovableHandle(id={self.id})"


def _name(hook: Callable[..., Any]) -> str:
    return getattr(hook, "__qualname__", None) or repr(hook)
