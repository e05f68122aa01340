"""``EarlyStopping``: stop when the validation error stops improving (Berzal,
"Backpropagation")."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from retroprop.callbacks.base import Logs, MonitorCallback
from retroprop.checks import check_count


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

    Attributes
    ----------
    best, best_epoch, stopped_epoch
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True,
                 start_from_epoch: int = 0) -> None:
        check_count(patience, "EarlyStopping: patience", 0)
        check_count(start_from_epoch, "EarlyStopping: start_from_epoch", 0)
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch

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
            self.best_epoch, self.wait = epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
