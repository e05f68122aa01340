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
        One character.
    append : bool, default False
        Add to an existing file instead of starting a new one. The rows go under the
        file's header, in its order; a run that logs other values (validation data added
        or removed, other metrics) is refused rather than writing shifted columns (Keras
        writes them). With ``fit(validation_freq=k)``, the ``val_`` columns are empty in
        the rows of the epochs that do not validate (Keras leaves them out of the file
        when the first epoch does not validate).
    """

    def __init__(self, path: str | os.PathLike[str], separator: str = ",",
                 append: bool = False) -> None:
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character, got {separator!r}")
        self.path, self.separator, self.append = str(path), separator, append
        self.file: IO[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        append = self.append or self.trainer.resuming  # a resumed run continues its file
        exists = append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        self.header: list[str] | None = None
        if exists:
            with open(self.path, newline="") as file:
                self.header = next(csv.reader(file, delimiter=self.separator), None)
        self.file = open(self.path, "a" if append else "w", newline="")
        self.writer: csv.DictWriter[str] | None = None
        self.header_written = exists

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.file is None:
            return
        row = {"epoch": epoch, **(logs or {})}
        if self.writer is None:
            columns = list(row)
            if getattr(self, "params", {}).get("validation") and \
                    not any(column.startswith("val_") for column in columns):
                # an epoch without validation (fit's validation_freq): its columns come
                # later, left empty in the rows of the epochs that do not validate
                columns += [f"val_{name}" for name in ("loss", *self.trainer.metrics,
                                                             *self.trainer.weighted_metrics)]
            if self.header_written and self.header is not None:
                if sorted(self.header) != sorted(columns):
                    raise ValueError(
                        f"CSVLogger: {self.path} has the columns {self.header}, this run logs "
                        f"{columns}: append to a file of the same columns, or log to "
                        "another path")
                columns = self.header
            self.writer = csv.DictWriter(self.file, fieldnames=columns,
                                         delimiter=self.separator, extrasaction="ignore")
            if not self.header_written:
                self.writer.writeheader()
        self.writer.writerow(row)
        self.file.flush()

    def state_dict(self) -> dict[str, int]:
        """The file's length: a resumed run cuts off the rows written after the checkpoint
        (a crash between a row and the checkpoint), so that every epoch appears once."""
        return {"size": 0 if self.file is None else self.file.tell()}

    def load_state_dict(self, state: dict[str, int]) -> None:
        if self.file is not None:
            self.file.truncate(state["size"])
            self.header_written = state["size"] > 0

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
