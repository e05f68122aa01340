"""``TerminateOnNaN``: stop at the first non-finite loss, with the last good weights."""

from __future__ import annotations

import math
import warnings
from typing import Any

from retroprop.callbacks.base import Callback, Logs
from retroprop.stacklevel import user_stacklevel


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite, restore the weights
    that the last finite batch started from, and report (or raise) which batch went bad.

    The batch before the bad one had a finite loss, but its step may have made the
    weights that overflow: the callback restores the weights from before that step. It
    copies the weights at the start of every batch (one copy of the parameters per step)
    and keeps the last two copies. At the very first batch it restores the initial
    weights.

    Parameters
    ----------
    raise_error : bool, default False
        Raise ``FloatingPointError`` after restoring, instead of warning.

    Attributes
    ----------
    bad_batch : (epoch, batch, loss) or None
    """

    def __init__(self, raise_error: bool = False) -> None:
        self.raise_error = raise_error

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.bad_batch: tuple[int, int, float] | None = None
        self.epoch = 0
        self.weights: dict[str, Any] | None = None
        self.previous: dict[str, Any] | None = None

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.previous = self.weights
        self.weights = self.model.state_dict()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = float((logs or {}).get("loss", 0.0))
        if math.isfinite(loss):
            return
        good = self.weights if self.previous is None else self.previous
        if good is not None:  # the weights of this batch's start, at least
            self.model.load_state_dict(good)
        self.bad_batch = (self.epoch, batch, loss)
        self.trainer.stop_training = True
        before = "this batch" if self.previous is None else "the batch before it"
        message = (f"TerminateOnNaN: epoch {self.epoch + 1}, batch {batch}: loss is {loss}; "
                   f"training stopped with the weights from before {before}")
        if self.raise_error:
            raise FloatingPointError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=user_stacklevel())
