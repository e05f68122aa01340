"""``CSVLogger``: one row per epoch in a CSV file."""

from __future__ import annotations

import csv
import os
from typing import IO

from retroprop.callbacks.base import Callback, Logs


class CSVLogger(Callback):
    """Write ``epoch`` and the epoch's logs as a CSV row, flushed after every epoch.

    Parameters
    ----------
    path : str
    separator : str, default ","
    append : bool, default False
        Add to an existing file instead of starting a new one.
    """

    def __init__(self, path: str | os.PathLike[str], separator: str = ",",
                 append: bool = False) -> None:
        self.path, self.separator, self.append = str(path), separator, append
        self.file: IO[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        append = self.append or self.trainer.resuming  # a resumed run continues its file
        exists = append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        self.file = open(self.path, "a" if append else "w", newline="")
        self.writer: csv.DictWriter[str] | None = None
        self.header_written = exists

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.file is None:
            return
        row = {"epoch": epoch, **(logs or {})}
        if self.writer is None:
            self.writer = csv.DictWriter(self.file, fieldnames=list(row),
                                         delimiter=self.separator, extrasaction="ignore")
            if not self.header_written:
                self.writer.writeheader()
        self.writer.writerow(row)
        self.file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
