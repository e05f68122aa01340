"""Containers that compose modules: g = f_L ∘ ... ∘ f_1 (``Sequential``, Berzal,
"Backpropagation" (Granada)), x + f(x) (``Residual``, Fuentes Pineda, UNAM, "Redes
neuronales profundas"), and ``ModuleList`` / ``ModuleDict``, which register the modules
they hold (a plain Python list or dict hides them from ``parameters()``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from retroprop.nn.activation import ReLU
from retroprop.nn.module import Module, infer, owner
from retroprop.nn.plan import KEPT, Plan, Plans, Stale
from retroprop.nn.pooling import MaxPool2d
from retroprop.tensor import grad_mode
from retroprop.tensor.tensor import Tensor


def _not_a_tensor(layers: list[Module], index: int, x: Any) -> str:
    """Why layer ``index`` could not take ``x``, which is not a tensor."""
    taker = f"layer {index} ({type(layers[index]).__name__}) takes a tensor or an array"
    if not index:
        return f"{taker}, but the input is a {type(x).__name__}"
    return (f"{taker}, but layer {index - 1} ({type(layers[index - 1]).__name__}) gives a "
            f"{type(x).__name__}; a layer with several outputs (RNN returns output, h_n) "
            "needs a module that picks one before the next layer")


class Sequential(Module):
    """Apply modules one after another: g(x) = f_L(... f_2(f_1(x))).

    Indexable (an integer gives a module, a slice a new ``Sequential``
    sharing the modules, with their names, as PyTorch's), iterable, and ``len`` gives the
    number of layers; ``append``, ``insert``, ``extend``, ``pop``, ``del``, ``+``,
    ``+=``, ``*`` and ``*=`` change the layers and name them as PyTorch's (``seq * 3``
    repeats the same modules, as PyTorch's: their parameters are shared).
    An error inside a layer says which layer it was.

    Under ``rp.no_grad()``, layers in evaluation mode that have an array path
    (``Module._infer``: linear, convolution, pooling, element-wise activations,
    flatten, dropout, batch norm) pass the NumPy array on without tensors or graph
    nodes: the same kernels, at a fraction of the per-call cost that dominates
    small batches (batch-1 prediction). Any other layer runs as usual. Which layers
    take the array and how is worked out at the first call for an input shape and
    dtype and replayed at the next ones, until a module changes (an inference plan,
    :mod:`retroprop.nn.plan`; a linear layer and the ``ReLU`` after it run as one step).

    A ``ReLU`` directly followed by a ``MaxPool2d`` without padding runs after it
    instead: ReLU is non-decreasing, so relu(max(a, b)) = max(relu(a), relu(b)), and the
    gradients agree as well (the two orders may pick different elements of a window only
    where its maximum is at most 0, and there the ReLU passes no gradient either way).
    The output is the same and the ReLU works on a quarter of the elements (2×2 windows);
    the graph (``rp.viz.draw_graph``) shows the pooling first. With padding a window may
    hold only padding (-inf), which the ReLU would turn into 0, so padded poolings keep
    the written order, as do subclasses, layers whose ``forward`` was replaced (on
    the instance, as ``summary()`` does, or on the class) and layers with hooks, forward
    or backward (``register_forward_hook``, ``register_full_backward_hook``), which see the
    inputs and outputs, or their gradients, of the written order.

    Examples
    --------
    >>> import retroprop as rp
    >>> model = rp.nn.Sequential(rp.nn.Linear(4, 8), rp.nn.ReLU(), rp.nn.Linear(8, 2))
    >>> len(model), type(model[1]).__name__
    (3, 'ReLU')

    As in PyTorch, one ``OrderedDict`` (or any mapping) of names and modules gives the
    layers their names, which ``state_dict`` keys and model files keep:

    >>> from collections import OrderedDict
    >>> named = rp.nn.Sequential(OrderedDict([("hidden", rp.nn.Linear(4, 8)),
    ...                                       ("act", rp.nn.ReLU())]))
    >>> list(named.state_dict()), type(named.act).__name__
    (['hidden.weight', 'hidden.bias'], 'ReLU')
    """

    #: ``np.int64(3) * seq`` leaves the product to :meth:`__rmul__` (NumPy would otherwise
    #: multiply each layer, taking the Sequential for a sequence)
    __array_ufunc__ = None

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, named in modules[0].items():
                if not isinstance(named, Module):
                    raise TypeError(f"Sequential: layer {name!r} must be a Module, got "
                                    f"{type(named).__name__}")
                self.add_module(name, named)
            return
        for index, layer in enumerate(modules):
            self.append(layer, index)  # type: ignore[arg-type]

    def get_config(self) -> dict[str, Any]:
        """The layers (as one mapping when they have names of their own), for a
        ``Sequential``; a subclass with its own ``__init__`` gives its own arguments
        (``Module.get_config``)."""
        if not _built_by(self, Sequential):
            return super().get_config()
        if list(self._modules) != [str(k) for k in range(len(self))]:
            return {"modules": [dict(self._modules)]}
        return {"modules": list(self)}

    def append(self, module: Module, index: int | None = None) -> Sequential:
        """Add ``module`` at the end, named by the number of layers before it, as in
        PyTorch (or, where that name is taken, after a ``delattr`` or a slice, one more than
        the largest number in use, so that no layer is replaced)."""
        position = (max([len(self._modules), *(int(k) + 1 for k in self._modules
                                                if k.isdigit())]) if index is None else index)
        if not isinstance(module, Module):
            raise TypeError(
                f"Sequential: layer {position} must be a Module, got {type(module).__name__}"
            )
        self._modules[str(position)] = module  # the registry notes the change
        return self

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace layer ``index`` (negative counts from the end), as PyTorch's does."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: layer {index} must be a Module, got "
                            f"{type(module).__name__}")
        setattr(self, self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        """Remove layer ``index`` (or the layers of a slice); the layers left are numbered
        again, so that names are 0, 1, 2, ... (as PyTorch's)."""
        for key in list(self._modules)[index] if isinstance(index, slice) else \
                [self._key(index)]:
            delattr(self, key)
        self._renumber(list(self))

    def _renumber(self, layers: list[Module]) -> None:
        """Hold ``layers``, named 0, 1, 2, ... (the registry notes the change)."""
        self._modules.clear()
        for position, layer in enumerate(layers):
            self._modules[str(position)] = layer

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` before layer ``index`` (``len(self)``, at the end; negative counts
        from the end), as PyTorch's: the layers from ``index`` on move one number up.

        Layers with names of their own (from an ``OrderedDict``) are numbered again 0, 1,
        2, ..., as :meth:`__delitem__` does (PyTorch raises ``KeyError`` there), but at the
        end, where ``insert`` is :meth:`append` and the names stay, as in PyTorch."""
        count = len(self)
        if isinstance(index, bool) or not isinstance(index, int | np.integer) \
                or not -count <= index <= count:
            raise IndexError(f"Sequential.insert: index {index!r} out of range for {count} "
                             f"layers (expected {-count} to {count})")
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: module must be a Module, got "
                            f"{type(module).__name__}")
        if index == count:
            return self.append(module)
        layers = list(self)
        layers.insert(int(index), module)
        self._renumber(layers)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Add each of ``modules`` (a ``Sequential``, a list) at the end, as :meth:`append`
        names them; nothing is added unless every one is a ``Module``."""
        modules = list(modules)
        for offset, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential.extend: item {offset} must be a Module, got "
                                f"{type(module).__name__}")
        for module in modules:
            self.append(module)
        return self

    def pop(self, index: int | slice) -> Any:
        """Remove layer ``index`` (a slice: those layers, as a ``Sequential``) and return
        it; the layers left are numbered again, as :meth:`__delitem__`."""
        if not isinstance(index, slice):
            self._key(index)
        layer = self[index]
        del self[index]
        return layer

    def __add__(self, other: Sequential) -> Sequential:
        """A new ``Sequential`` of this one's layers, then ``other``'s (the same modules),
        numbered 0, 1, 2, ..., as PyTorch's."""
        return Sequential(*self, *_sequential(other, "+"))

    def __iadd__(self, other: Sequential) -> Sequential:
        """Add ``other``'s layers at the end (:meth:`extend`), as PyTorch's ``+=``."""
        return self.extend(_sequential(other, "+="))

    def __mul__(self, count: int) -> Sequential:
        """A new ``Sequential`` of this one's layers ``count`` times over, numbered 0, 1, 2,
        ..., as PyTorch's ``seq * count``: the same modules, not copies, so each layer is
        applied ``count`` times with the same parameters (shared weights, which a model
        file keeps shared). For new layers with parameters of their own, copy them:
        ``nn.Sequential(*(copy.deepcopy(layer) for _ in range(3) for layer in seq))``.
        ``count`` must be a positive integer (``TypeError`` or ``ValueError``, as
        PyTorch's; a bool, which PyTorch takes as 0 or 1, is refused too)."""
        return Sequential(*(list(self) * _repeats(count, "*")))

    def __rmul__(self, count: int) -> Sequential:
        """``count * seq``: :meth:`__mul__`."""
        return self.__mul__(count)

    def __imul__(self, count: int) -> Sequential:
        """Add this one's layers ``count - 1`` more times at the end (the same modules, as
        :meth:`__mul__`), named as :meth:`append` names them, as PyTorch's ``*=`` (which
        raises ``KeyError`` for layers with names of their own)."""
        return self.extend(list(self) * (_repeats(count, "*=") - 1))

    def _key(self, index: int) -> str:
        keys = list(self._modules)
        if isinstance(index, bool) or not isinstance(index, int | np.integer) \
                or not -len(keys) <= index < len(keys):
            raise IndexError(f"Sequential: index {index!r} out of range for {len(keys)} "
                             "layers")
        return keys[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):  # the layers keep their names, as in PyTorch
            return Sequential(dict(list(self._modules.items())[index]))
        return list(self._modules.values())[index]

    def forward(self, x: Tensor) -> Tensor:
        arrays = not grad_mode._mode.enabled and isinstance(x, Tensor)
        if arrays:
            out = self._infer(x.data)  # every layer by the plan, or None
            if out is not None:
                return Tensor._wrap(out)
        layers = list(self._modules.values())
        start = 0
        if arrays:  # the leading layers that have the array path, then tensors
            data, start = self._infer_layers(x.data, layers)
            if start:
                x = Tensor._wrap(data)
            if start == len(layers):
                return x
        for index in _pooling_first(layers, start):
            module = layers[index]
            try:
                x = module(x)
            except (ValueError, TypeError) as error:
                raise type(error)(f"layer {index} ({type(module).__name__}): {error}") from error
            except AttributeError as error:  # x.shape of a tuple; not a bug inside a layer
                if isinstance(x, Tensor | np.ndarray) or error.obj is not x:
                    raise
                raise TypeError(_not_a_tensor(layers, index, x)) from error
        return x

    @staticmethod
    def _infer_layers(data: np.ndarray, layers: list[Module]) -> tuple[np.ndarray, int]:
        """Pass the array through the leading layers that are in evaluation mode and have
        an array path (``Module._infer``): no tensor, no node, no repeated checks, which
        at batch 1 is most of the time. Returns the array and how many layers it went
        through; the rest run as usual (a layer in training mode, one without the path,
        an input the path does not expect, whose error the usual call then reports, and a
        layer whose ``forward`` was replaced on the instance to record its calls, as
        ``summary()`` does)."""
        for index, module in enumerate(layers):
            out = infer(module, data)
            if out is None:
                return data, index
            data = out
        return data, len(layers)

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        """The output of the layers' array path for ``x``, by the plan for its shape and
        dtype (:mod:`retroprop.nn.plan`), worked out at the first such call and again
        after a change; None where a layer has no array path for it."""
        plans = self.__dict__.get("_plans")
        if plans is None:
            plans = self.__dict__["_plans"] = Plans()
        key = (x.shape, x.dtype)
        plan = plans.get(key)
        if plan is not None:
            try:
                return plan(x)
            except Stale:  # and so, most likely, the others, which hold old arrays
                plans.clear()
            except ValueError:  # a weight of another shape, assigned in place of the old:
                plans.clear()  # the layer-by-layer path names the layer that refuses
                return None
        if len(plans) >= KEPT:
            plans.clear()
        plans[key], out = Plan.work_out(list(self._modules.values()), x)
        return out


def _sequential(other: Any, operator: str) -> Sequential:
    if not isinstance(other, Sequential):
        raise ValueError(f"Sequential {operator}: the other operand must be a Sequential, "
                         f"got {type(other).__name__}")
    return other


def _repeats(count: Any, operator: str) -> int:
    """``count`` of ``seq * count``: a positive integer, as PyTorch's."""
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        raise TypeError(f"Sequential {operator}: the number of repeats must be a positive "
                        f"integer, got {count!r} ({type(count).__name__})")
    if count <= 0:
        raise ValueError(f"Sequential {operator}: the number of repeats must be a positive "
                         f"integer, got {count}")
    return int(count)


def _pooling_first(layers: list[Module], start: int) -> list[int]:
    """The indices of ``layers`` from ``start`` on, in the order ``Sequential`` runs them:
    a ``ReLU`` followed by a ``MaxPool2d`` is swapped with it (exactly these classes, with
    their own ``forward``; two such pairs never overlap)."""
    order = list(range(start, len(layers)))
    for index in range(start, len(layers) - 1):
        if _commute(layers[index], layers[index + 1]):
            k = index - start
            order[k], order[k + 1] = order[k + 1], order[k]
    return order


def _commute(first: Module, then: Module) -> bool:
    return (type(first) is ReLU and type(then) is MaxPool2d and then.padding == (0, 0)
            and ReLU.forward is _RELU_FORWARD and MaxPool2d.forward is _MAX_POOL_FORWARD
            and "forward" not in first.__dict__ and "forward" not in then.__dict__
            and first._hooks is None and then._hooks is None)


#: the ``forward`` functions the swap was proved for (a patched class keeps the order)
_RELU_FORWARD, _MAX_POOL_FORWARD = ReLU.forward, MaxPool2d.forward


class Residual(Module):
    """y = x + f(x): a skip connection, so the gradient reaches x undiminished through the
    identity path (He et al. 2015; Fuentes Pineda's remedy for vanishing gradients)."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: Tensor) -> Tensor:
        out = self.module(x)
        if out.shape != x.shape:
            raise ValueError(
                f"Residual: the inner module maps shape {x.shape} to {out.shape}; x + f(x) needs "
                "them equal"
            )
        return x + out

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        out = infer(self.module, x)
        return None if out is None or out.shape != x.shape else x + out


class Flatten(Module):
    """Merge the axes from ``start_dim`` to ``end_dim`` (both included) into one, as
    PyTorch's ``nn.Flatten``: by default (N, C, H, W) -> (N, C·H·W); ``Flatten(1, 2)``,
    (N, C, H, W) -> (N, C·H, W)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        if not (0 <= self.start_dim < x.ndim and -x.ndim <= self.end_dim < x.ndim
                and self.start_dim <= self.end_dim % x.ndim):
            return None  # forward's error
        end = self.end_dim % x.ndim + 1
        return x.reshape(*x.shape[:self.start_dim], math.prod(x.shape[self.start_dim:end]),
                         *x.shape[end:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}" + (f", end_dim={self.end_dim}"
                                                 if self.end_dim != -1 else "")


def _checked(module: Any, where: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{where} must be a Module, got {type(module).__name__}")
    return module


class ModuleList(Module):
    """A list of modules whose parameters belong to the module that holds it, as PyTorch's
    ``nn.ModuleList``: ``parameters()``, ``state_dict()``, ``train()``/``eval()`` and
    :func:`retroprop.save` see every module in it. It has no ``forward``: the owner
    decides how to call them.

    Examples
    --------
    >>> import retroprop as rp
    >>> class Deep(rp.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layers = rp.nn.ModuleList([rp.nn.Linear(4, 4) for _ in range(3)])
    ...     def forward(self, x):
    ...         for layer in self.layers:
    ...             x = layer(x).relu()
    ...         return x
    >>> len(list(Deep().parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self.extend(modules or [])

    def get_config(self) -> dict[str, Any]:
        if not _built_by(self, ModuleList):
            return super().get_config()
        return {"modules": list(self)}

    def _renumber(self, modules: list[Module]) -> None:
        self._modules.clear()
        for index, module in enumerate(modules):
            self._modules[str(index)] = _checked(module, f"ModuleList: item {index}")

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end."""
        self._modules[str(len(self))] = _checked(module, f"ModuleList: item {len(self)}")
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each of ``modules`` at the end."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``."""
        modules = list(self)
        modules.insert(index, module)
        self._renumber(modules)

    def _index(self, index: int) -> int:
        if not -len(self) <= index < len(self):
            raise IndexError(f"ModuleList: index {index} is out of range for {len(self)} "
                             "modules")
        return index % len(self)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self)[index])
        return self._modules[str(self._index(index))]

    def __setitem__(self, index: int, module: Module) -> None:
        position = self._index(index)
        self._modules[str(position)] = _checked(module, f"ModuleList: item {position}")

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self)
        del modules[index if isinstance(index, slice) else self._index(index)]
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dictionary of modules, registered under their keys (``"encoder.weight"`` in
    ``state_dict()``), as PyTorch's ``nn.ModuleDict``; insertion order is kept.

    Examples
    --------
    >>> import retroprop as rp
    >>> heads = rp.nn.ModuleDict({"digit": rp.nn.Linear(8, 10), "parity": rp.nn.Linear(8, 2)})
    >>> sorted(heads.state_dict())
    ['digit.bias', 'digit.weight', 'parity.bias', 'parity.weight']
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
                 ) -> None:
        super().__init__()
        self.update(modules or {})

    def get_config(self) -> dict[str, Any]:
        if not _built_by(self, ModuleDict):
            return super().get_config()
        return {"modules": [[key, module] for key, module in self.items()]}

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace the given ``key: module`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', got "
                           f"{key!r}")
        self._modules[key] = _checked(module, f"ModuleDict[{key!r}]")

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module {key!r}; keys: {list(self._modules)}")
        return self._modules[key]

    def __delitem__(self, key: str) -> None:
        self[key]  # raises the KeyError that names the keys
        del self._modules[key]

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Iterator[str]:
        return iter(self._modules.keys())

    def values(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def items(self) -> Iterator[tuple[str, Module]]:
        return iter(self._modules.items())


def _built_by(module: Module, container: type) -> bool:
    """Whether ``module``'s ``__init__`` is ``container``'s, so that the container's own
    arguments (its modules) rebuild it."""
    return owner(type(module), "__init__") is container
