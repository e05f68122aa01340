"""``ModelCheckpoint``: save the model after every epoch, or only when it improves, or save
the whole run so that it can resume exactly after a crash."""

from __future__ import annotations

import glob
import os
import re
import string
import time
from pathlib import Path
from typing import Any

from retroprop.callbacks.base import Logs, MonitorCallback, unvalidated


def _check_fields(path: str) -> None:
    """Refuse a path that ``str.format`` could not fill in with the epoch's logs: unbalanced
    braces, or a positional field ('{}', '{0}', '{0.real}', '{[0]}')."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(path) if field is not None]
    except ValueError as error:  # "Single '}' encountered in format string"
        raise ValueError(f"ModelCheckpoint: path {path!r} is not a format string ({error}); "
                         "double the braces ('{{' and '}}') to keep them") from None
    names = [re.split(r"[.\[]", field, maxsplit=1)[0] for field in fields]  # "0" of "0.real"
    if any(name == "" or name.isdigit() for name in names):
        raise ValueError(f"ModelCheckpoint: path {path!r} has a positional field "
                         "('{}' or '{0}'); name what fills it: '{epoch:02d}', "
                         "'{val_loss:.3f}', or double the braces ('{{' and '}}') to keep "
                         "them")


class ModelCheckpoint(MonitorCallback):
    """Save the model (atomically, with :func:`retroprop.save`) at the end of each epoch.

    Parameters
    ----------
    path : str
        File name, may hold fields of the epoch's logs and ``epoch`` (1-based):
        ``"runs/model-{epoch:02d}-{val_loss:.3f}.rpz"``. With ``fit(validation_freq=k)``,
        a path with a ``val_`` field is written on the epochs that validate only.
    monitor : str, default "val_loss"
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far (by more than
        ``min_delta``).
    mode : {"auto", "min", "max"}
    save_optimizer : bool, default False
        Store the optimizer's complete state too.
    min_delta : float, default 0
    resumable : bool, default False
        Write a training checkpoint to ``path`` (used as it is): model, optimizer,
        callbacks, schedules, random generator and the position inside the epoch, after
        every epoch, every ``every_batches`` batches and every ``every_seconds`` seconds,
        and when Ctrl-C stops training. ``Trainer.fit(..., resume_from=path)`` continues
        the run and ends with the weights of an uninterrupted run.
    every_batches, every_seconds : optional
        With ``resumable``: also save within epochs.
    verbose : int, default 0
        1: print Keras's line for each epoch's decision, "Epoch N: saving model to PATH"
        or, with ``save_best_only``, "Epoch N: val_loss improved from A to B, saving model
        to PATH" and "Epoch N: val_loss did not improve from A".
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto",
                 save_optimizer: bool = False, min_delta: float = 0.0,
                 resumable: bool = False, every_batches: int | None = None,
                 every_seconds: float | None = None, verbose: int = 0) -> None:
        super().__init__(monitor, mode, min_delta)
        if resumable and save_best_only:
            raise ValueError("ModelCheckpoint: a resumable checkpoint is the latest state of "
                             "the run; keep the best model with a second "
                             "ModelCheckpoint(save_best_only=True)")
        if (every_batches is not None or every_seconds is not None) and not resumable:
            raise ValueError("ModelCheckpoint: every_batches and every_seconds save within "
                             "epochs, which only resumable checkpoints can: resumable=True")
        if every_batches is not None and (isinstance(every_batches, bool) or not isinstance(
                every_batches, int) or every_batches < 1):
            raise ValueError(f"ModelCheckpoint: every_batches must be a positive integer, got "
                             f"{every_batches!r}")
        if every_seconds is not None and not every_seconds > 0:
            raise ValueError(f"ModelCheckpoint: every_seconds must be positive, got "
                             f"{every_seconds!r}")
        if not resumable:
            _check_fields(str(path))
        self.path, self.save_best_only = str(path), save_best_only
        self.save_optimizer = save_optimizer or resumable
        self.resumable, self.every_batches, self.every_seconds = (resumable, every_batches,
                                                                   every_seconds)
        self.saved: list[str] = []
        self.batches = 0
        self.verbose = verbose

    def state_dict(self) -> dict[str, Any]:
        """As every callback's, without the clock reading of the last timed checkpoint:
        ``time.monotonic()`` counts from an unspecified point, which another process (after
        a reboot) does not share, so a resumed run times its checkpoints from its start."""
        state = super().state_dict()
        state.pop("_last_time", None)
        return state

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self.save_best_only:
            super().on_train_begin(logs)
        self.saved, self.batches = [], 0
        self._last_time = time.monotonic()
        if self.resumable and self.trainer.resuming:
            self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        """Delete the temporary files of writes cut short by a crash (the checkpoint itself
        was never touched by them)."""
        path = Path(self.path)
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            leftover.unlink(missing_ok=True)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self.resumable:
            return
        self.batches += 1
        due = self.every_batches is not None and self.batches % self.every_batches == 0
        if self.every_seconds is not None and \
                time.monotonic() - self._last_time >= self.every_seconds:
            due = True
        if due:
            self.trainer.request_checkpoint(self._write)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        from retroprop.serialization import save

        if self.resumable:
            self.trainer.request_checkpoint(self._write)
            return
        logs = logs or {}
        improved = ""
        if self.save_best_only:
            value, best = self.value(logs), self.best
            if value is None:
                return
            if not self.improvement.update(value):
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best:.5f}")
                return
            improved = f"{self.monitor} improved from {best:.5f} to {value:.5f}, "
        try:
            path = self.path.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            if str(error.args[0]).startswith("val_") and unvalidated(logs, self.params):
                return  # an epoch without validation (fit's validation_freq)
            raise ValueError(f"ModelCheckpoint: path field {error} is not in the epoch's logs "
                             f"{sorted(logs)}") from None
        except ValueError as error:  # a format that does not fit the value: {loss:d}
            raise ValueError(f"ModelCheckpoint: path {self.path!r} cannot be filled in with "
                             f"epoch={epoch + 1} and the epoch's logs {logs}: {error}") from None
        optimizer = self.trainer.optimizer if self.save_optimizer else None
        if self.verbose:
            print(f"Epoch {epoch + 1}: {improved}saving model to {path}")
        save(self.model, path, optimizer=optimizer)
        self.saved.append(path)

    def on_interrupt(self) -> str | None:
        if not self.resumable:
            return None
        self.trainer.request_checkpoint(self._write)
        return self.path

    def _write(self, state: dict[str, Any]) -> None:
        from retroprop.serialization import save

        save(self.model, self.path, optimizer=self.trainer.optimizer, training=state)
        self._last_time = time.monotonic()
        if self.path not in self.saved:
            self.saved.append(self.path)
