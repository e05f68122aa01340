"""Saving and loading models, ``rp.save(model, path)`` and ``rp.load(path)``, and state
dicts and checkpoints, ``rp.save(model.state_dict(), path)`` as with ``torch.save``.

The file is a NumPy ``.npz`` archive read with ``allow_pickle=False``:

* ``__retroprop__``: a JSON header (format name and version, the architecture
  as the tree of module classes and constructor arguments, a module used at several
  places written once and referred to by its number elsewhere, the dtype, the
  ``training`` flag of each module in ``named_modules()`` order, the
  optimizer's class and hyperparameters);
* ``model/<name>``: each parameter and buffer of ``state_dict()``;
* ``optimizer/<n>``: the arrays of the optimizer's complete state (its
  ``state_dict()``, stored as a tree by :mod:`retroprop.state_tree`).

A state file (``rp.save(tree, path)`` with a dict or another tree of numbers, strings,
arrays, tensors, lists and tuples: a ``state_dict()``, or a checkpoint dict of state dicts
and counters) holds the header ``{"format": "retroprop-state", "format_version": 1,
"state": ...}`` and the tree's arrays as ``state/<n>``.

Loading never imports or runs code from the file: module and constraint classes
are looked up among the subclasses already defined in the program (the newest
definition of a class defined twice, as by re-running a notebook cell). Saving
rebuilds the architecture and refuses, before writing, a model that loading
would not give back as it is. Files are written to a temporary file in the same
folder, synced, then renamed, so a crash never leaves a half-written model.

Files are untrusted input: the archive and each array header are checked
against the bytes present before anything is allocated
(:mod:`retroprop.safe_npz`), every header field is checked, and the library
layers the architecture declares must fit the weights the file holds before
they are built (see :func:`allocation_bound`; the program's own classes are
built from the file's arguments as their constructors decide). Any malformed
file raises :class:`~retroprop.errors.ModelFileError` (a
:class:`~retroprop.errors.FileFormatError`, a ``ValueError``).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from retroprop import state_tree
from retroprop.atomic import new_file_mode
from retroprop.errors import ModelFileError
from retroprop.nn.constraints import Constraint
from retroprop.nn.module import Module
from retroprop.optim.optimizer import Optimizer
from retroprop.random import using_generator
from retroprop.safe_npz import read_npz
from retroprop.tensor.device import check_device

FORMAT = "retroprop-model"
FORMAT_VERSION = 2
"""The newest version :func:`save` writes; :func:`load` reads versions 1 to this one and
refuses newer ones with a message asking to upgrade. Version 2 adds references to a module
used at several places (:data:`SAME`); a model without them is written as version 1, which
earlier versions of retroprop read too."""
SHARING_VERSION = 2
"""The first version whose architectures may hold references (:data:`SAME`)."""
STATE_FORMAT = "retroprop-state"
STATE_FORMAT_VERSION = 1
"""The version of state files (:func:`save` of a dict); read as model files' versions."""
HEADER = "__retroprop__"
SAME = "__same_module__"
"""The key of a reference in an architecture: ``{"__same_module__": k}`` stands for the
module described k-th (the model is 0; then its sub-modules depth first, in the order the
description lists them), which is used at that place too (a shared layer)."""


# ---------------------------------------------------------------------- architecture
Seen = dict[int, tuple[int, Module]]
"""The modules described so far, by ``id``: their number and the module (kept alive, so
that no module a ``get_config`` makes afresh takes the ``id`` of one described before)."""


def _encode(value: Any, where: str, seen: Seen) -> Any:
    """``value`` as JSON-compatible data; ``seen`` numbers the modules described so far,
    so that a module met again is written as a reference to its number."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_encode(v, where, seen) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _encode(v, f"{where}.{k}", seen) for k, v in value.items()}
    if isinstance(value, Module):
        if id(value) in seen:
            return {SAME: seen[id(value)][0]}
        return {"__module__": _architecture(value, seen)}
    if isinstance(value, Constraint):
        return {"__constraint__": _constraint_spec(value, where, seen)}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    raise TypeError(f"save: cannot store argument {where} = {value!r} "
                    f"({type(value).__name__}); module arguments must be numbers, strings, "
                    "lists, dtypes, constraints or modules")


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _constraint_spec(constraint: Constraint, where: str, seen: Seen) -> dict[str, Any]:
    """A constraint as its class and the arguments of its ``__init__``, read back from the
    attributes of the same names (``MaxNorm(2.0).max_value``)."""
    cls = type(constraint)
    parameters = ([] if cls.__init__ is object.__init__
                  else list(inspect.signature(cls.__init__).parameters.values())[1:])
    args = {}
    for param in parameters:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or not hasattr(
                constraint, param.name):
            raise TypeError(f"save: cannot store argument {where} = {constraint!r}: a "
                            f"constraint is rebuilt from attributes named as the arguments of "
                            f"its __init__, and {cls.__name__} keeps none for {param}")
        args[param.name] = _encode(getattr(constraint, param.name), f"{where}.{param.name}",
                                   seen)
    return {"class": _qualified(cls), "args": args}


def architecture(module: Module) -> dict[str, Any]:
    """The module tree as JSON-compatible data: class and constructor arguments.

    Sub-modules, constraints (rebuilt from their class and the attributes that hold their
    arguments) and dtypes are stored; other callable arguments (initializers) are left
    out: the saved weights replace whatever they drew. A module given again (the same
    object: ``nn.Sequential(layer, nn.ReLU(), layer)``, ``seq * 3``) is described once
    and referred to by its number at its other places (:data:`SAME`), so that
    :func:`build` gives one module used at each of them, as the model has it.
    """
    return _architecture(module, {})


def _architecture(module: Module, seen: Seen) -> dict[str, Any]:
    """:func:`architecture`, numbering the modules described in ``seen``."""
    seen[id(module)] = (len(seen), module)
    cls = type(module)
    args = {name: _encode(value, f"{cls.__name__}.{name}", seen)
            for name, value in module.get_config().items() if not callable(value)
            or isinstance(value, Module | Constraint | type | int)}  # int: x.size, callable
    return {"class": _qualified(cls), "args": args}


def _live_classes() -> dict[str, list[type]]:
    """Every ``Module`` and ``Constraint`` class alive in the program, by qualified name
    (several where a class was defined again, as by re-running a notebook cell)."""
    found: dict[str, list[type]] = {}
    seen: set[type] = set()
    stack: list[type] = [Module, Constraint]
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.add(cls)
            found.setdefault(_qualified(cls), []).append(cls)
            stack.extend(cls.__subclasses__())
    return found


T = TypeVar("T")


def _resolve(name: Any, base: type[T], classes: dict[str, list[type]]) -> type[T]:
    """The class ``name`` among the subclasses of ``base``. Where it was defined more than
    once (and an old definition is still alive), the newest: the last among the subclasses
    of their first base, which Python keeps in order of creation; definitions derived from
    different bases are ambiguous and refused."""
    candidates: list[type[T]] = [c for c in classes.get(name, []) if issubclass(c, base)
                                 ] if isinstance(name, str) else []
    if not candidates:
        raise ModelFileError(
            f"the model uses the class {name!r}, which is not defined in this program: import "
            "the module that defines it before loading (files never run code)"
        )
    if len(candidates) == 1:
        return candidates[0]
    parent = candidates[0].__bases__[0]
    if any(c.__bases__[0] is not parent for c in candidates):
        bases = ", ".join(sorted(c.__bases__[0].__name__ for c in candidates))
        raise ModelFileError(
            f"the program defines the class {name!r} {len(candidates)} times, derived from "
            f"different classes ({bases}), so which one is the newest is not known: keep one "
            "definition (restart the notebook's kernel) before loading"
        )
    siblings: list[type] = parent.__subclasses__()
    return max(candidates, key=siblings.index)


class _Made:
    """The modules :func:`build` has made so far, by number (None for those still being
    built, which hold the place being decoded), for the references to them (:data:`SAME`).
    """

    def __init__(self, spec: Any) -> None:
        self.modules: list[Module | None] = []
        self.classes: list[str] = []
        self.total = 1 + _count(spec, "__module__")

    def start(self, name: str) -> int:
        """Number the module of class ``name`` that is being built."""
        self.modules.append(None)
        self.classes.append(name)
        return len(self.modules) - 1

    def referred(self, reference: dict[str, Any]) -> Module:
        """The module made before that ``reference`` names; a reference that is malformed,
        or names a module not made yet (one that holds it, itself, or one described
        later), raises a :class:`ModelFileError`."""
        number = reference[SAME]
        if set(reference) != {SAME} or type(number) is not int or number < 0:
            raise ModelFileError(
                f"a reference to a module used again must be {{{SAME!r}: k}} with k the number "
                f"of a module described before it (the model is 0, its sub-modules follow "
                f"depth first), got {reference!r:.80}")
        if number >= self.total:
            raise ModelFileError(f"a reference names module {number}, but the architecture "
                                 f"describes {self.total} modules (0 to {self.total - 1})")
        if number >= len(self.modules):
            raise ModelFileError(
                f"a reference names module {number}, which is described after it: a module "
                "used again refers back to where it is described first")
        module = self.modules[number]
        if module is None:
            raise ModelFileError(
                f"a reference names module {number} ({self.classes[number]:.80}), which "
                "holds it: a module cannot contain itself (a cycle)")
        return module


def _count(spec: Any, key: str) -> int:
    """How many dicts in ``spec`` (its lists and dicts, to any depth) hold ``key``."""
    found, stack = 0, [spec]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found += key in item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _decode(value: Any, classes: dict[str, list[type]], made: _Made) -> Any:
    if isinstance(value, list):
        return [_decode(v, classes, made) for v in value]
    if not isinstance(value, dict):
        return value
    if "__module__" in value:
        return _build(value["__module__"], classes, made)
    if SAME in value:
        return made.referred(value)
    if "__constraint__" in value:
        spec = value["__constraint__"]
        cls = _resolve(spec.get("class"), Constraint, classes)
        return cls(**{k: _decode(v, classes, made) for k, v in spec.get("args", {}).items()})
    if "__dtype__" in value:
        return np.dtype(value["__dtype__"])
    return {k: _decode(v, classes, made) for k, v in value.items()}


def _call_arguments(cls: type, args: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments of ``cls(...)`` for ``args`` recorded by name
    (``get_config``), walking the signature of ``cls.__init__`` in order: the parameters
    before ``*args`` positionally, then ``*args``; the others by keyword, ``**kwargs``
    unpacked."""
    keywords = dict(args)
    positional: list[Any] = []
    parameters = list(inspect.signature(cls).parameters.values())
    before_star = any(param.kind is param.VAR_POSITIONAL for param in parameters)
    extra: dict[str, Any] = {}
    for param in parameters:
        if param.kind is param.VAR_POSITIONAL:
            positional.extend(keywords.pop(param.name, []))
            before_star = False
        elif param.kind is param.VAR_KEYWORD:
            extra = dict(keywords.pop(param.name, {}))
        elif param.kind is param.POSITIONAL_ONLY or (
                before_star and param.kind is param.POSITIONAL_OR_KEYWORD):
            if param.name not in keywords and param.default is param.empty:
                raise TypeError(f"{cls.__name__}: no value recorded for its argument "
                                f"{param.name!r}")
            positional.append(keywords.pop(param.name, param.default))
    if twice := sorted(set(extra) & set(keywords)):
        raise TypeError(f"{cls.__name__}: the arguments {twice} are recorded twice")
    return positional, keywords | extra


def build(spec: dict[str, Any], classes: dict[str, list[type]] | None = None) -> Module:
    """A new module from :func:`architecture`'s description (fresh weights). Classes are
    looked up among those alive in the program (``classes``, by qualified name, by default
    all of them); a class defined several times resolves to its newest definition. A
    reference (:data:`SAME`) gives the module made where it is described first, so that
    one module is used at each of its places."""
    return _build(spec, classes if classes is not None else _live_classes(), _Made(spec))


def _build(spec: dict[str, Any], classes: dict[str, list[type]], made: _Made) -> Module:
    """:func:`build`, numbering the modules it makes in ``made``."""
    number = made.start(str(spec.get("class")))
    cls = _resolve(spec.get("class"), Module, classes)
    args = {k: _decode(v, classes, made) for k, v in spec.get("args", {}).items()}
    positional, keywords = _call_arguments(cls, args)
    module = made.modules[number] = cls(*positional, **keywords)
    return module


# ---------------------------------------------------------------------- save
def _atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.chmod(temporary, new_file_mode())  # keep the user's umask, not mkstemp's 0600
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)  # type: ignore[arg-type]  # the stub types every key
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        _sync_folder(path.parent)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _sync_folder(folder: Path) -> None:
    """Make a rename durable: fsync the folder that holds the file (POSIX)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def save(model: Any, path: str | os.PathLike[str], optimizer: Optimizer | None = None,
         metadata: dict[str, Any] | None = None, training: dict[str, Any] | None = None
         ) -> None:
    """Write the model's architecture, weights and the mode of each module (``training``
    or ``eval()``), and optionally the optimizer's state and JSON-compatible ``metadata``,
    to ``path``, atomically.

    ``model`` may instead be a state dict or a checkpoint, as ``torch.save`` takes them:
    a dict (or list, tuple) of arrays, tensors, numbers, strings, None and nested dicts,
    lists and tuples, such as ``model.state_dict()`` or ``{"model": model.state_dict(),
    "optimizer": optimizer.state_dict(), "epoch": epoch}``. :func:`load` gives it back
    with the same structure and NumPy arrays where it had arrays or tensors (which
    ``load_state_dict`` takes). No pickles: anything else in it is refused by name.
    ``optimizer``, ``metadata`` and ``training`` belong to model files; put such entries
    in the dict instead.

    Before writing, the architecture is rebuilt (without touching the library's random
    generator) and compared with ``model``: a model that :func:`load` would not give back
    as it is (a layer replaced or a setting changed after construction that its
    ``get_config()`` does not show, a container subclass that cannot be rebuilt, a layer
    or parameter tied after construction) raises a ``ValueError`` naming the first module
    that differs, and no file is written.

    A layer used at several places (``nn.Sequential(layer, nn.ReLU(), layer)``,
    ``seq * 3``, the same module in a ``ModuleList`` or ``ModuleDict`` or nested
    containers) is written once and referred to at its other places, and loads back as one
    module used at each of them, its parameters (and statistics) shared as they were.

    Examples
    --------
    >>> import retroprop as rp, tempfile, os
    >>> model = rp.nn.Sequential(rp.nn.Linear(2, 3), rp.nn.ReLU())
    >>> path = os.path.join(tempfile.mkdtemp(), "model.rpz")
    >>> rp.save(model, path)
    >>> rp.load(path)[0].weight.shape
    (3, 2)

    A layer used twice loads back as one module, used twice:

    >>> layer = rp.nn.Linear(2, 2)
    >>> rp.save(rp.nn.Sequential(layer, rp.nn.ReLU(), layer), path)
    >>> loaded = rp.load(path)
    >>> loaded[2] is loaded[0]
    True
    """
    if not isinstance(model, Module):
        _save_state(model, Path(path), optimizer=optimizer, metadata=metadata,
                    training=training)
        return
    _check_json(metadata or {}, "metadata")
    spec = architecture(model)
    _check_rebuilds(model, spec)
    arrays = {f"model/{name}": value for name, value in model.state_dict().items()}
    header: dict[str, Any] = {
        "format": FORMAT, "format_version": SHARING_VERSION if _count(spec, SAME) else 1,
        "architecture": spec, "dtype": np.dtype(model.dtype).name,
        "modes": [module.training for _, module in model.named_modules()],
        "metadata": metadata or {}, "optimizer": None,
    }
    if optimizer is not None:
        tree, optimizer_arrays = state_tree.encode(optimizer.state_dict(), "optimizer")
        arrays |= optimizer_arrays
        header["optimizer"] = {"class": type(optimizer).__name__, "schema": 2, "state": tree}
    if training is not None:
        tree, training_arrays = state_tree.encode(training, "training")
        arrays |= training_arrays
        header["training"] = tree
    encoded = json.dumps(header).encode()
    arrays[HEADER] = np.frombuffer(encoded, dtype=np.uint8)
    _atomic_savez(Path(path), arrays)


def _save_state(tree: Any, path: Path, **model_only: Any) -> None:
    """Write a state tree (``rp.save(model.state_dict(), path)``) as a state file."""
    if not isinstance(tree, dict | list | tuple):
        raise TypeError(f"save: expected a Module, or a state dict or checkpoint (a dict, "
                        f"list or tuple), got {type(tree).__name__}")
    given = [name for name, value in model_only.items() if value is not None]
    if given:
        raise TypeError(f"save: {', '.join(given)} belong to a model file (rp.save(model, "
                        f"path, ...)); with a state dict or checkpoint, put them in the dict")
    try:
        data, arrays = state_tree.encode(tree, "state")
    except state_tree.StateTreeError as error:
        if isinstance(error.value, Module | Optimizer) or callable(
                getattr(error.value, "state_dict", None)):  # a schedule, a callback
            raise TypeError(f"save: cannot store {error.where} (a {type(error.value).__name__})"
                            ": store its state_dict() instead") from None
        raise TypeError(f"save: {error}") from None
    header = {"format": STATE_FORMAT, "format_version": STATE_FORMAT_VERSION, "state": data}
    arrays[HEADER] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    _atomic_savez(path, arrays)


def _check_json(value: Any, where: str) -> None:
    """Raise a ``TypeError`` naming the first entry of ``value`` that JSON cannot store."""
    if value is None or isinstance(value, bool | int | float | str):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not (key is None or isinstance(key, bool | int | float | str)):
                raise TypeError(f"save: {where} has the key {key!r} ({type(key).__name__}); "
                                "JSON keys are strings or numbers")
            _check_json(item, f"{where}[{key!r}]")
    else:
        raise TypeError(f"save: {where} = {value!r:.60} ({type(value).__name__}) cannot be "
                        "stored as JSON: metadata holds numbers, strings, booleans, None, "
                        "lists and dicts (convert NumPy values with .tolist())")


# ---------------------------------------------------------------------- the save-time check
_REBUILT = ("rp.load rebuilds every module from the arguments its __init__ was called with "
            "(get_config()): give settings to the constructor, or give the class a "
            "get_config() that returns what its __init__ needs to build it as it is now")


def _described(name: str, module: Module) -> str:
    return (f"module {name!r}" if name else "the model") + f" ({type(module).__name__})"


def _check_rebuilds(model: Module, spec: dict[str, Any]) -> None:
    """Raise a ``ValueError`` when ``spec`` does not rebuild ``model`` as it is: a module
    that cannot be rebuilt, modules or parameters used twice that the rebuilt model does
    not share in the same way, or a module whose type, sub-modules, parameter and buffer
    shapes or ``extra_repr()`` differ."""
    with using_generator(np.random.default_rng(0)):
        try:
            rebuilt = build(spec)
        except Exception as error:  # any constructor's error, reported at its module
            name, module, error = _innermost_failure(model, error)
            raise ValueError(f"save: the file would not load back: {_described(name, module)} "
                             f"cannot be rebuilt from the arguments it records, "
                             f"{module.get_config()!r:.200} ({type(error).__name__}: {error}); "
                             f"{_REBUILT}") from None
    mine, theirs = _sharing(model), _sharing(rebuilt)
    for key in [k for k in mine | theirs if mine.get(k) != theirs.get(k)][:1]:
        if key in mine:
            raise ValueError(f"save: the file would not load back as this model: {key!r} is the "
                             f"same {mine[key][1]} as {mine[key][0]!r} but rebuilds as another; "
                             "a model file records a layer used twice (shared weights) where "
                             "the same layer is given to the constructors again (nn.Sequential("
                             "layer, nn.ReLU(), layer), seq * 3, ModuleList, ModuleDict) or "
                             "where its class's __init__ makes it so, and a parameter used "
                             "twice (tied weights) only where its class's __init__ makes it so"
                             )
        raise ValueError(f"save: the file would not load back as this model: {key!r} is not "
                         f"{theirs[key][0]!r} but rebuilds as the same {theirs[key][1]}; "
                         f"{_REBUILT}")
    built = dict(rebuilt.named_modules(remove_duplicate=False))
    for name, module in model.named_modules(remove_duplicate=False):
        why = _difference(module, built[name])
        if why:
            raise ValueError(f"save: the file would not load back as this model: "
                             f"{_described(name, module)} {why}; {_REBUILT}")


def _sharing(model: Module) -> dict[str, tuple[str, str]]:
    """Each place in ``model`` of a module or parameter met before, with the first place it
    was met at and its type."""
    first: dict[int, str] = {}
    again: dict[str, tuple[str, str]] = {}
    for name, module in model.named_modules(remove_duplicate=False):
        for key, item in [(name, module)] + [(f"{name}.{p}" if name else p, param) for p, param
                                             in module._parameters.items() if param is not None]:
            if id(item) in first:
                again[key] = (first[id(item)], type(item).__name__)
            else:
                first[id(item)] = key
    return again


def _innermost_failure(model: Module, error: Exception) -> tuple[str, Module, Exception]:
    """The deepest module on the way down from ``model`` (which fails with ``error``)
    that cannot be rebuilt from its own architecture, and its error."""
    name, module = "", model
    while True:
        for child_name, child in module.named_children():
            try:
                build(architecture(child))
            except Exception as child_error:
                name = f"{name}.{child_name}" if name else child_name
                module, error = child, child_error
                break
        else:
            return name, module, error


def _difference(module: Module, rebuilt: Module) -> str:
    """How ``rebuilt`` differs from ``module``, not counting sub-modules' own contents
    (empty when it does not)."""
    if type(rebuilt) is not type(module):
        if _qualified(type(rebuilt)) == _qualified(type(module)):
            return ("is an instance of an older definition of its class, which was defined "
                    "again since: rp.load builds the newest one")
        return f"rebuilds as a {type(rebuilt).__name__}"
    mine, theirs = [n for n, _ in module.named_children()], [n for n, _ in
                                                              rebuilt.named_children()]
    if mine != theirs:
        return f"has the sub-modules {mine} but rebuilds with {theirs}"
    for kind, registry in (("parameters", "_parameters"), ("buffers", "_buffers")):
        mine_shapes, their_shapes = (
            {n: tuple(v.shape) for n, v in getattr(m, registry).items() if v is not None}
            for m in (module, rebuilt))
        if mine_shapes != their_shapes:
            return f"has the {kind} {mine_shapes} but rebuilds with {their_shapes}"
    if module.extra_repr() != rebuilt.extra_repr():
        return (f"is {type(module).__name__}({module.extra_repr()}) but rebuilds as "
                f"{type(rebuilt).__name__}({rebuilt.extra_repr()})")
    mine_settings, their_settings = _settings(module), _settings(rebuilt)
    for name in sorted(mine_settings.keys() | their_settings.keys()):
        if repr(mine_settings.get(name)) != repr(their_settings.get(name)):
            return (f"has {name} = {mine_settings.get(name)!r} but rebuilds with "
                    f"{name} = {their_settings.get(name)!r} (a setting changed after "
                    "construction that its class does not record: see config_attributes)")
    return ""


_SETTING = bool | int | float | str | None
_OTHER = object()


def _plain(value: Any) -> Any:
    """``value`` as its JSON record gives it back (a NumPy number as Python's, a list as a
    tuple, which JSON does not tell apart), or ``_OTHER`` where it is not a plain value."""
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, _SETTING):
        return value
    if isinstance(value, tuple | list):
        items = tuple(_plain(item) for item in value)
        return _OTHER if any(item is _OTHER for item in items) else items
    return _OTHER


def _settings(module: Module) -> dict[str, Any]:
    """A module's public attributes that are plain values (numbers, strings, their tuples
    or lists): its settings, which a rebuilt module must have too."""
    plain = {name: _plain(value) for name, value in vars(module).items()
             if not name.startswith("_") and name != "training"}
    return {name: value for name, value in plain.items() if value is not _OTHER}


# ---------------------------------------------------------------------- load
def _check_header(header: Any, path: Path) -> dict[str, Any]:
    """The header after checking every field that loading uses."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"load: {path} is not a retroprop model file")
    version = header.get("format_version")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"load: {path} declares format version {version!r}; format "
                             f"versions are integers from 1 (this retroprop reads up to "
                             f"{FORMAT_VERSION})")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"load: {path} was written in format version {version} by a newer retroprop; this "
            f"version reads format versions up to {FORMAT_VERSION}: upgrade retroprop"
        )
    expected = {"architecture": dict, "metadata": dict, "dtype": str}
    for field, kind in expected.items():
        if not isinstance(header.get(field), kind):
            raise ModelFileError(f"load: {path} has a corrupt header: {field} must be a "
                                 f"{kind.__name__}, got {header.get(field)!r:.80}")
    if header["dtype"] not in ("float32", "float64"):
        raise ModelFileError(f"load: {path} has a corrupt header: dtype {header['dtype']!r:.80} "
                             "is not float32 or float64")
    modes = header.get("modes")
    if modes is not None and not (isinstance(modes, list) and all(type(m) is bool for m in modes)):
        raise ModelFileError(f"load: {path} has a corrupt header: modes must be a list of "
                             f"booleans, got {modes!r:.80}")
    optimizer = header.get("optimizer")
    if optimizer is not None and not (_is_state_tree(optimizer) or _is_legacy_state(optimizer)):
        raise ModelFileError(f"load: {path} has a corrupt header: the optimizer entry is "
                             f"neither a state tree (schema 2) nor per-parameter scalars and "
                             f"param_groups: {optimizer!r:.80}")
    return header


def _is_state_tree(optimizer: Any) -> bool:
    return isinstance(optimizer, dict) and optimizer.get("schema") == 2 and "state" in optimizer


def _is_legacy_state(optimizer: Any) -> bool:
    """The optimizer entry of files written before the state schema."""
    return (isinstance(optimizer, dict) and isinstance(optimizer.get("scalars"), dict)
            and all(isinstance(v, dict) for v in optimizer["scalars"].values())
            and isinstance(optimizer.get("param_groups"), list)
            and all(isinstance(g, dict) for g in optimizer["param_groups"]))


def _read(path: str | os.PathLike[str]) -> tuple[Any, dict[str, np.ndarray]]:
    """The parsed JSON header and the other arrays of the retroprop file at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load: no model file at {path}")
    arrays = read_npz(path, ModelFileError, "load: ", "retroprop model")
    raw = arrays.pop(HEADER, None)
    if raw is None:
        raise ModelFileError(f"load: {path} is not a retroprop model file (no retroprop header)")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError(f"load: {path} has a corrupt header: {HEADER} must be 1-D uint8 "
                             f"bytes, got {raw.dtype} of shape {raw.shape}")
    try:
        header = json.loads(raw.tobytes().decode())
    except (ValueError, RecursionError) as error:
        raise ModelFileError(f"load: {path} has a corrupt header ({error})") from None
    for name, value in arrays.items():
        if value.dtype.kind not in "biuf":
            raise ModelFileError(f"load: {path}: array {name!r} has dtype {value.dtype}; "
                                 "model files hold numbers only")
    return header, arrays


def _is_state_file(header: Any) -> bool:
    return isinstance(header, dict) and header.get("format") == STATE_FORMAT


def _open(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The checked header and the arrays of the model file at ``path``."""
    return _checked_model(*_read(path), path)


def _checked_model(header: Any, arrays: dict[str, np.ndarray], path: str | os.PathLike[str]
                   ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A model file's header, checked, and its arrays, checked by name."""
    if _is_state_file(header):
        raise ModelFileError(f"load: {path} holds a state dict or checkpoint written by "
                             "rp.save(dict, path), not a model: read it with rp.load(path)")
    header = _check_header(header, Path(path))
    for name in arrays:
        if not name.startswith(("model/", "optimizer/", "training/")):
            raise ModelFileError(f"load: {path} holds an unexpected array {name!r}")
    return header, arrays


def _load_state(header: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> Any:
    """The state tree of a state file, after checking its header and arrays."""
    version = header.get("format_version")
    if type(version) is not int or not 1 <= version <= STATE_FORMAT_VERSION:
        raise ModelFileError(f"load: {path} declares state format version {version!r}; this "
                             f"retroprop reads versions 1 to {STATE_FORMAT_VERSION} (a newer "
                             "one needs a newer retroprop)")
    for name in arrays:
        if not name.startswith("state/"):
            raise ModelFileError(f"load: {path} holds an unexpected array {name!r}")
    return _decoded(header.get("state"), arrays, f"load: {path}")


def _decoded(tree: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """The stored state ``tree`` put back together (:func:`state_tree.decode`); a malformed
    tree is a :class:`ModelFileError` that begins with ``where``."""
    try:
        return state_tree.decode(tree, arrays)
    except (state_tree.StateTreeError, RecursionError) as error:
        raise ModelFileError(f"{where}: {error}") from None


def _size(args: dict[str, Any], name: str) -> int:
    """The product of the positive integers in argument ``name`` (1 when there are none)."""
    return math.prod(_sizes(args.get(name)))


WEIGHT_COUNTS: dict[str, Callable[[dict[str, Any]], int]] = {
    "retroprop.nn.conv.Conv2d": lambda a: _size(a, "out_channels") * (
        _size(a, "in_channels") // _size(a, "groups") + 1) * _size(a, "kernel_size"),
    "retroprop.nn.recurrent.RNN": lambda a: _size(a, "num_layers") * _size(
        a, "hidden_size") * (_size(a, "input_size") + 2 * _size(a, "hidden_size") + 2),
}
"""How many weights the library's modules allocate, where the product of their integer
arguments does not bound it (strides and groups do not multiply, hidden sizes square)."""


def allocation_bound(spec: Any) -> int:
    """The number of elements that building ``spec`` allocates in retroprop's own modules,
    within a small factor (biases and running statistics aside): for each module of a
    class under ``retroprop.``, the product of its positive integer arguments (in·out for
    ``Linear``, num_features for ``BatchNorm1d``), or its count in :data:`WEIGHT_COUNTS`.
    :func:`load` refuses architectures whose estimate exceeds 2¹⁶ + 16 × the elements the
    file holds.

    The integer arguments of the program's own classes are not counted: what their
    constructors allocate is not known before they run (``MLP(64, 128, 64, 10)`` allocates
    sums of pairwise products, a seed allocates nothing), and such a class is code the
    program imported, not code from the file. The library modules passed to them as
    arguments are counted."""
    total, stack = 0, [spec]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and isinstance(item.get("__module__"), dict):
            name, args = item["__module__"].get("class"), item["__module__"].get("args")
            if isinstance(args, dict):
                if isinstance(name, str) and name.startswith("retroprop."):
                    count = WEIGHT_COUNTS.get(name)
                    total += count(args) if count else math.prod(_sizes(args))
                stack.append(args)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return total


def _sizes(value: Any) -> list[int]:
    """The positive integers in ``value``, its lists and dicts, but not in sub-modules or
    references to them."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and "__module__" not in item and SAME not in item:
            stack.extend(item.values())
        elif type(item) is int and item > 0:
            found.append(item)
    return found


def _build_checked(header: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> Module:
    """Build the saved architecture once its size is known to fit the weights present."""
    if header["format_version"] < SHARING_VERSION and _count(header["architecture"], SAME):
        raise ModelFileError(f"load: {path} declares format version {header['format_version']}"
                             f" but its architecture holds references to modules used again "
                             f"({SAME!r}), which format version {SHARING_VERSION} introduced")
    stored = sum(value.size for name, value in arrays.items() if name.startswith("model/"))
    bound = allocation_bound({"__module__": header["architecture"]})
    if bound > 2**16 + 16 * stored:
        raise ModelFileError(
            f"load: {path}: the architecture declares layers of about {bound} weights but the "
            f"file holds {stored}: refusing to allocate them"
        )
    try:
        with using_generator(np.random.default_rng(0)):  # (the weights are read next)
            return build(header["architecture"])
    except ModelFileError as error:
        raise ModelFileError(f"load: {path}: {error}") from None
    except Exception as error:  # constructors may raise anything on hostile arguments
        raise ModelFileError(f"load: {path}: the saved architecture cannot be built "
                             f"({type(error).__name__}: {error})") from None


def load(path: str | os.PathLike[str], map_location: Any = None,
         weights_only: bool | None = None) -> Any:
    """What :func:`save` wrote at ``path``: the model, or the state dict or checkpoint.

    A model comes back as :func:`load_model` gives it; a state dict or checkpoint with
    its structure, arrays and tensors as NumPy arrays (``torch.load`` with
    ``weights_only=True`` is the analogue: no code runs, no pickles are read).
    ``map_location`` (None or ``"cpu"``) and ``weights_only`` (a bool or None) are
    ``torch.load``'s, taken so that its calls run as written; they change nothing: there
    is no other device, and no file is read by running code whatever ``weights_only``.

    Examples
    --------
    >>> import retroprop as rp, tempfile, os
    >>> model = rp.nn.Linear(2, 1)
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.rpz")
    >>> rp.save({"model": model.state_dict(), "epoch": 3}, path)
    >>> checkpoint = rp.load(path)
    >>> model.load_state_dict(checkpoint["model"])
    >>> checkpoint["epoch"]
    3
    """
    check_device(map_location, "load", "map_location")
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be True, False or None, got "
                        f"{weights_only!r}")
    header, arrays = _read(path)
    if _is_state_file(header):
        return _load_state(header, arrays, Path(path))
    return _model(*_checked_model(header, arrays, path), path)


def load_model(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved at ``path`` with its weights, each module in the mode it
    was saved in (``training`` or ``eval()``; files written before retroprop recorded
    modes load in training mode). A state file (``rp.save(dict, path)``) is refused.
    The library's random generator is left as it was (a state restored by
    :func:`~retroprop.random.set_rng_state` before loading still holds), as ``torch.load``.

    Raises
    ------
    FileNotFoundError
        When there is no file at ``path``.
    ModelFileError
        For a corrupt, truncated, foreign, pickled or newer file, or one whose header
        declares more than the file holds (see :mod:`retroprop.safe_npz`).
    """
    return _model(*_open(path), path)


def _model(header: dict[str, Any], arrays: dict[str, np.ndarray], path: str | os.PathLike[str]
           ) -> Module:
    """The model of a checked model file, with its weights and modes."""
    model = _build_checked(header, arrays, Path(path))
    model.to(header["dtype"])
    state = {name[len("model/"):]: value for name, value in arrays.items()
             if name.startswith("model/")}
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as error:
        raise ModelFileError(f"load: {path}: the weights do not fit the architecture ({error})"
                             ) from None
    modes = header.get("modes")
    if modes is not None:
        modules = [module for _, module in model.named_modules()]
        if len(modes) != len(modules):
            raise ModelFileError(f"load: {path}: the header records the modes of {len(modes)} "
                                 f"modules but the architecture has {len(modules)}")
        for module, mode in zip(modules, modes, strict=True):
            module.training = mode
    return model


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metadata`` dict saved with the model (empty when none was given)."""
    header, _ = _open(path)
    return dict(header["metadata"])


def load_optimizer_state(path: str | os.PathLike[str], optimizer: Optimizer | None = None
                         ) -> dict[str, Any]:
    """The optimizer state saved with the model, for ``optimizer.load_state_dict``; raises
    :class:`ModelFileError` as :func:`load` does, and when ``optimizer`` is given and is
    not of the class whose state the file holds (Adam's state loaded into SGD would give it
    Adam's learning rate).

    Examples
    --------
    >>> import retroprop as rp, tempfile, os
    >>> model = rp.nn.Linear(2, 1)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.rpz")
    >>> rp.save(model, path, optimizer=rp.optim.SGD(model.parameters(), lr=0.1))
    >>> optimizer = rp.optim.SGD(model.parameters(), lr=0.5)
    >>> optimizer.load_state_dict(rp.load_optimizer_state(path, optimizer))
    >>> optimizer.param_groups[0]["lr"]
    0.1
    """
    header, arrays = _open(path)
    saved = header.get("optimizer")
    if saved is None:
        raise ModelFileError(f"load_optimizer_state: {path} was saved without an optimizer")
    if optimizer is not None and saved.get("class") != type(optimizer).__name__:
        raise ModelFileError(f"load_optimizer_state: {path} holds the state of a "
                             f"{saved.get('class')!r:.40} optimizer, but optimizer is a "
                             f"{type(optimizer).__name__}: create the optimizer of the class "
                             "that was saved")
    if saved.get("schema") == 2:
        return _decoded(saved["state"], arrays, f"load_optimizer_state: {path}")
    # files written before the state schema: per-parameter scalars and arrays only
    state: dict[int, dict[str, Any]] = {}
    try:
        for index, scalars in saved["scalars"].items():
            state.setdefault(_index(index), {}).update(scalars)
        for name, value in arrays.items():
            if name.startswith("optimizer/"):
                _, index, buffer = name.split("/", 2)
                state.setdefault(_index(index), {})[buffer] = value
    except ValueError as error:
        raise ModelFileError(f"load_optimizer_state: {path} has corrupt optimizer state "
                             f"({error})") from None
    return {"state": state, "param_groups": saved["param_groups"]}


def _index(text: str) -> int:
    """A parameter index as saved: decimal digits only."""
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise ValueError(f"parameter index {text!r:.40} is not a small non-negative integer")
    return int(text)


def load_training_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The training state of a resumable checkpoint (``ModelCheckpoint(resumable=True)``),
    for ``Trainer.fit(..., resume_from=path)``."""
    header, arrays = _open(path)
    saved = header.get("training")
    if saved is None:
        raise ModelFileError(f"resume: {path} is a model file without a training state; "
                             "write resumable checkpoints with ModelCheckpoint(path, "
                             "resumable=True)")
    state = _decoded(saved, arrays, f"resume: {path}")
    if not isinstance(state, dict):
        raise ModelFileError(f"resume: {path} has a malformed training state")
    return state
