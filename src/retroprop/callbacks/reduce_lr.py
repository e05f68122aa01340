"""``ReduceLROnPlateau``: lower the learning rate when the validation error stalls (seed 001)."""

from __future__ import annotations

import numpy as np

from retroprop.callbacks.base import Callback, Logs, monitor_mode, monitored


class ReduceLROnPlateau(Callback):
    """Multiply every group's ``lr`` by ``factor`` after ``patience`` epochs without
    improvement of ``monitor``, then wait ``cooldown`` epochs; never below ``min_lr``."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0,
                 mode: str = "auto", verbose: int = 0) -> None:
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.min_delta, self.cooldown, self.min_lr = abs(min_delta), cooldown, min_lr
        self.mode = monitor_mode(monitor, mode, "ReduceLROnPlateau")
        self.verbose = verbose

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait = self.cooldown_left = 0
        self.best = np.inf if self.mode == "min" else -np.inf

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = monitored(logs, self.monitor, "ReduceLROnPlateau")
        better = value < self.best - self.min_delta if self.mode == "min" \
            else value > self.best + self.min_delta
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if better:
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience and self.cooldown_left == 0:
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = max(group["lr"] * self.factor, self.min_lr)
            if self.verbose:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau lowers lr to "
                      f"{self.trainer.optimizer.param_groups[0]['lr']:.3g}")
            self.cooldown_left, self.wait = self.cooldown, 0
