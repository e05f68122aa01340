"""Progress display: a tqdm bar per epoch on a terminal, one line per epoch elsewhere."""

from __future__ import annotations

import sys
from typing import Any

from retroprop._optional import require
from retroprop.callbacks.base import Callback, Logs


def _format(logs: Logs) -> str:
    return "  ".join(f"{k}={v:.4g}" for k, v in logs.items() if isinstance(v, int | float))


class ProgressBar(Callback):
    """What ``fit(verbose=1)`` shows: on a terminal, a tqdm bar with the running loss and
    metrics; when output goes to a file or pipe, one line per epoch."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdout
        self.bar: Any = None

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch = epoch
        if self.stream.isatty():
            tqdm = require("tqdm", extra="progress").tqdm

            self.bar = tqdm(total=self.params.get("steps"), file=self.stream, leave=True,
                            desc=f"Epoch {epoch + 1}/{self.params.get('epochs')}",
                            dynamic_ncols=True)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if batch % 10 == 0:
                self.bar.set_postfix(loss=f"{(logs or {}).get('loss', float('nan')):.4f}")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        shown = {k: v for k, v in (logs or {}).items() if k != "lr"}
        if self.bar is not None:
            self.bar.set_postfix_str(_format(shown))
            self.bar.close()
            self.bar = None
        else:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs')}  {_format(shown)}",
                  file=self.stream, flush=True)
