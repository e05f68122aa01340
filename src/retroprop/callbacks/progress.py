"""Progress display: one readable line per epoch, with a tqdm bar during the epoch on a
terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from retroprop._optional import require
from retroprop.callbacks.base import Callback, Logs


def epoch_line(epoch: int, epochs: int | None, logs: Logs, seconds: float,
               show_layers: bool = False) -> str:
    """``Epoch 3/20  loss=0.4123  accuracy=0.8812  val_loss=0.442  (1.2 s)``: the loss and
    metrics, not the rate; per-layer values (names with a ``/``, such as
    ``grad_norm/0.weight``) only with ``show_layers``."""
    total = f"/{epochs}" if epochs is not None else ""
    return f"Epoch {epoch + 1}{total}  " + results_line(logs, seconds, show_layers)


def results_line(logs: Logs, seconds: float, show_layers: bool = False) -> str:
    """``loss=0.4123  accuracy=0.8812  (1.2 s)``: the values of :func:`epoch_line` (also
    ``evaluate``'s line with ``verbose=1``)."""
    shown = [f"{k}={v:.4g}" for k, v in logs.items()
             if isinstance(v, int | float) and k != "lr" and (show_layers or "/" not in k)]
    return "  ".join(shown) + f"  ({seconds:.1f} s)"


class ProgressBar(Callback):
    """What ``fit(verbose=1)`` shows: one line per epoch (loss, metrics, seconds), numbered
    from 1 as in ``history.csv`` and the plots of ``retroprop train``; on a terminal a tqdm
    bar with the running loss during the epoch, which the line then replaces.

    Parameters
    ----------
    stream : file, default sys.stdout
    show_layers : bool, default False
        Also show per-layer statistics (``grad_norm/...`` from
        :class:`~retroprop.callbacks.GradientMonitor`); ``retroprop train --verbose 2``.
    """

    def __init__(self, stream: Any = None, show_layers: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.show_layers = show_layers
        self.bar: Any = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.start = time.perf_counter()  # a resumed run may start inside an epoch

    def state_dict(self) -> dict[str, Any]:
        return {}  # what it shows is not part of the run

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.start = time.perf_counter()
        if self.stream.isatty():
            tqdm = require("tqdm", extra="progress").tqdm

            self.bar = tqdm(total=self.params.get("steps"), file=self.stream, leave=False,
                            desc=f"Epoch {epoch + 1}/{self.params.get('epochs')}",
                            dynamic_ncols=True)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if batch % 10 == 0:
                self.bar.set_postfix(loss=f"{(logs or {}).get('loss', float('nan')):.4f}")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        line = epoch_line(epoch, self.params.get("epochs"), logs or {},
                          time.perf_counter() - self.start, self.show_layers)
        print(line, file=self.stream, flush=True)


class FitProgress(Callback):
    """A short progress line for programs that train many networks quietly (the lectures'
    experiments): ``label: fit 3, epoch 120/300, loss 0.231`` on ``stream`` (standard
    error), at most once every ``every`` seconds and at the end of each fit; on a terminal
    the line is rewritten in place. Installed around a block by :func:`reporting_fits`."""

    count = 0  # fits started in this process under a reporting block

    def __init__(self, label: str, stream: Any = None, every: float = 1.0) -> None:
        self.label, self.stream, self.every = label, stream or sys.stderr, every

    def on_train_begin(self, logs: Logs | None = None) -> None:
        FitProgress.count += 1
        self.shown = -1.0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        epochs = self.params.get("epochs")
        now = time.monotonic()
        if now - self.shown < self.every and epoch + 1 != epochs:
            return
        self.shown = now
        loss = (logs or {}).get("loss")
        line = (f"{self.label}: fit {FitProgress.count}, epoch {epoch + 1}/{epochs}"
                + (f", loss {loss:.4g}" if isinstance(loss, float) else ""))
        end = "\r" if self.stream.isatty() and epoch + 1 != epochs else "\n"
        print(line, end=end, file=self.stream, flush=True)


_REPORTING: list[Callable[[], Callback]] = []


@contextmanager
def reporting_fits(label: str, stream: Any = None) -> Iterator[None]:
    """Within the block, every ``Trainer.fit`` also reports its progress (:class:`FitProgress`)
    — what ``retroprop experiment`` uses, so that long experiments show they are alive."""
    FitProgress.count = 0
    _REPORTING.append(lambda: FitProgress(label, stream))
    try:
        yield
    finally:
        _REPORTING.pop()


def reporting_callbacks() -> list[Callback]:
    """The callbacks that :func:`reporting_fits` adds to each fit in its block."""
    return [make() for make in _REPORTING]
