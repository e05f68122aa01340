"""``ModelCheckpoint``: save the model after every epoch, or only when it improves."""

from __future__ import annotations

import os

import numpy as np

from retroprop.callbacks.base import Callback, Logs, monitor_mode, monitored


class ModelCheckpoint(Callback):
    """Save the model (atomically, with :func:`retroprop.save`) at the end of each epoch.

    Parameters
    ----------
    path : str
        File name, may hold fields of the epoch's logs and ``epoch`` (1-based):
        ``"runs/model-{epoch:02d}-{val_loss:.3f}.rpz"``.
    monitor : str, default "val_loss"
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far.
    mode : {"auto", "min", "max"}
    save_optimizer : bool, default False
        Store the optimizer's state too, to resume training exactly.
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto",
                 save_optimizer: bool = False) -> None:
        self.path, self.monitor, self.save_best_only = str(path), monitor, save_best_only
        self.mode = monitor_mode(monitor, mode, "ModelCheckpoint")
        self.save_optimizer = save_optimizer

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.best = np.inf if self.mode == "min" else -np.inf
        self.saved: list[str] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        from retroprop.serialization import save

        logs = logs or {}
        if self.save_best_only:
            value = monitored(logs, self.monitor, "ModelCheckpoint")
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return
            self.best = value
        try:
            path = self.path.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise ValueError(f"ModelCheckpoint: path field {error} is not in the epoch's logs "
                             f"{sorted(logs)}") from None
        optimizer = self.trainer.optimizer if self.save_optimizer else None
        save(self.model, path, optimizer=optimizer)
        self.saved.append(path)
