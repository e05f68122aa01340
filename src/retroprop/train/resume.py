"""Training checkpoints that a run can resume from exactly, and Ctrl-C.

A training checkpoint (written by ``ModelCheckpoint(resumable=True)``) holds, besides the
model and the optimizer's complete state, everything else the loop depends on: the
position inside the epoch (its batches, how many ran, the loss and outputs gathered so
far, the weights at its start), the state of every callback (schedules, early stopping,
the history), the random generator, and the arguments of ``fit`` and the loss (its class
and settings), which the resumed ``fit`` must match. ``fit(..., resume_from=path)`` puts all
of it back, so the resumed run draws the same dropout masks and batches and ends with
the weights an uninterrupted run would have, bit for bit. Files are written atomically
(temporary file, fsync, rename, fsync of the folder): the previous checkpoint stays whole
until the new one is complete.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.checks import is_real
from retroprop.random import generator
from retroprop.tensor.tensor import Tensor

if TYPE_CHECKING:
    from retroprop.nn.module import Module
    from retroprop.train.trainer import Trainer

FORMAT = "retroprop-training"
VERSION = 1


@dataclass
class EpochState:
    """Where a running epoch stands: its batches (drawn at its start; for a DataLoader the
    positions of its batches so far in the loader's stream), how many ran, what they gave,
    and for a DataLoader the random generators' states at the epoch's start, from which a
    resumed run draws the loader's order again
    (:class:`~retroprop.train.batch_sources.LoaderBatches`)."""

    batches: list[np.ndarray]
    last_good: dict[str, np.ndarray]
    batch: int = 0
    total: float = 0.0
    seen: int = 0
    outputs: list[np.ndarray] = field(default_factory=list)
    targets: list[np.ndarray] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    rng_start: list[Any] | None = None

    @classmethod
    def start(cls, model: Module, batches: list[np.ndarray]) -> EpochState:
        return cls(batches, dict(model.state_dict()))

    def add(self, value: float, outputs: np.ndarray | None, targets: np.ndarray,
            weight: int, weights: np.ndarray | None = None) -> None:
        """Record one finished batch, its loss counted ``weight`` times (its size for a mean,
        once for a sum); its outputs and targets only when metrics need them (``outputs``
        not None), so that an epoch without metrics keeps no per-batch arrays, and its
        examples' ``weights`` when weighted metrics need them (not None)."""
        self.total += value * weight
        self.seen += len(targets)
        if outputs is not None:
            self.outputs.append(outputs)
            self.targets.append(targets)
        if weights is not None:
            self.weights.append(weights)
        self.batch += 1

    def state_dict(self) -> dict[str, Any]:
        joined = (lambda parts: np.concatenate(parts) if parts else None)  # noqa: E731
        order = joined(self.batches) if self.batches else np.zeros(0, np.intp)
        state: dict[str, Any] = {
            "order": order, "sizes": [len(b) for b in self.batches],
            "last_good": self.last_good, "batch": self.batch, "total": self.total,
            "seen": self.seen, "outputs": joined(self.outputs), "targets": joined(self.targets),
            "done": [len(b) for b in self.batches[:self.batch]]}
        if self.weights:  # only with weighted metrics, so that older files still match
            state["weights"] = joined(self.weights)
        if self.rng_start is not None:  # only for a loader, so that older files still match
            state["rng_start"] = self.rng_start
        return state

    @classmethod
    def from_state_dict(cls, state: dict[str, Any], metrics: bool) -> EpochState:
        """The state written by :meth:`state_dict`; its outputs and labels only for a run
        with ``metrics`` (a checkpoint written before 2026-11-25 without metrics holds the
        labels alone, which nothing would read)."""
        def split(array: np.ndarray | None, sizes: list[int]) -> list[np.ndarray]:
            if array is None:
                return []
            return list(np.split(array, np.cumsum(sizes)[:-1])) if sizes else []

        kept = metrics and state["outputs"] is not None
        return cls(split(state["order"], state["sizes"]), dict(state["last_good"]),
                   state["batch"], state["total"], state["seen"],
                   split(state["outputs"], state["done"]) if kept else [],
                   split(state["targets"], state["done"]) if kept else [],
                   split(state.get("weights"), state["done"]) if kept else [],
                   state.get("rng_start"))


def training_state(trainer: Trainer, epoch: int, current: EpochState | None) -> dict[str, Any]:
    """Everything but the model and the optimizer that a resumed ``fit`` needs."""
    return {"format": FORMAT, "version": VERSION, "run": dict(trainer._run), "epoch": epoch,
            "epoch_state": None if current is None else current.state_dict(),
            "stop_training": trainer.stop_training, "errors": trainer._errors,
            "first_loss": trainer.first_loss, "loss": repr(trainer.loss),
            "loss_settings": loss_settings(trainer.loss),
            "rng": generator().bit_generator.state,
            "generators": trainer._source.generator_states(),
            "callbacks": [{"class": type(c).__name__, "state": c.state_dict()}
                          for c in trainer._callbacks]}


def loss_settings(loss: Module) -> dict[str, Any]:
    """The loss's class and the arguments it was built with (``get_config()``, defaults
    included: ``reduction``, ``weight``, ``delta``, ...), which a resumed fit compares by
    value: weights given as a list, a tuple, an array or a tensor, of ints or floats, are
    the same setting, and a display change of the loss's ``repr`` changes nothing.
    Arguments other than numbers, strings and arrays of numbers are left out."""
    settings: dict[str, Any] = {"class": type(loss).__name__}
    for key, value in loss.get_config().items():
        if isinstance(value, Tensor | np.ndarray | np.generic | list | tuple):
            numbers = np.asarray(value.data if isinstance(value, Tensor) else value,
                                 dtype=object)
            if not all(is_real(number) for number in numbers.flat):
                continue
            value = numbers.astype(np.float64).tolist()
        if value is None or isinstance(value, bool | int | float | str | list):
            settings[key] = value
    return settings


def loss_differences(saved: dict[str, Any], own: dict[str, Any]) -> str:
    """How the loss settings of a checkpoint differ from a fit's ("" where they agree). A
    setting that one of them lacks is not compared: a checkpoint written before the loss
    had that setting continues with the loss's value of it."""
    if saved.get("class", own["class"]) != own["class"]:
        return f"a {saved['class']} there, a {own['class']} here"
    return "; ".join(f"{key}={saved[key]!r} there, {own[key]!r} here"
                     for key in sorted(saved.keys() & own.keys()) if saved[key] != own[key])


def restore(trainer: Trainer, path: str | os.PathLike[str]) -> tuple[int, EpochState | None]:
    """Load the checkpoint at ``path`` into the trainer, its model, optimizer and callbacks;
    returns the epoch to continue and its state (None when it has not started)."""
    from retroprop.serialization import (
        ModelFileError,
        load_model,
        load_optimizer_state,
        load_training_state,
    )

    if not os.path.isfile(path):
        raise FileNotFoundError(f"fit: resume_from={str(path)!r}: no checkpoint there (write "
                                "one with ModelCheckpoint(path, resumable=True))")
    state = load_training_state(path)
    if state.get("format") != FORMAT or state.get("version") != VERSION:
        raise ModelFileError(f"fit: {path} is not a training checkpoint of this version")
    run = state["run"]
    differences = [f"{k}={run.get(k)!r} there, {trainer._run.get(k)!r} here"
                   for k in sorted(run.keys() | trainer._run.keys())
                   if run.get(k) != trainer._run.get(k)]
    if differences:
        raise ValueError(f"fit: resume_from={str(path)!r} was written by a fit with other "
                         f"arguments or data: {'; '.join(differences)}")
    # a checkpoint written before 2026-11-25 does not name its loss
    changed = loss_differences(state.get("loss_settings", {}), loss_settings(trainer.loss))
    if changed:
        raise ValueError(f"fit: resume_from={str(path)!r} was written by a fit with the loss "
                         f"{state['loss']}, this fit has {trainer.loss!r} ({changed}): "
                         "resume with the loss (class weights, ignore_index, delta, ...) the "
                         "run began with")
    current = state["epoch_state"]
    metrics = [*trainer.metrics, *trainer.weighted_metrics]
    if metrics and current is not None and current["batch"] and \
            current["outputs"] is None:
        raise ValueError(f"fit: resume_from={str(path)!r} was written in the middle of an "
                         "epoch by a Trainer without metrics, so it holds no outputs of that "
                         f"epoch's first {current['batch']} batches to compute "
                         f"{sorted(metrics)} on: resume with metrics=[], or from a "
                         "checkpoint written at the end of an epoch")
    saved = [c["class"] for c in state["callbacks"]]
    names = [type(c).__name__ for c in trainer._callbacks]
    if saved != names:
        raise ValueError(f"fit: resume_from={str(path)!r} was written with the callbacks "
                         f"{saved}, this fit has {names}: pass the same callbacks")
    try:
        trainer.model.load_state_dict(load_model(path).state_dict())
    except (KeyError, ValueError) as error:
        raise ValueError(f"fit: resume_from={str(path)!r} holds another model: {error}"
                         ) from None
    trainer.optimizer.load_state_dict(load_optimizer_state(path, trainer.optimizer))
    for callback, entry in zip(trainer._callbacks, state["callbacks"], strict=True):
        callback.load_state_dict(entry["state"])
    generator().bit_generator.state = state["rng"]
    trainer._source.set_generator_states(state.get("generators", []))
    trainer._errors = state["errors"]
    trainer.stop_training = bool(state["stop_training"])
    trainer.first_loss = state.get("first_loss")
    return int(state["epoch"]), None if current is None else \
        EpochState.from_state_dict(current, metrics=bool(metrics))


@contextmanager
def interruptible(trainer: Trainer) -> Iterator[Callable[[], bool]]:
    """While training, Ctrl-C (SIGINT) only raises a flag, read after each batch."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag.is_set
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: flag.set())
    try:
        yield flag.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def stop_for_interrupt(trainer: Trainer, epoch: int, batch: int) -> None:
    """After Ctrl-C: let the callbacks write their checkpoints, say how to resume, and
    raise ``KeyboardInterrupt``."""
    written: list[str] = []
    for callback in trainer._callbacks:
        path = callback.on_interrupt()
        if path is not None:
            written.append(path)
    kept = not trainer._source.resumes_mid_epoch  # the last epoch's end stays the checkpoint
    trainer._write_checkpoints(epoch)
    where = f"Interrupted after batch {batch} of epoch {epoch + 1}"
    if written and kept:
        print(f"{where}: X is an iterable whose order retroprop cannot draw again, so the "
              f"run is saved at the end of epochs only: {written[0]} holds it as the last "
              "finished epoch left it (nothing, if none had), and Trainer.fit(..., "
              f"resume_from={written[0]!r}) continues from there", file=sys.stderr)
    elif written:
        print(f"{where}: the run is saved in {written[0]}; continue it with "
              f"Trainer.fit(..., resume_from={written[0]!r}) (or retroprop train --resume "
              "RUN_DIR)", file=sys.stderr)
    else:
        print(f"{where}; no resumable checkpoint was configured "
              "(ModelCheckpoint(path, resumable=True))", file=sys.stderr)
    raise KeyboardInterrupt(where)
