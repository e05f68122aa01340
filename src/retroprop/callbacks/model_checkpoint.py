"""``ModelCheckpoint``: save the model after every epoch, or only when it improves."""

from __future__ import annotations

import os

from retroprop.callbacks.base import Logs, MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model (atomically, with :func:`retroprop.save`) at the end of each epoch.

    Parameters
    ----------
    path : str
        File name, may hold fields of the epoch's logs and ``epoch`` (1-based):
        ``"runs/model-{epoch:02d}-{val_loss:.3f}.rpz"``.
    monitor : str, default "val_loss"
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far (by more than
        ``min_delta``).
    mode : {"auto", "min", "max"}
    save_optimizer : bool, default False
        Store the optimizer's complete state too, to resume training exactly.
    min_delta : float, default 0
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto",
                 save_optimizer: bool = False, min_delta: float = 0.0) -> None:
        super().__init__(monitor, mode, min_delta)
        self.path, self.save_best_only = str(path), save_best_only
        self.save_optimizer = save_optimizer

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self.save_best_only:
            super().on_train_begin(logs)
        self.saved: list[str] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        from retroprop.serialization import save

        logs = logs or {}
        if self.save_best_only and not self.improvement.update(self.value(logs)):
            return
        try:
            path = self.path.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise ValueError(f"ModelCheckpoint: path field {error} is not in the epoch's logs "
                             f"{sorted(logs)}") from None
        optimizer = self.trainer.optimizer if self.save_optimizer else None
        save(self.model, path, optimizer=optimizer)
        self.saved.append(path)
