"""Checks of the arguments that users give (rates, counts, ranges), shared by every layer
of the library: each raises a ``ValueError`` that names the argument and the value seen,
and takes NumPy's numbers as Python's (never a bool for a number)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (Python's or NumPy's), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def check_lr(value: Any, name: str = "lr") -> None:
    """A learning rate (or step size) must be a positive finite number."""
    if not is_real(value) or not 0 < value < np.inf:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def check_rate(value: Any, name: str) -> None:
    """A rate that a schedule sets must be a finite number >= 0 (0 stops the steps)."""
    if not is_real(value) or not 0 <= value < np.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def check_count(value: Any, name: str, low: int = 1, also: str = "") -> int:
    """``value`` as a Python int if it is an integer (Python's or NumPy's, not a bool) >=
    ``low``; otherwise a ValueError naming ``name`` and the value (``also`` follows what the
    error says is expected: "or None")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        kind = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{name} must be {kind}{' ' + also if also else ''}, got {value!r}")
    return int(value)


def pair(value: Any, name: str) -> tuple[Any, Any]:
    """``value`` as a tuple of two numbers, or a ValueError that names ``name``."""
    if not isinstance(value, tuple | list) or len(value) != 2 or not all(map(is_real, value)):
        raise ValueError(f"{name} must be a pair of numbers, got {value!r}")
    return tuple(value)


def check_range(value: Any, name: str, low: float, high: float, high_open: bool = True) -> None:
    """``low <= value < high`` (or ``<= high``)."""
    ok = is_real(value) and low <= value and (value < high if high_open else value <= high)
    if not ok:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {value!r}")
