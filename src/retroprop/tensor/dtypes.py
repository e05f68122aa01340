"""The dtypes a tensor may hold, and the ways to name one: a NumPy dtype (``np.int64``), a
Python type (``float`` is float64, ``int`` int64, ``bool``, as PyTorch reads them) or a
string (``"float32"``).

Floating tensors are float32 or float64 (the only ones that may require a gradient);
integer and boolean tensors hold labels, indices and masks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DTYPES = tuple(np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32,
                                     np.int64, np.uint8, np.bool_))


def resolve_dtype(value: Any, where: str) -> np.dtype:
    """``value`` as one of :data:`DTYPES`, or a ``TypeError`` that names what was given."""
    if value is not None:  # (np.dtype(None) is float64)
        try:
            resolved = np.dtype(value)
        except (TypeError, ValueError):
            pass
        else:
            if resolved in DTYPES:
                return resolved
    names = ", ".join(str(d) for d in DTYPES)
    raise TypeError(f"{where}: expected a dtype, one of {names} (a NumPy dtype, a Python type "
                    f"or its name as a string), got {value!r}")


def fill_value(value: Any, dtype: np.dtype, where: str, name: str = "fill_value") -> Any:
    """``value``, a number, as a scalar of ``dtype``; a fractional or out-of-range number
    for an integer or boolean dtype is refused (PyTorch truncates it; retroprop never
    converts silently)."""
    if isinstance(value, str) or not isinstance(value, bool | int | float | np.number
                                                 | np.bool_):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    try:
        converted = dtype.type(value)
    except (OverflowError, ValueError):
        converted = None
    if dtype.kind in "biu" and (converted is None or converted != value):
        raise ValueError(f"{where}: {name}={value!r} does not fit the dtype {dtype} exactly; "
                         "give a whole number in its range (or a floating dtype)")
    return converted
