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
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from retroprop import state_tree
from retroprop.atomic import new_file_mode
from retroprop.nn.module import Module
from retroprop.optim.optimizer import Optimizer

FORMAT = "retroprop-model"
FORMAT_VERSION = 1
HEADER = "__retroprop__"


class ModelFileError(ValueError):
    """A file that is not a readable retroprop model (corrupt, foreign, or too new)."""


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
            np.savez(out, **arrays)
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
def _open(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load: no model file at {path}")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic[:1] == b"\x80":
        raise ModelFileError(f"load: {path} holds pickled data, which could run code: "
                             "refusing to load it")
    if magic != b"PK\x03\x04":
        raise ModelFileError(f"load: {path} is corrupt or not a retroprop model (it is not a "
                             "NumPy .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile) or HEADER not in archive.files:
                raise ModelFileError(f"load: {path} is not a retroprop model file "
                                     "(no retroprop header)")
            arrays = {name: archive[name] for name in archive.files}
    except ModelFileError:
        raise
    except ValueError as error:
        if "pickle" in str(error):
            raise ModelFileError(f"load: {path} holds pickled data, which could run code: "
                                 "refusing to load it") from None
        raise ModelFileError(f"load: {path} is corrupt or not a retroprop model ({error})"
                             ) from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ModelFileError(f"load: {path} is corrupt or not a retroprop model ({error})"
                             ) from None
    try:
        header = json.loads(arrays.pop(HEADER).tobytes().decode())
    except (ValueError, UnicodeDecodeError) as error:
        raise ModelFileError(f"load: {path} has a corrupt header ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"load: {path} is not a retroprop model file")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"load: {path} was written in format version {version} by a newer retroprop; this "
            f"version reads format versions up to {FORMAT_VERSION}: upgrade retroprop"
        )
    return header, arrays


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved at ``path`` with its weights; raises :class:`ModelFileError`
    for a corrupt, foreign, pickled or newer file."""
    header, arrays = _open(path)
    model = build(header["architecture"])
    model.to(header.get("dtype", "float32"))
    state = {name[len("model/"):]: value for name, value in arrays.items()
             if name.startswith("model/")}
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError) as error:
        raise ModelFileError(f"load: {path}: the weights do not fit the architecture ({error})"
                             ) from None
    return model


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metadata`` dict saved with the model (empty when none was given)."""
    header, _ = _open(path)
    return dict(header.get("metadata") or {})


def load_optimizer_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The optimizer state saved with the model, for ``optimizer.load_state_dict``."""
    header, arrays = _open(path)
    saved = header.get("optimizer")
    if saved is None:
        raise ModelFileError(f"load_optimizer_state: {path} was saved without an optimizer")
    if not isinstance(saved, dict):
        raise ModelFileError(f"load_optimizer_state: {path} has a malformed optimizer section")
    if saved.get("schema") == 2:
        try:
            return state_tree.decode(saved["state"], arrays)
        except state_tree.StateTreeError as error:
            raise ModelFileError(f"load_optimizer_state: {path}: {error}") from None
    # files written before the state schema: per-parameter scalars and arrays only
    state: dict[int, dict[str, Any]] = {}
    for index, scalars in saved["scalars"].items():
        state.setdefault(int(index), {}).update(scalars)
    for name, value in arrays.items():
        if name.startswith("optimizer/"):
            _, index, buffer = name.split("/", 2)
            state.setdefault(int(index), {})[buffer] = value
    return {"state": state, "param_groups": saved["param_groups"]}


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
    except state_tree.StateTreeError as error:
        raise ModelFileError(f"resume: {path}: {error}") from None
    if not isinstance(state, dict):
        raise ModelFileError(f"resume: {path} has a malformed training state")
    return state
