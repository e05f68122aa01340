"""``Improvement``: whether a monitored value improved on the best so far.

The one test shared by early stopping, checkpointing and the plateau rule (Berzal,
"Backpropagation": stop, or lower the rate, when the validation error stops improving), so
that ``mode``, ``min_delta`` and patience mean the same everywhere.
"""

from __future__ import annotations

import math

MODES = ("min", "max")


class Improvement:
    """Track the best value of a monitored quantity.

    Parameters
    ----------
    mode : {"min", "max"}
        Whether smaller (losses, errors) or larger (accuracies) is better.
    min_delta : float, default 0
        The smallest change that counts as an improvement (>= 0): in "min" mode a value
        improves when ``value < best - min_delta`` (absolute, Keras's ``min_delta``) or, with
        ``relative=True``, ``value < best · (1 - min_delta)`` (PyTorch's ``threshold_mode="rel"``);
        mirrored in "max" mode.
    relative : bool, default False
    where : str
        The owner's name, for error messages.
    """

    def __init__(self, mode: str = "min", min_delta: float = 0.0, relative: bool = False,
                 where: str = "Improvement") -> None:
        if mode not in MODES:
            raise ValueError(f"{where}: mode must be 'min' or 'max', got {mode!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, int | float) \
                or not 0 <= min_delta < math.inf:
            raise ValueError(f"{where}: min_delta must be a number >= 0 (the smallest change "
                             f"that counts as an improvement), got {min_delta!r}")
        self.mode, self.min_delta, self.relative = mode, float(min_delta), relative
        self.best = self.worst

    @property
    def worst(self) -> float:
        """The starting best: +inf in "min" mode, -inf in "max" mode."""
        return math.inf if self.mode == "min" else -math.inf

    def reset(self) -> None:
        self.best = self.worst

    def is_better(self, value: float) -> bool:
        """Whether ``value`` improves on the best by more than ``min_delta``."""
        if self.mode == "min":
            bound = self.best * (1 - self.min_delta) if self.relative \
                else self.best - self.min_delta
            return value < bound
        bound = self.best * (1 + self.min_delta) if self.relative else self.best + self.min_delta
        return value > bound

    def update(self, value: float) -> bool:
        """``is_better(value)``, keeping ``value`` as the new best when it is."""
        better = self.is_better(value)
        if better:
            self.best = float(value)
        return better

    def state_dict(self) -> dict[str, float]:
        return {"best": self.best}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.best = float(state["best"])

    def __repr__(self) -> str:
        kind = "relative" if self.relative else "absolute"
        return f"Improvement(mode={self.mode!r}, min_delta={self.min_delta} ({kind}))"
