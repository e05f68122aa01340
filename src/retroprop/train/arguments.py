"""Checks of the arguments that users pass to ``fit`` and the ``Trainer``: any integral
type for counts (``np.int64(2)`` as well as ``2``), and a loss *instance*, not its class."""

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


def check_loss(loss: Any, where: str) -> None:
    """A loss module instance: ``CrossEntropyLoss()``, not the class ``CrossEntropyLoss``."""
    from retroprop.nn.module import Module

    if isinstance(loss, type) and issubclass(loss, Module):
        raise TypeError(f"{where}: loss must be a loss instance such as {loss.__name__}(), "
                        f"got the class {loss.__name__} itself (add the parentheses)")
    if not isinstance(loss, Module) and not callable(loss):
        raise TypeError(f"{where}: loss must be a loss module such as CrossEntropyLoss(), got "
                        f"{type(loss).__name__}")
