"""``EarlyStopping``: stop when the validation error stops improving (Berzal,
"Backpropagation")."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import cast

import numpy as np

from retroprop.callbacks.base import Logs, MonitorCallback
from retroprop.checks import check_count, is_real
from retroprop.optim.improvement import Improvement


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for more
    than ``patience`` epochs, and restore the weights of the best epoch.

    Parameters
    ----------
    monitor : str, default "val_loss"
    patience : int, default 0
        Epochs without improvement that are tolerated: training stops at the
        ``patience + 1``-th epoch in a row without improvement (as the plateau rule lowers
        the rate; Keras stops one epoch earlier).
    min_delta : float, default 0
        Smallest change that counts as an improvement (>= 0).
    mode : {"auto", "min", "max"}
    restore_best_weights : bool, default True
        At the end of training, whether it stopped early or ran out of
        epochs, load the weights of the best epoch.
    start_from_epoch : int, default 0
        Epochs to wait before watching.
    baseline : float, optional
        A value to beat, as Keras's: an epoch restarts the patience only if it improves on
        the best so far and on ``baseline`` (by more than ``min_delta``); one that improves
        on the best only counts among the epochs without improvement, but training does
        not stop on it. The best weights are those of the best epoch.
    verbose : int, default 0
        1: print Keras's lines at the end of training, "Epoch N: early stopping" and, when
        the weights are restored, "Restoring model weights from the end of the best epoch:
        M." (epochs counted from 1).

    Attributes
    ----------
    best, best_epoch, stopped_epoch
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True,
                 start_from_epoch: int = 0, baseline: float | None = None,
                 verbose: int = 0) -> None:
        check_count(patience, "EarlyStopping: patience", 0)
        check_count(start_from_epoch, "EarlyStopping: start_from_epoch", 0)
        if baseline is not None and not (is_real(baseline) and math.isfinite(baseline)):
            raise ValueError(f"EarlyStopping: baseline must be a finite number or None, got "
                             f"{baseline!r}")
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.baseline, self.verbose = baseline, verbose

    def on_train_begin(self, logs: Logs | None = None) -> None:
        super().on_train_begin(logs)
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.best_weights: OrderedDict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = self.value(logs)
        if value is None or epoch < self.start_from_epoch:
            return
        if self.improvement.update(value):
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            # (an epoch that improves only on the best counts, but does not stop: Keras's)
            self.wait = 0 if self._beats_baseline(value) else self.wait + 1
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def _beats_baseline(self, value: float) -> bool:
        """Whether ``value`` improves on ``baseline`` by more than ``min_delta`` (True
        without a baseline)."""
        if self.baseline is None:
            return True
        reference = Improvement(self.mode, self.min_delta, where="EarlyStopping")
        reference.best = float(self.baseline)
        return reference.is_better(value)

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.verbose and self.stopped_epoch is not None:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print("Restoring model weights from the end of the best epoch: "
                      f"{cast(int, self.best_epoch) + 1}.")
            self.model.load_state_dict(self.best_weights)
