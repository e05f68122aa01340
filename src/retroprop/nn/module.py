"""``Module``: the base of layers and networks, as in PyTorch.

Parameters and sub-modules register themselves when assigned as
attributes, which gives ``parameters()``, dotted ``named_parameters()``
and ``state_dict()`` names such as ``"0.weight"``.
"""

from __future__ import annotations

import abc
import builtins
import contextlib
import functools
import inspect
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, NamedTuple, Self, TypeVar

import numpy as np

from retroprop.nn.hooks import Hooks, RemovableHandle
from retroprop.nn.parameter import Parameter
from retroprop.ops.cast import requested_dtype
from retroprop.tensor.tensor import Tensor, _check_float_dtype, get_default_dtype, zero_grads

#: a tensor in ``forward``, its array in ``_infer``: for the code the two paths share
Array = TypeVar("Array", Tensor, np.ndarray)

#: Counts the changes to modules that an inference plan (:mod:`retroprop.nn.plan`) is
#: worked out from: every assignment through ``Module.__setattr__``, deletion,
#: registration, ``train``/``eval`` and ``to``. Code that sets a module's attribute
#: around ``__setattr__`` (``object.__setattr__``, its ``__dict__``) calls :func:`changed`.
version = 0


def changed() -> None:
    """Note a change to some module: inference plans worked out before it are stale."""
    global version
    version += 1


class Registry(OrderedDict[str, Any]):
    """A module's parameters, buffers or sub-modules by name: an ``OrderedDict`` that notes
    every change (:func:`changed`), so that one made to it directly (``model._modules[k] =
    layer``, ``del``, ``pop``) makes inference plans stale as an assignment does."""

    def __setitem__(self, key: str, value: Any) -> None:
        changed()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        changed()
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        changed()
        return super().pop(key, *default)

    def popitem(self, last: bool = True) -> tuple[str, Any]:
        changed()
        return super().popitem(last)

    def clear(self) -> None:
        changed()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        changed()
        super().update(*args, **kwargs)

    def setdefault(self, key: str, default: Any = None) -> Any:
        changed()
        return super().setdefault(key, default)

    def move_to_end(self, key: str, last: bool = True) -> None:
        changed()
        super().move_to_end(key, last)

    def __ior__(self, other: Any) -> Registry:  # type: ignore[override,misc]
        changed()
        return super().__ior__(other)


class ModuleType(abc.ABCMeta):
    """The class of module classes: it records what each class defines when it is created
    (:func:`path_of` compares), and notes every later change to a class's attributes
    (a ``forward`` or ``noisy_weight`` assigned to a class, as ``unittest.mock.patch``
    does), which makes inference plans stale and is seen by :func:`path_of`. It derives
    from ``ABCMeta``, so that a module class may also derive from ``abc.ABC``."""

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(name, bases, namespace, **kwargs)
        _WRITTEN[cls] = dict(namespace)

    def __setattr__(cls, name: str, value: Any) -> None:
        _class_changed()
        super().__setattr__(name, value)

    def __delattr__(cls, name: str) -> None:
        _class_changed()
        super().__delattr__(name)


#: what each module class defined when it was created (weakly: classes made at run time
#: may go)
_WRITTEN: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()
#: the :class:`Path` of each module class, since the last change to any (``path_of``)
_PATHS: dict[type, Path] = {}


def _class_changed() -> None:
    changed()
    _PATHS.clear()


#: ``np.ndarray`` as one global name: ``Module.__call__``, run thousands of times an epoch,
#: spends on it one lookup less than on ``np.ndarray``, as much as its check for hooks
_ARRAY = np.ndarray
#: the kinds of a module's hooks (the attributes of :class:`Hooks`), as errors name them
_HOOK_KINDS = {"pre": "forward pre-hook", "post": "forward hook",
               "backward_pre": "full backward pre-hook", "backward": "full backward hook"}
#: what ``getattr`` gives for an attribute a module does not have (``get_submodule``)
_MISSING = object()


def _described(value: Any) -> str:
    """``value`` for an error message: an array's type and shape, else its repr and type."""
    if isinstance(value, Tensor | np.ndarray):
        return f"a {type(value).__name__} of shape {value.shape}"
    return f"{value!r:.60} ({type(value).__name__})"


def _check_target(target: Any, method: str, example: str) -> None:
    """The dotted name of ``get_submodule``, ``get_parameter`` and ``get_buffer`` must be a
    string."""
    if not isinstance(target, str):
        raise TypeError(f"{method}: target must be a dotted name such as {example}, got "
                        f"{target!r:.80} ({type(target).__name__})")


class Stale(Exception):
    """Raised by a step of an inference plan whose arrays are no longer its parameters'
    (``weight.data = ...``): the plan is worked out again."""


class Module(metaclass=ModuleType):
    """Base class of every layer and network.

    Subclasses call ``super().__init__()``, assign their ``Parameter``s and
    sub-modules as attributes, and define ``forward``. Calling the module
    runs ``forward`` (after its forward pre-hooks and before its forward
    hooks, where it has any: :meth:`register_forward_hook`); a NumPy array
    passed as the first argument (the input) becomes a tensor of the
    module's dtype.
    """

    training: bool
    #: Whether training mode draws random numbers in this module's forward pass (dropout,
    #: noise): the layers that Monte-Carlo dropout keeps active.
    stochastic: bool = False
    #: Whether the array path (``_infer``) always returns a new array that nothing else
    #: holds, which an inference plan lets the next layer overwrite (``_infer_in_place``);
    #: a subclass whose ``_infer`` returns anything else sets it to False.
    infers_new: bool = False
    #: Methods besides ``forward`` and ``__call__`` that the tensor path runs and the
    #: array path does not: a subclass that overrides one does not inherit ``_infer``.
    infer_uses: ClassVar[tuple[str, ...]] = ()
    #: Arguments of ``__init__`` that the module keeps as attributes of the same name, whose
    #: current value ``get_config`` gives (a setting changed after construction, as
    #: ``nn.regularize`` changes penalties, is what a saved model is built with again).
    config_attributes: ClassVar[tuple[str, ...]] = ()
    #: the forward hooks (:mod:`retroprop.nn.hooks`), None where there are none: the one
    #: check an unhooked call makes
    _hooks: Hooks | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _recording_arguments(cls.__init__)  # type: ignore[method-assign]

    def get_config(self) -> dict[str, Any]:
        """The arguments this module was built with, by name (``*args`` as a list), with
        the current value of those it keeps as settings (``config_attributes``).

        Recorded automatically for every subclass, so that :func:`retroprop.save`
        can store the architecture without code.
        """
        args, kwargs, signature = self.__dict__.get("_arguments", ((), {}, None))
        if signature is None:
            return {}
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        config = {name: value for name, value in list(bound.arguments.items())[1:]}
        for name in type(self).config_attributes:
            if name in config:
                config[name] = getattr(self, name)
        return config

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", Registry())
        object.__setattr__(self, "_buffers", Registry())
        object.__setattr__(self, "_modules", Registry())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        changed()
        if name in self._buffers:
            # a buffer stays a buffer, also after ``self.running_mean *= m`` (whose result
            # Python assigns back) or a new array: ``state_dict`` keeps saving it
            if value is not None and not isinstance(value, np.ndarray):
                other = " (PyTorch would replace the buffer; here del it first)" if isinstance(
                    value, Parameter | Module) else ""
                raise TypeError(f"{type(self).__name__}: cannot assign "
                                f"{_described(value)} to buffer '{name}' (a NumPy array or "
                                f"None expected){other}")
            self._buffers[name] = value
            return
        target: Registry | None = None
        if isinstance(value, Parameter) or (value is None and name in self._parameters):
            target = self._parameters
        elif isinstance(value, Module) or (value is None and name in self._modules):
            target = self._modules  # None keeps the slot, as in PyTorch
        elif value is not None:
            self._check_not_replacing(name, value)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not target:
                registry.pop(name, None)
        if target is not None:  # in the place of the entry it replaces, as in PyTorch
            target[name] = value
        # parameters and modules are plain attributes too, so that reading them is fast
        object.__setattr__(self, name, value)

    def _check_not_replacing(self, name: str, value: Any) -> None:
        """Refuse ``value``, neither a Parameter nor a Module, for the parameter or
        sub-module ``name``, as PyTorch does (it would silently stop being one)."""
        for registry, kind, expected, hint in (
                (self._parameters, "parameter", "Parameter", f"set {name}.data to change its "
                 f"values, or wrap it: rp.nn.Parameter(value)"),
                (self._modules, "sub-module", "Module", "del the attribute first to keep "
                 "something else under that name")):
            if name in registry:
                raise TypeError(f"{type(self).__name__}: cannot assign {_described(value)} to "
                                f"{kind} '{name}' (a {expected} or None expected, as in PyTorch): "
                                f"{hint}")

    def __getattr__(self, name: str) -> Any:
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        changed()
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self.__dict__.pop(name, None)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or an empty slot, None) under ``name``; the errors of
        :meth:`add_module` for a bad name or one taken by another kind of attribute (a
        buffer, a sub-module), as PyTorch's."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter({name!r}): a Parameter "
                            f"(or None) expected, got {_described(param)}: wrap it, "
                            "rp.nn.Parameter(value)")
        self._check_new_name("register_parameter", name, self._parameters, "a parameter")
        changed()
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, array: np.ndarray | None) -> None:
        """Register a non-learned array (e.g. running statistics) that ``state_dict`` saves:
        a NumPy array (or an empty slot, None), where PyTorch's buffers are tensors; the
        errors of :meth:`add_module` for a bad name or one taken by another kind of
        attribute (a parameter, a sub-module), as PyTorch's."""
        if array is not None and not isinstance(array, np.ndarray):
            hint = ": pass its array, tensor.numpy()" if isinstance(array, Tensor) else ""
            raise TypeError(f"{type(self).__name__}.register_buffer({name!r}): a NumPy array "
                            f"(or None) expected, got {_described(array)}{hint}")
        self._check_new_name("register_buffer", name, self._buffers, "a buffer")
        changed()
        self.__dict__.pop(name, None)
        self._buffers[name] = array

    def _check_new_name(self, method: str, name: Any, registry: Registry, kind: str) -> None:
        """``name`` for a new entry of ``registry``: a string without dots, not already an
        attribute of another kind (KeyError, TypeError for a non-string, as PyTorch's)."""
        owner = type(self).__name__
        if not isinstance(name, str):
            raise TypeError(f"{owner}.{method}: the name must be a string, got {name!r:.80} "
                            f"({type(name).__name__})")
        if not name or "." in name:
            raise KeyError(f"{owner}.{method}: the name {name!r} must be a non-empty "
                           "string without dots (dots separate the parts of a dotted name "
                           "such as '0.weight')")
        if name not in registry and hasattr(self, name):
            raise KeyError(f"{owner}.{method}: attribute {name!r} already exists (and is "
                           f"not {kind})")

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or an empty slot, None) as the sub-module ``name``, as
        ``setattr(self, name, module)`` does, for names built at run time; as PyTorch's.

        Raises
        ------
        TypeError
            When ``module`` is not a Module (or None), or ``name`` not a string.
        KeyError
            When ``name`` is empty, holds a dot, or is an attribute other than a
            sub-module (``"training"``, a parameter, a method), as PyTorch's.
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module({name!r}): a Module (or None) "
                            f"expected, got {module!r:.80} ({type(module).__name__})")
        self._check_new_name("add_module", name, self._modules, "a sub-module")
        changed()
        self._modules[name] = module
        object.__setattr__(self, name, module)

    #: PyTorch's other name for :meth:`add_module`
    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at the dotted path ``target`` (``"1.0"``: child ``"1"``'s child
        ``"0"``; ``""``: this module), as PyTorch's.

        Raises
        ------
        AttributeError
            Naming the part of the path that is missing or not a module, as PyTorch's
            ("Sequential has no attribute `5`").
        TypeError
            When ``target`` is not a string.
        """
        _check_target(target, "get_submodule", "'0.1'")
        module = self
        if target:
            for part in target.split("."):
                found = getattr(module, part, _MISSING)
                if found is _MISSING:
                    raise AttributeError(f"{type(module).__name__} has no attribute `{part}` "
                                         f"(get_submodule({target!r}))")
                if not isinstance(found, Module):
                    raise AttributeError(f"`{part}` is not a Module, but a "
                                         f"{type(found).__name__} (get_submodule({target!r}))")
                module = found
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted name ``target`` (``"0.weight"``), as PyTorch's;
        an AttributeError names the missing part (a TypeError a target not a string)."""
        _check_target(target, "get_parameter", "'0.weight'")
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        found = module._parameters.get(name)
        if found is None:
            raise AttributeError(f"`{name}` is not a parameter of {type(module).__name__} "
                                 f"(get_parameter({target!r}))")
        return found

    def get_buffer(self, target: str) -> np.ndarray:
        """The buffer at the dotted name ``target`` (``"1.running_mean"``), as PyTorch's;
        an AttributeError names the missing part (a TypeError a target not a string)."""
        _check_target(target, "get_buffer", "'1.running_mean'")
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if module._buffers.get(name) is None:
            raise AttributeError(f"`{name}` is not a buffer of {type(module).__name__} "
                                 f"(get_buffer({target!r}))")
        return module._buffers[name]

    # ------------------------------------------------------------------ forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        """The evaluation-mode output for the NumPy array ``x``, computed without tensors or
        graph nodes, or None where this module has no such path or ``x`` is not what it
        expects (another dtype, a wrong shape): the caller then calls the module as usual,
        whose checks give the error. ``Sequential`` uses it (through ``infer``) under
        ``no_grad()`` in evaluation mode, where per-call overhead dominates small batches.
        A layer that defines it computes what its ``forward`` computes, with the same
        kernels, bit for bit, except the convolution, which sums in another order (equal
        to rounding). A subclass that overrides ``forward`` does not inherit it."""
        return None

    def _infer_in_place(self, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
        """A step of an inference plan that computes the array path into its input itself
        and returns it, for inputs of the shape and dtype of ``x``, where nothing else
        holds that input (the new array of a layer that ``infers_new``): element-wise
        layers (``ReLU``). None, the default, where the layer has no such step."""
        return None

    def _infer_step(self, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray | None] | None:
        """This module's step in an inference plan (:mod:`retroprop.nn.plan`) for inputs
        of the shape and dtype of the array ``x``, asked where the array path applies: by
        default ``_infer`` itself, which reads the module's state and checks its input at
        every call. A layer may give a leaner step that holds its parameters' arrays and
        does not check again what ``x`` shows (``Linear``); such a step raises
        :class:`Stale` when an array it holds is no longer its parameter's. None: no step
        for such inputs."""
        return self._infer

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooks = self._hooks
        if hooks is not None:
            args, kwargs = hooks.before(self, args, kwargs)
        if args and isinstance(args[0], _ARRAY):
            args = (Tensor(args[0], dtype=self.dtype), *args[1:])
        if hooks is None:
            return self.forward(*args, **kwargs)
        return hooks.call(self, args, kwargs)

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``, as PyTorch's.

        Parameters
        ----------
        hook : callable
            ``hook(module, args) -> None or new args``: ``args`` is the tuple of
            positional arguments of the call (keyword arguments are not passed), as
            given (a NumPy array input is not yet a tensor). A result that is not None
            replaces them, a tuple as the arguments, anything else as the only one. With
            ``with_kwargs=True``: ``hook(module, args, kwargs) -> None or (new_args,
            new_kwargs)``.
        prepend : bool, default False
            Run it before the pre-hooks already registered (else after them).
        with_kwargs : bool, default False

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` takes the hook off.

        Notes
        -----
        Hooks run in every mode (``train()``/``eval()`` keep them) and also under
        ``rp.no_grad()``: a hooked module is called, not passed over by the array path
        of evaluation (``Module._infer``). They are runtime state: ``rp.save`` and
        ``state_dict`` do not store them; ``copy.deepcopy`` copies them, as PyTorch's.

        Examples
        --------
        >>> import numpy as np, retroprop as rp
        >>> layer = rp.nn.ReLU()
        >>> handle = layer.register_forward_pre_hook(lambda module, args: -args[0])
        >>> layer(np.array([1.0, -2.0])).data
        array([0., 2.], dtype=float32)
        >>> handle.remove()
        """
        return self._add_hook("pre", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every ``forward``, as PyTorch's.

        Parameters
        ----------
        hook : callable
            ``hook(module, args, output) -> None or new output``: ``args`` is the tuple of
            positional arguments ``forward`` got (after the pre-hooks, a NumPy array
            input as a tensor). A result that is not None replaces the output (the next
            hook sees it, and the call returns it). With ``with_kwargs=True``:
            ``hook(module, args, kwargs, output)``.
        prepend : bool, default False
            Run it before the forward hooks already registered (else after them).
        with_kwargs : bool, default False

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` takes the hook off.

        Notes
        -----
        See :meth:`register_forward_pre_hook`. PyTorch's ``always_call`` (run the hook
        also when ``forward`` raises) and the global hooks of ``torch.nn.modules.module``
        are not offered. The backward hooks: :meth:`register_full_backward_hook`,
        :meth:`register_full_backward_pre_hook`, and ``Tensor.register_hook``.

        Examples
        --------
        Each layer's mean activation, as in the vanishing-gradient experiments of FAMAF
        (Córdoba), "Redes neuronales", clase 21:

        >>> import numpy as np, retroprop as rp
        >>> model = rp.nn.Sequential(rp.nn.Linear(3, 4), rp.nn.Tanh(), rp.nn.Linear(4, 1))
        >>> means = {}
        >>> handles = [layer.register_forward_hook(
        ...     lambda module, args, out, name=name: means.__setitem__(name, out.data.mean()))
        ...     for name, layer in model.named_children()]
        >>> _ = model(np.ones((2, 3)))
        >>> sorted(means)
        ['0', '1', '2']
        >>> for handle in handles:
        ...     handle.remove()
        """
        return self._add_hook("post", hook, prepend, with_kwargs)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], *,
                                        prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradient w.r.t. the module's outputs
        is computed, before it goes into the module, as PyTorch's.

        Parameters
        ----------
        hook : callable
            ``hook(module, grad_output) -> None or new grad_output``: ``grad_output`` is a
            tuple with one entry per output of ``forward`` (one for a single tensor): the
            ndarray dL/d(output), or None for an output that is not a tensor or got no
            gradient. A result that is not None (a tuple as long, each entry an array or
            Tensor of that output's shape and dtype, or None) replaces it: the next
            pre-hook, the full hooks and the module's layers get the new one.
        prepend : bool, default False
            Run it before the backward pre-hooks already registered (else after them).

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` takes the hook off.

        Notes
        -----
        The hooks fire in ``backward()`` for the calls made while recording (not under
        ``rp.no_grad()``); those registered at the time of the call are the ones that
        fire. Each call that gets a gradient fires them once per backward pass
        (``retain_graph=True`` lets them fire again). The gradients are ndarrays, as
        ``.grad`` is. Runtime state, as the forward hooks: ``rp.save`` and ``state_dict``
        leave them out, ``copy.deepcopy`` copies them (:mod:`retroprop.nn.hooks`). They
        show dL/dy layer by layer, which backpropagation computes from the output back
        (Berzal, "Backpropagation" (Granada)).

        Examples
        --------
        >>> import numpy as np, retroprop as rp
        >>> layer = rp.nn.Linear(3, 2)
        >>> seen = []
        >>> handle = layer.register_full_backward_pre_hook(
        ...     lambda module, grad_output: seen.append(grad_output[0].shape))
        >>> layer(np.ones((4, 3))).sum().backward()
        >>> seen
        [(4, 2)]
        >>> handle.remove()
        """
        return self._add_hook("backward_pre", hook, prepend, False)

    def register_full_backward_hook(self, hook: Callable[..., Any], *,
                                    prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradient w.r.t. the
        module's inputs is computed, as PyTorch's.

        Parameters
        ----------
        hook : callable
            ``hook(module, grad_input, grad_output) -> None or new grad_input``:
            ``grad_input`` has one entry per positional argument of the call: the ndarray
            dL/d(input), None for an argument that is not a tensor or does not require
            grad, zeros for one that the forward pass did not use; ``grad_output`` is what
            the backward pre-hooks left (:meth:`register_full_backward_pre_hook`). A result
            that is not None (a tuple as long, each entry an array or Tensor of that
            input's shape and dtype, or None) replaces ``grad_input``: the next hook and
            the layers before get the new one. Parameters' gradients are not in it: read
            ``.grad`` after ``backward()``.
        prepend : bool, default False
            Run it before the full backward hooks already registered (else after them).

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` takes the hook off.

        Notes
        -----
        As PyTorch's: where no input of the call requires grad (the first layer of a
        network fed with data), the hook runs when the gradient w.r.t. the outputs is
        computed, with ``grad_input`` all None and a warning, and may not replace it. See
        :meth:`register_full_backward_pre_hook` for when hooks fire and what is saved.

        Examples
        --------
        The norm of dL/dh at each hidden layer, which shrinks towards the input in a deep
        sigmoid network: the vanishing gradient of FAMAF (Córdoba), "Redes neuronales",
        clase 21:

        >>> import numpy as np, retroprop as rp
        >>> _ = rp.manual_seed(0)
        >>> model = rp.nn.Sequential(*[rp.nn.Sequential(rp.nn.Linear(8, 8), rp.nn.Sigmoid())
        ...                            for _ in range(4)])
        >>> norms = {}
        >>> for name, block in model.named_children():
        ...     _ = block.register_full_backward_hook(lambda module, grad_input, grad_output,
        ...         name=name: norms.__setitem__(name, np.linalg.norm(grad_output[0])))
        >>> x = rp.Tensor(np.ones((2, 8)), requires_grad=True)
        >>> model(x).sum().backward()
        >>> bool(norms["0"] < norms["3"])
        True
        """
        return self._add_hook("backward", hook, prepend, False)

    def _add_hook(self, kind: str, hook: Callable[..., Any], prepend: bool,
                  with_kwargs: bool) -> RemovableHandle:
        what = _HOOK_KINDS[kind]
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}: a {what} must be callable, got "
                            f"{hook!r:.80} ({type(hook).__name__})")
        for name, flag in (("prepend", prepend), ("with_kwargs", with_kwargs)):
            if not isinstance(flag, bool | np.bool_):
                raise TypeError(f"{type(self).__name__}: {name} must be True or False, got "
                                f"{flag!r:.80}")
        registered = self._hooks
        if registered is None:
            registered = Hooks()
            object.__setattr__(self, "_hooks", registered)
        handle = RemovableHandle(self)
        hooks: OrderedDict[int, Any] = getattr(registered, kind)
        hooks[handle.id] = (hook, bool(with_kwargs)) if kind in ("pre", "post") else hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        changed()  # an inference plan passes over modules: this one must now be called
        return handle

    def _remove_hook(self, hook_id: int) -> None:
        """Take off the hook of id ``hook_id`` (:meth:`RemovableHandle.remove`)."""
        hooks = self._hooks
        if hooks is None:
            return
        for kind in _HOOK_KINDS:
            getattr(hooks, kind).pop(hook_id, None)
        if not hooks:
            self.__dict__.pop("_hooks", None)
        changed()

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the first parameter, else of the first floating-point buffer (batch
        norm without learned parameters), else the default dtype."""
        for param in self.parameters():
            return param.data.dtype
        for array in self.buffers():
            if array.dtype.kind == "f":
                return array.dtype
        return get_default_dtype()

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, with dotted names ("" for this one); a module
        used in several places (shared weights) once, under its first name, unless
        ``remove_duplicate=False`` (as PyTorch's)."""
        seen: set[int] | None = set() if remove_duplicate else None
        yield from self._named_modules(prefix, seen)

    def _named_modules(self, prefix: str, seen: set[int] | None
                       ) -> Iterator[tuple[str, Module]]:
        if seen is not None:
            if id(self) in seen:
                return
            seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child._named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name, e.g. ``("0.weight", Parameter)``, as
        PyTorch's: names start with ``prefix`` (``"net"`` gives ``"net.0.weight"``);
        ``recurse=False`` gives only this module's own; a parameter (or module) used in
        several places once, under its first name, unless ``remove_duplicate=False``."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter once (only this module's own with ``recurse=False``)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        """Every buffer (running statistics) with its dotted name, e.g.
        ``("1.running_mean", array)``: ``prefix``, ``recurse`` and ``remove_duplicate`` as
        in :meth:`named_parameters`, as PyTorch's."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        """Every buffer once (only this module's own with ``recurse=False``), as PyTorch's;
        a buffer is a NumPy array here, not a tensor."""
        for _, array in self.named_buffers(recurse=recurse):
            yield array

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool, unique_modules: bool | None = None
                       ) -> Iterator[tuple[str, Any]]:
        """The non-None entries of ``registry`` (``"_parameters"``, ``"_buffers"``) of this
        module and, with ``recurse``, of every sub-module, by dotted name; with
        ``remove_duplicate`` a module and an entry found twice once (modules only, with
        ``unique_modules=True`` and ``remove_duplicate=False``, as ``state_dict``)."""
        if unique_modules is None:
            unique_modules = remove_duplicate
        modules = self.named_modules(prefix, unique_modules) if recurse else [(prefix, self)]
        seen: set[int] = set()
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def apply(self, fn: Callable[[Module], None]) -> Self:
        """Call ``fn`` on every sub-module and then on this one."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and state
    def train(self, mode: bool = True) -> Self:
        """Training mode (dropout and noise active, batch statistics); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        changed()
        return self

    def eval(self) -> Self:
        """Inference mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: ``grad = None`` (PyTorch's default), or with
        ``set_to_none=False`` fill each existing gradient with zeros in place."""
        zero_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        """Set ``requires_grad`` of every parameter; returns self, as PyTorch's.

        ``requires_grad_(False)`` freezes the module (transfer learning): backward gives
        its parameters no gradient, optimizers leave them as they are (one refuses them at
        construction: pass the trainable ones), the weight constraints do not project them,
        and a batch normalization whose γ and β are frozen keeps its population statistics
        during ``Trainer.fit`` (as Keras's ``trainable=False``).

        The flag is runtime state, as PyTorch's: ``state_dict`` does not hold it, nor does
        the file of ``rp.save``, so a model from ``rp.load`` (or ``load_state_dict`` into
        a fresh one) trains every parameter: freeze it again after loading.
        ``copy.deepcopy`` keeps it.

        Examples
        --------
        >>> import retroprop as rp
        >>> model = rp.nn.Sequential(rp.nn.Linear(4, 8), rp.nn.ReLU(), rp.nn.Linear(8, 2))
        >>> _ = model[0].requires_grad_(False)
        >>> [name for name, p in model.named_parameters() if p.requires_grad]
        ['2.weight', '2.bias']
        """
        if not isinstance(requires_grad, bool | np.bool_):
            raise TypeError(f"{type(self).__name__}.requires_grad_: requires_grad must be True "
                            f"or False, got {requires_grad!r:.80}")
        for param in self.parameters():
            param.requires_grad_(bool(requires_grad))
        return self

    # (below, ``float`` in an annotation of this class would name this method)
    def float(self) -> Self:
        """``to(np.float32)``, as PyTorch's: every parameter and floating buffer in place."""
        return self.to(np.float32)

    def double(self) -> Self:
        """``to(np.float64)``, as PyTorch's: every parameter and floating buffer in place."""
        return self.to(np.float64)

    def cpu(self) -> Self:
        """This module, unchanged: PyTorch's ``cpu()``, where retroprop computes with NumPy
        on the CPU only (as ``to("cpu")``)."""
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False) -> Self:
        """Convert every parameter and floating buffer to float32 or float64, in place:
        ``to(np.float64)``, or PyTorch's forms (``to(device)``, ``to(device, dtype)``,
        ``dtype=``, ``device=``), where the device can only be ``"cpu"`` (no change;
        ``non_blocking`` changes nothing either)."""
        dtype = requested_dtype(args, dtype, device, "Module.to")
        if dtype is None:
            return self
        resolved = _check_float_dtype(dtype, f"{type(self).__name__}.to: the dtype of a "
                                             "module's parameters")
        for param in self.parameters():
            param.data = param.data.astype(resolved, copy=False)
            if param.grad is not None:
                param.grad = param.grad.astype(resolved, copy=False)
        for module in self.modules():
            for name, array in module._buffers.items():
                if array is not None and array.dtype.kind == "f":
                    module._buffers[name] = array.astype(resolved, copy=False)
        changed()
        return self

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed by dotted name (a snapshot)."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for name, param in self.named_parameters():
            state[name] = param.data.copy()
        for name, array in self._named_members("_buffers", "", True, False, True):
            state[name] = np.array(array, copy=True)
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> None:
        """Copy values into the parameters and buffers in place.

        A module used at several places is named at its first one by :meth:`state_dict`
        and at each of them by PyTorch's: both are taken (the names of its other places
        optional; where several are given, the last one's values are kept, as PyTorch's).

        Raises
        ------
        KeyError
            With ``strict=True``, when a key is missing or unexpected (all are listed).
        ValueError
            When a value's shape differs from the parameter's, or is not a real number.
        TypeError
            When ``state_dict`` is not a mapping of names to arrays (a path, a model).
        """
        if not isinstance(state_dict, Mapping) or not all(isinstance(k, str)
                                                           for k in state_dict):
            hint = {str: "for a file, load it with rp.load(path) or "
                         "rp.load(path).state_dict()",
                    Module: "for a model, pass other.state_dict()"}
            found = next((h for t, h in hint.items() if isinstance(state_dict, t)),
                         "it maps parameter names such as '0.weight' to arrays")
            raise TypeError(f"load_state_dict: expected a state dict (model.state_dict()), "
                            f"got {type(state_dict).__name__}; {found}")
        # every place of a module used at several places, in PyTorch's order (the last
        # one's values kept); state_dict() names it at its first place only, the one needed
        targets: dict[str, tuple[Module, str, bool]] = {}
        needed = {name for name, _ in self.named_modules()}
        required: list[str] = []
        for module_name, module in self.named_modules(remove_duplicate=False):
            for registry, is_param in ((module._parameters, True), (module._buffers, False)):
                for name, value in registry.items():
                    if value is not None:
                        full = f"{module_name}.{name}" if module_name else name
                        targets[full] = (module, name, is_param)
                        if module_name in needed:
                            required.append(full)
        missing = [k for k in required if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        for key, (module, name, is_param) in targets.items():
            if key not in state_dict:
                continue
            value = np.asarray(state_dict[key].data if isinstance(state_dict[key], Tensor)
                               else state_dict[key])
            if value.dtype.kind not in "biuf":
                raise ValueError(f"load_state_dict: '{key}' holds {value.dtype} values, "
                                 "expected real numbers")
            current = module._parameters[name].data if is_param else module._buffers[name]
            if value.shape != current.shape:
                raise ValueError(
                    f"load_state_dict: '{key}' has shape {value.shape} in the state dict but "
                    f"{current.shape} in the model"
                )
            if current.dtype.kind in "biu" and value.dtype.kind == "f":
                low, high = (0, 1) if current.dtype.kind == "b" else (
                    np.iinfo(current.dtype).min, np.iinfo(current.dtype).max)
                whole = (value == np.trunc(value)) & (value >= low) & (value <= high)
                if not whole.all():  # a fraction, NaN, ±inf or a number out of range
                    raise ValueError(f"load_state_dict: '{key}' holds {value[~whole][0]}, but "
                                     f"the model keeps it as {current.dtype}: expected whole "
                                     f"numbers from {low} to {high}")
            np.copyto(current, value, casting="unsafe")
            if is_param:
                module._parameters[name]._version += 1

    # ------------------------------------------------------------------ regularization
    def penalty(self) -> Tensor | None:
        """This module's own term added to the training loss (weight penalties); None here.

        The Trainer adds the penalty of every module that overrides this.
        """
        return None

    def proximal_penalty(self) -> builtins.float:
        """The part of ``penalty()`` that a proximal step minimizes (L1) rather than the
        gradient: a constant in the loss, left out of the function that line searches
        compare; 0 here."""
        return 0.0

    def penalty_residuals(self) -> list[Tensor]:
        """The penalty written as residuals ρ, penalty = ½ Σ ρ², for Levenberg–Marquardt
        (which minimizes a sum of squares); none here. A module whose penalty is not a sum
        of squares refuses."""
        if type(self).penalty is Module.penalty:
            return []
        raise TypeError(f"{type(self).__name__}: its penalty is not a sum of squares, so "
                        "Levenberg–Marquardt cannot minimize it")

    def project_(self, prox_rate: Callable[[Parameter], builtins.float | np.ndarray]) -> None:
        """After an optimizer step: proximal steps and projections onto constraints (L1
        soft-threshold, max-norm, ...); nothing here. ``prox_rate(param)`` is the step size
        the optimizer took for ``param`` (a number or one per weight). The Trainer calls it
        on every module that overrides it."""

    @property
    def projects(self) -> bool:
        """Whether ``project_`` moves the weights: True for a module that overrides it
        (a weight layer says False when it has neither L1 nor a constraint). The Trainer
        refuses such modules with an optimizer whose ``allows_projection`` is False."""
        return type(self).project_ is not Module.project_

    # ------------------------------------------------------------------ summary
    def count_params(self, trainable: bool | None = None) -> int:
        """The number of parameter values (see :func:`retroprop.nn.summary.count_params`)."""
        from retroprop.nn.summary import count_params

        return count_params(self, trainable)

    def summary(self, input_shape: Any = None) -> None:
        """Print each layer, its output shape and parameter count, as Keras's
        ``model.summary()`` (see :func:`retroprop.nn.summary.summary`)."""
        from retroprop.nn.summary import summary

        print(summary(self, input_shape))

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The arguments shown inside the parentheses of ``repr``."""
        return ""

    def __repr__(self) -> str:
        children = [f"({name}): {child!r}".replace("\n", "\n  ")
                    for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        return head + "\n  " + "\n  ".join(children) + "\n)"


@contextlib.contextmanager
def evaluating(model: Module) -> Iterator[None]:
    """Run the block with ``model`` in evaluation mode, then give every module back the mode
    it had (``model.train(was_training)`` would unfreeze a batch norm frozen in ``eval()``
    inside a model in training mode)."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, mode in modes:
            module.training = mode


@contextlib.contextmanager
def hooks_suspended(model: Module) -> Iterator[None]:
    """Run the block without the forward hooks of ``model`` and its sub-modules, then put
    them back: for a call the user did not make (the Trainer's look at the outputs' shape
    before ``fit``), which the hooks must not see."""
    hooked = [(module, module.__dict__.pop("_hooks")) for module in
              model.modules() if "_hooks" in module.__dict__]
    if not hooked:
        yield
        return
    changed()  # plans worked out with the hooks' modules called, or without them, are stale
    try:
        yield
    finally:
        for module, hooks in hooked:
            object.__setattr__(module, "_hooks", hooks)
        changed()


def infer(module: Module, x: np.ndarray) -> np.ndarray | None:
    """``module._infer(x)`` where the array path applies, as an array; None otherwise. It
    applies in evaluation mode, when ``_infer`` was written for the ``forward`` the module
    runs (not inherited by a subclass that overrides ``forward``), when ``forward`` was
    not replaced on the instance to record its calls (as ``summary()`` and the divergence
    diagnosis do) and when the module has no forward hooks, which its call runs."""
    if not applies(module):
        return None
    out = module._infer(x)
    return out if out is None or type(out) is np.ndarray else np.asarray(out)  # 0-d: scalars


def applies(module: Module) -> bool:
    """Whether the array path of ``module`` applies: see :func:`infer`."""
    return not (module.training or "forward" in module.__dict__
                or module._hooks is not None or not path_of(type(module)).applies)


class Path(NamedTuple):
    """What of a module class's array path holds for what the class computes."""

    #: ``_infer`` was written at or below every class that defines a method the tensor
    #: path runs (``forward``, ``__call__``, the class's ``infer_uses``): a subclass that
    #: overrides one of them does not inherit the array path
    applies: bool
    #: ``_infer_step``, ``_infer_in_place`` and ``infers_new`` were written with that
    #: ``_infer`` (at or below its class): a subclass that writes its own ``_infer`` does
    #: not inherit its parent's plan steps
    step: bool
    in_place: bool
    new: bool


def path_of(cls: type) -> Path:
    """The :class:`Path` of ``cls``, worked out again after any change to a module class
    (:class:`ModuleType`). A method the tensor path runs counts as the class that defines
    it wrote it, unless it was assigned to that class later: then the array path, written
    for the method as it was, does not apply."""
    known = _PATHS.get(cls)
    if known is None:
        infers = owner(cls, "_infer")

        def written_with(name: str) -> bool:
            defining = owner(cls, name)
            return issubclass(infers, defining) and \
                defining.__dict__[name] is _WRITTEN.get(defining, {}).get(name)

        def written_for(name: str) -> bool:
            return issubclass(owner(cls, name), infers)

        applies = infers is not Module and all(
            written_with(name) for name in ("forward", "__call__", *cls.infer_uses))  # type: ignore[attr-defined]
        known = _PATHS[cls] = Path(applies, written_for("_infer_step"),
                                   written_for("_infer_in_place"), written_for("infers_new"))
    return known


def owner(cls: type, name: str) -> type:
    """The class in ``cls``'s method resolution order that defines ``name``."""
    return next(c for c in cls.__mro__ if name in c.__dict__)


def _recording_arguments(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a subclass's ``__init__`` so that the outermost call records its arguments."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self: Module, *args: Any, **kwargs: Any) -> None:
        if "_arguments" not in self.__dict__:
            object.__setattr__(self, "_arguments", (args, kwargs, signature))
        init(self, *args, **kwargs)

    return wrapper
