"""Counts given by users (epochs, batch sizes): any integral type, ``np.int64(2)`` as well
as ``2``, never a bool."""

from __future__ import annotations

from typing import Any

import numpy as np


def count(value: Any, name: str, where: str, minimum: int = 1) -> int:
    """``value`` as a Python int if it is an integer (of any integral type, not a bool) of at
    least ``minimum``; otherwise a ValueError naming the argument and the value."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value!r} "
                         f"({type(value).__name__})")
    return int(value)
