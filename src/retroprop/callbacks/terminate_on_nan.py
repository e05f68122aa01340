"""``TerminateOnNaN``: stop at the first non-finite loss, with the last good weights."""

from __future__ import annotations

import math
import warnings

from retroprop.callbacks.base import Callback, Logs
from retroprop.stacklevel import user_stacklevel


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite, restore the weights
    that the last finite batch started from, and report (or raise) which batch went bad.

    It keeps a copy of the weights at the start of every batch (one copy of the
    parameters per step).

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

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.weights = self.model.state_dict()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = float((logs or {}).get("loss", 0.0))
        if math.isfinite(loss):
            return
        self.model.load_state_dict(self.weights)
        self.bad_batch = (self.epoch, batch, loss)
        self.trainer.stop_training = True
        message = (f"TerminateOnNaN: epoch {self.epoch + 1}, batch {batch}: loss is {loss}; "
                   "training stopped with the weights from before this batch")
        if self.raise_error:
            raise FloatingPointError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=user_stacklevel())
