"""Saving and loading models: ``rp.save(model, path)`` and ``rp.load(path)``.

The file is a NumPy ``.npz`` archive read with ``allow_pickle=False``:

* ``__retroprop__``: a JSON header (format name and version, the architecture
  as the tree of module classes and constructor arguments, the dtype, the
  optimizer's hyperparameters);
* ``model/<name>``: each parameter and buffer of ``state_dict()``;
* ``optimizer/<n>``: the arrays of the optimizer's complete state (its
  ``state_dict()``, stored as a tree by :mod:`retroprop.state_tree`).

Loading never imports or runs code from the file: module classes are looked
up among the ``Module`` subclasses already defined in the program. Files are
written to a temporary file in the same folder, synced, then renamed, so a
crash never leaves a half-written model.

Files are untrusted input: the archive and each array header are checked
against the bytes present before anything is allocated
(:mod:`retroprop.safe_npz`), every header field is checked, and the layers the
architecture declares must fit the weights the file holds before they are
built. Any malformed file raises :class:`~retroprop.errors.ModelFileError`
(a :class:`~retroprop.errors.FileFormatError`, a ``ValueError``).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from retroprop import state_tree
from retroprop.atomic import new_file_mode
from retroprop.errors import ModelFileError
from retroprop.nn.module import Module
from retroprop.optim.optimizer import Optimizer
from retroprop.safe_npz import read_npz

FORMAT = "retroprop-model"
FORMAT_VERSION = 1
"""The version :func:`save` writes; :func:`load` reads versions 1 to this one and refuses
newer ones with a message asking to upgrade."""
HEADER = "__retroprop__"


# ---------------------------------------------------------------------- architecture
def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_encode(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _encode(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, Module):
        return {"__module__": architecture(value)}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    raise TypeError(f"save: cannot store argument {where} = {value!r} "
                    f"({type(value).__name__}); module arguments must be numbers, strings, "
                    "lists, dtypes or modules")


def architecture(module: Module) -> dict[str, Any]:
    """The module tree as JSON-compatible data: class and constructor arguments.

    Callable arguments (initializers) are left out: the saved weights replace
    whatever they drew.
    """
    cls = type(module)
    args = {name: _encode(value, f"{cls.__name__}.{name}")
            for name, value in module.get_config().items() if not callable(value)
            or isinstance(value, Module | type)}
    return {"class": f"{cls.__module__}.{cls.__qualname__}", "args": args}


def _module_classes() -> dict[str, type[Module]]:
    found: dict[str, type[Module]] = {}
    stack = [Module]
    while stack:
        cls = stack.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        stack.extend(cls.__subclasses__())
    return found


def _decode(value: Any, classes: dict[str, type[Module]]) -> Any:
    if isinstance(value, list):
        return [_decode(v, classes) for v in value]
    if isinstance(value, dict) and "__module__" in value:
        return build(value["__module__"], classes)
    if isinstance(value, dict) and "__dtype__" in value:
        return np.dtype(value["__dtype__"])
    return value


def build(spec: dict[str, Any], classes: dict[str, type[Module]] | None = None) -> Module:
    """A new module from :func:`architecture`'s description (fresh weights)."""
    classes = classes if classes is not None else _module_classes()
    name = spec.get("class")
    if name not in classes:
        raise ModelFileError(
            f"the model uses the class {name!r}, which is not defined in this program: import "
            "the module that defines it before loading (files never run code)"
        )
    cls = classes[name]
    args = {k: _decode(v, classes) for k, v in spec.get("args", {}).items()}
    signature = inspect.signature(cls.__init__)
    positional = []
    for param in signature.parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            positional = list(args.pop(param.name, []))
    return cls(*positional, **args)


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


def save(model: Module, path: str | os.PathLike[str], optimizer: Optimizer | None = None,
         metadata: dict[str, Any] | None = None, training: dict[str, Any] | None = None
         ) -> None:
    """Write the model's architecture and weights (and optionally the optimizer's state and
    JSON-compatible ``metadata``) to ``path``, atomically.

    Examples
    --------
    >>> import retroprop as rp, tempfile, os
    >>> model = rp.nn.Sequential(rp.nn.Linear(2, 3), rp.nn.ReLU())
    >>> path = os.path.join(tempfile.mkdtemp(), "model.rpz")
    >>> rp.save(model, path)
    >>> rp.load(path)[0].weight.shape
    (3, 2)
    """
    if not isinstance(model, Module):
        raise TypeError(f"save: model must be a Module, got {type(model).__name__}")
    arrays = {f"model/{name}": value for name, value in model.state_dict().items()}
    header: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "architecture": architecture(model), "dtype": np.dtype(model.dtype).name,
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


def _open(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The checked header and the arrays of the model file at ``path``."""
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
    header = _check_header(header, path)
    for name, value in arrays.items():
        if not name.startswith(("model/", "optimizer/", "training/")):
            raise ModelFileError(f"load: {path} holds an unexpected array {name!r}")
        if value.dtype.kind not in "biuf":
            raise ModelFileError(f"load: {path}: array {name!r} has dtype {value.dtype}; "
                                 "model files hold numbers only")
    return header, arrays


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
    """The number of elements that building ``spec`` allocates, within a small factor (biases
    and running statistics aside): for each module, the product of its positive integer
    arguments (in·out for ``Linear``, num_features for ``BatchNorm1d``), or its count in
    :data:`WEIGHT_COUNTS`. :func:`load` refuses architectures whose estimate exceeds
    2¹⁶ + 16 × the elements the file holds."""
    total, stack = 0, [spec]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and isinstance(item.get("__module__"), dict):
            args = item["__module__"].get("args")
            if isinstance(args, dict):
                count = WEIGHT_COUNTS.get(item["__module__"].get("class"))
                total += count(args) if count else math.prod(_sizes(args))
                stack.append(args)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return total


def _sizes(value: Any) -> list[int]:
    """The positive integers in ``value``, its lists and dicts, but not in sub-modules."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and "__module__" not in item:
            stack.extend(item.values())
        elif type(item) is int and item > 0:
            found.append(item)
    return found


def _build_checked(header: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> Module:
    """Build the saved architecture once its size is known to fit the weights present."""
    stored = sum(value.size for name, value in arrays.items() if name.startswith("model/"))
    bound = allocation_bound({"__module__": header["architecture"]})
    if bound > 2**16 + 16 * stored:
        raise ModelFileError(
            f"load: {path}: the architecture declares layers of about {bound} weights but the "
            f"file holds {stored}: refusing to allocate them"
        )
    try:
        return build(header["architecture"])
    except ModelFileError as error:
        raise ModelFileError(f"load: {path}: {error}") from None
    except Exception as error:  # constructors may raise anything on hostile arguments
        raise ModelFileError(f"load: {path}: the saved architecture cannot be built "
                             f"({type(error).__name__}: {error})") from None


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved at ``path`` with its weights.

    Raises
    ------
    FileNotFoundError
        When there is no file at ``path``.
    ModelFileError
        For a corrupt, truncated, foreign, pickled or newer file, or one whose header
        declares more than the file holds (see :mod:`retroprop.safe_npz`).
    """
    header, arrays = _open(path)
    model = _build_checked(header, arrays, Path(path))
    model.to(header["dtype"])
    state = {name[len("model/"):]: value for name, value in arrays.items()
             if name.startswith("model/")}
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as error:
        raise ModelFileError(f"load: {path}: the weights do not fit the architecture ({error})"
                             ) from None
    return model


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metadata`` dict saved with the model (empty when none was given)."""
    header, _ = _open(path)
    return dict(header["metadata"])


def load_optimizer_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The optimizer state saved with the model, for ``optimizer.load_state_dict``; raises
    :class:`ModelFileError` as :func:`load` does."""
    header, arrays = _open(path)
    saved = header.get("optimizer")
    if saved is None:
        raise ModelFileError(f"load_optimizer_state: {path} was saved without an optimizer")
    if saved.get("schema") == 2:
        try:
            return state_tree.decode(saved["state"], arrays)
        except (state_tree.StateTreeError, RecursionError) as error:
            raise ModelFileError(f"load_optimizer_state: {path}: {error}") from None
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
    try:
        state = state_tree.decode(saved, arrays)
    except (state_tree.StateTreeError, RecursionError) as error:
        raise ModelFileError(f"resume: {path}: {error}") from None
    if not isinstance(state, dict):
        raise ModelFileError(f"resume: {path} has a malformed training state")
    return state
