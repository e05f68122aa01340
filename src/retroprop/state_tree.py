"""State trees to and from a JSON header plus named arrays, without pickles.

Optimizer state (L-BFGS's lists of past steps, Rprop's last error, Adam's step counts),
schedules and callbacks keep nested dicts, lists and tuples of numbers, strings, NumPy
arrays and NumPy scalars; state dicts and checkpoints saved by ``rp.save(dict, path)``
may hold tensors too, stored as their arrays. :func:`encode` splits such a tree into
JSON-compatible data, where every array is replaced by a reference, and a dict of the
arrays; :func:`decode` puts it back together exactly: NumPy scalars keep their dtype (a
float64 scalar and a Python float do not give the same dtype in NumPy arithmetic), tuples
stay tuples and integer keys stay integers, so that a resumed optimizer takes bit for bit
the step the uninterrupted one would have.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.tensor.tensor import Tensor

ARRAY, SCALAR, TUPLE, ITEMS = "__array__", "__scalar__", "__tuple__", "__items__"


class StateTreeError(ValueError):
    """A state tree that cannot be stored (``value``: what was refused, ``where``: its
    place in the tree), or stored data that is not a valid tree."""

    def __init__(self, message: str, value: Any = None, where: str = "") -> None:
        super().__init__(message)
        self.value, self.where = value, where


def encode(tree: Any, prefix: str) -> tuple[Any, dict[str, np.ndarray]]:
    """JSON-compatible data and the arrays it references (named ``prefix/<n>``)."""
    arrays: dict[str, np.ndarray] = {}

    def walk(value: Any, where: str) -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, Tensor):
            value = value.data
        if isinstance(value, np.ndarray | np.generic):
            if value.dtype.kind not in "biuf":
                raise StateTreeError(f"cannot store {where}: arrays of dtype {value.dtype} "
                                     "(numbers only)")
            key = f"{prefix}/{len(arrays)}"
            arrays[key] = np.asarray(value)
            return {SCALAR if isinstance(value, np.generic) else ARRAY: key}
        if isinstance(value, list | tuple):
            items = [walk(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return {TUPLE: items} if isinstance(value, tuple) else items
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("__") for k in value):
                return {k: walk(v, f"{where}.{k}") for k, v in value.items()}
            if all(isinstance(k, str | int) and not isinstance(k, bool) for k in value):
                return {ITEMS: [[k, walk(v, f"{where}[{k!r}]")] for k, v in value.items()]}
        raise StateTreeError(f"cannot store {where} = {value!r:.80} ({type(value).__name__}): "
                             "state may hold numbers, strings, arrays, tensors, lists, tuples "
                             "and dicts", value, where)

    return walk(tree, "state"), arrays


def decode(data: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The tree that :func:`encode` split into ``data`` and ``arrays``.

    The data may come from a hostile file: as :func:`encode` stores each array once, an
    array referenced twice is refused (each reference would be a copy, so a small file
    could ask for unbounded memory), as is a scalar reference to an array that is not
    0-d and any malformed node; :class:`StateTreeError` names what is wrong.
    """
    used: set[str] = set()

    def array(key: Any) -> np.ndarray:
        if not isinstance(key, str) or key not in arrays:
            raise StateTreeError(f"the stored state refers to a missing array {key!r}")
        if key in used:
            raise StateTreeError(f"the stored state refers to the array {key!r} twice; "
                                 "expected each array once")
        used.add(key)
        return arrays[key]

    def scalar(key: Any) -> Any:
        value = array(key)
        if value.ndim:
            raise StateTreeError(f"the stored state refers to the array {key!r} of shape "
                                 f"{value.shape} as a scalar; expected shape ()")
        return value[()]

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {ARRAY}:
            return array(value[ARRAY]).copy(order="K")  # the memory order matters too
        if set(value) == {SCALAR}:
            return scalar(value[SCALAR])
        if set(value) == {TUPLE}:
            if not isinstance(value[TUPLE], list):
                raise StateTreeError(f"the stored state has a malformed tuple "
                                     f"{value[TUPLE]!r:.80}; expected a list of its items")
            return tuple(walk(v) for v in value[TUPLE])
        if set(value) == {ITEMS}:
            pairs = value[ITEMS]
            if not isinstance(pairs, list) or not all(
                    isinstance(p, list) and len(p) == 2 and isinstance(p[0], str | int)
                    for p in pairs):
                raise StateTreeError("the stored state has a malformed dict")
            return {k: walk(v) for k, v in pairs}
        return {k: walk(v) for k, v in value.items()}

    return walk(data)
