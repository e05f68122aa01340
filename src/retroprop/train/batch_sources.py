"""Where the batches of a training epoch come from: arrays, a
:class:`~retroprop.data.DataLoader`, or another iterable of batches.

:class:`ArrayBatches` cuts arrays held in memory by index (Berzal, "Backpropagation"
(Granada): online, mini-batch and batch learning, shuffling, class-balanced batches,
more often the examples with large error): the epoch's batches are drawn at its start as
index arrays, and each batch is one ``take`` per array.

:class:`LoaderBatches` takes the batches a ``DataLoader`` gives, in its order, as the
steps of the epoch: its ``batch_size``, ``shuffle``, ``sampler``, ``collate_fn`` and
transforms decide them. A batch is ``(x, y)`` or ``(x, y, sample_weight)``, as Keras
takes from a data set, of NumPy arrays or tensors. Its weights are used as given, as
Keras uses a data set's, not scaled to average 1 over the training set as the weights of
arrays are (the loader is not read ahead to sum them): the loss of arrays whose weights
average 1 is the same. ``class_weight`` multiplies them batch by batch.

:class:`IterableBatches` takes the batches of any other iterable (a PyTorch DataLoader, a
Python generator) the same way, with Keras 3's ``steps_per_epoch``.

The first two record the epoch in an :class:`~retroprop.train.resume.EpochState`, so that a run
can be resumed exactly: a loader's epoch keeps its batches' positions in the loader's
stream and the random generators' states at the epoch's start, from which a resumed run
replays the loader's order up to its last finished batch (reading, not training on, the
batches before it), then continues with the generators of the checkpoint. The generators
are the library's (``shuffle``, the transforms of :mod:`retroprop.data.augment`) and a
sampler's own (``WeightedRandomSampler(generator=...)``), saved with the run; a sampler
that draws from a generator the library does not see (a PyTorch sampler) resumes exactly
only if it gives the same order again. The order of another iterable cannot be drawn
again: such a run is saved and resumed at the end of epochs only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.data.batches import batch_indices
from retroprop.data.loader import DataLoader
from retroprop.random import generator
from retroprop.train.loader_input import (
    END,
    BatchReader,
    is_one_shot,
    known_steps,
    no_batch,
    ran_out,
)
from retroprop.train.resume import EpochState
from retroprop.train.weighted_loss import class_labels, digest, per_class_weights, weighted

if TYPE_CHECKING:
    from retroprop.train.trainer import Trainer

#: One batch: inputs, targets (checked by the loss), weights per example (or None), and
#: its indices into the arrays (None for a loader's).
Batch = tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]


class WithoutGenerators:
    """A source that draws from no random generator of its own (arrays draw from the
    library's, which a checkpoint saves anyway)."""

    def generator_states(self) -> list[Any]:
        """The states of random generators of its own: none."""
        return []

    def set_generator_states(self, states: list[Any]) -> None:
        """Nothing to restore (see :meth:`generator_states`)."""


class ArrayBatches(WithoutGenerators):
    """The batches of arrays ``X``, ``y`` (and examples' ``weights``), drawn as
    :func:`~retroprop.data.batch_indices` draws them."""

    #: A checkpoint written inside an epoch resumes exactly (the epoch's batches are saved).
    resumes_mid_epoch = True

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None,
                 batch_size: int | None, shuffle: bool, sampling: str) -> None:
        self.X, self.y, self.weights = X, y, weights
        self.batch_size, self.shuffle, self.sampling = batch_size, shuffle, sampling
        self.samples = len(X)
        self.steps = 1 if batch_size is None else math.ceil(len(X) / batch_size)

    def signature(self, validation_weights: np.ndarray | None) -> dict[str, Any]:
        """What a run resumed from a checkpoint must match (with ``validation_weights``, the
        validation examples' weights); the weights only where given, so that older
        checkpoints still match."""
        run = {"batch_size": self.batch_size, "samples": self.samples,
               "shuffle": self.shuffle, "sampling": self.sampling}
        if self.weights is not None or validation_weights is not None:
            run["weights"] = f"{digest(self.weights)}/{digest(validation_weights)}"
        return run

    def new_epoch(self, trainer: Trainer) -> EpochState:
        return EpochState.start(trainer.model, list(batch_indices(
            len(self.X), self.batch_size, self.shuffle, self.sampling, labels=self.y,
            errors=trainer._errors)))

    def batch(self, state: EpochState) -> Batch | None:
        """The epoch's next batch, None after its last."""
        if state.batch >= len(state.batches):
            return None
        index = state.batches[state.batch]
        return (self.X.take(index, axis=0), self.y.take(index, axis=0),
                None if self.weights is None else self.weights.take(index), index)


class ReadBatches(WithoutGenerators):
    """What the batches of a loader and of an iterable share: each raw batch converted for
    ``trainer`` (:class:`~retroprop.train.loader_input.BatchReader`), the loss weighted
    from the first batch when the batches carry weights or ``class_weight`` is given, and
    the weights times ``class_weight``'s."""

    def __init__(self, trainer: Trainer, class_weight: Mapping[int, float] | None,
                 where: str) -> None:
        self.trainer, self.class_weight, self.where = trainer, class_weight, where
        self.reader = BatchReader(trainer, where, "X")
        self.loss_chosen = False

    def signed(self, run: dict[str, Any], validation_weights: np.ndarray | None
               ) -> dict[str, Any]:
        """``run``, the source's own part of the signature that a resumed run must match,
        with ``class_weight`` and the validation examples' weights (the batches carry
        their own weights, which are not read ahead)."""
        if self.class_weight is not None:
            run["class_weight"] = repr(sorted(self.class_weight.items()))
        if validation_weights is not None:
            run["weights"] = f"None/{digest(validation_weights)}"
        return run

    def converted(self, raw: Any, state: EpochState) -> Batch:
        """``raw``, the epoch's next batch, converted; its positions recorded in ``state``
        (after the epoch's batches so far)."""
        xb, yb, wb = self.reader.read(raw, state.batch)
        if not self.loss_chosen:  # the first batch of this fit: weighted or not
            self.loss_chosen = True
            if wb is not None or self.class_weight is not None:
                self.trainer.training_loss = weighted(self.trainer.loss, yb, self.where)
        if self.class_weight is not None:
            outputs = self.reader.outputs
            factors = per_class_weights(
                self.class_weight, class_labels(yb, self.where), outputs if outputs and
                outputs > 1 else 2, f"{self.where} (X's batch {state.batch})")
            wb = factors if wb is None else wb * factors
        start = int(state.batches[-1][-1]) + 1 if state.batches else 0
        state.batches.append(np.arange(start, start + len(xb)))
        return xb, yb, wb, None


class LoaderBatches(ReadBatches):
    """The batches of a :class:`~retroprop.data.DataLoader`, converted for ``trainer``
    (:class:`ReadBatches`); the generators of its sampler are saved with the run."""

    #: A checkpoint written inside an epoch resumes exactly (:meth:`_iterator`).
    resumes_mid_epoch = True

    def __init__(self, trainer: Trainer, loader: DataLoader,
                 class_weight: Mapping[int, float] | None, where: str) -> None:
        super().__init__(trainer, class_weight, where)
        self.loader = loader
        self.iterator: Iterator[Any] | None = None
        self.samples, self.steps = len(loader.dataset), len(loader)

    def signature(self, validation_weights: np.ndarray | None) -> dict[str, Any]:
        """What a run resumed from a checkpoint must match (with ``validation_weights``, the
        validation examples' weights)."""
        run: dict[str, Any] = {"loader": f"{self.steps} batches", "samples": self.samples,
                               "batch_size": self.loader.batch_size,
                               "shuffle": self.loader.shuffle}
        return self.signed(run, validation_weights)

    def new_epoch(self, trainer: Trainer) -> EpochState:
        self.iterator = None
        state = EpochState.start(trainer.model, [])
        state.rng_start = [generator().bit_generator.state, *self.generator_states()]
        return state

    def own_generators(self) -> list[np.random.Generator]:
        """Generators of the loader's sampler or batch sampler that are not the library's
        (``WeightedRandomSampler(generator=...)``)."""
        found = (getattr(self.loader.sampler, "generator", None),
                 getattr(self.loader.batch_sampler, "generator", None))
        return [g for g in found if isinstance(g, np.random.Generator)]

    def generator_states(self) -> list[Any]:
        return [g.bit_generator.state for g in self.own_generators()]

    def set_generator_states(self, states: list[Any]) -> None:
        for rng, state in zip(self.own_generators(), states, strict=True):
            rng.bit_generator.state = state

    def _iterator(self, state: EpochState) -> Iterator[Any]:
        """The loader's iterator for ``state``'s epoch, past its ``state.batch`` finished
        batches: the loader's order is drawn again from the generators' states at the
        epoch's start, then the generators continue from where they are now."""
        now = [generator().bit_generator.state, *self.generator_states()]
        if state.rng_start is not None:
            generator().bit_generator.state = state.rng_start[0]
            self.set_generator_states(state.rng_start[1:])
        iterator = iter(self.loader)
        for done in range(state.batch):
            if next(iterator, None) is None:
                raise ValueError(f"{self.where}: resume_from: the DataLoader now gives "
                                 f"{done} batches where the checkpoint's epoch had finished "
                                 f"{state.batch}; expected the same loader and data")
        generator().bit_generator.state = now[0]
        self.set_generator_states(now[1:])
        return iterator

    def batch(self, state: EpochState) -> Batch | None:
        """The loader's next batch, converted; None after its last. An epoch without any
        batch is an error (a sampler that gave no indices)."""
        if self.iterator is None:
            self.iterator = self._iterator(state)
        raw = next(self.iterator, None)
        if raw is None:
            self.iterator = None
            if state.batch == 0:
                raise no_batch(self.loader, self.where)
            return None
        return self.converted(raw, state)


class IterableBatches(ReadBatches):
    """The batches of an iterable other than a retroprop DataLoader, as Keras 3's ``fit``
    reads a PyTorch DataLoader or a Python generator (its ``EpochIterator``):

    * without ``steps_per_epoch``, an epoch is one pass: a re-iterable object (a PyTorch
      DataLoader) is iterated anew every epoch, a one-shot iterator (a generator) gives
      one epoch (``fit`` refuses it for more);
    * with ``steps_per_epoch``, an epoch is that many batches, the iteration continuing
      from where the previous epoch left it. Where it runs out inside an epoch, the epoch
      ends there with Keras's warning ("ran out of data"); a re-iterable object then starts
      a new pass at the next epoch, a one-shot iterator ends the training (Keras goes on
      asking it for batches).

    retroprop cannot draw the iterable's order again (a PyTorch sampler draws from
    PyTorch's generator; a generator cannot be rewound): a run fed by one is saved, and
    resumes, at the end of epochs only (``fit`` refuses ``ModelCheckpoint(every_batches=,
    every_seconds=)``; Ctrl-C leaves the checkpoint of the last epoch's end), its next
    epoch read from the iterable as given to the resumed ``fit``."""

    resumes_mid_epoch = False

    def __init__(self, trainer: Trainer, iterable: Iterable[Any], steps_per_epoch: int | None,
                 class_weight: Mapping[int, float] | None, where: str) -> None:
        super().__init__(trainer, class_weight, where)
        self.iterable, self.steps_per_epoch = iterable, steps_per_epoch
        self.one_shot = is_one_shot(iterable)
        self.iterator: Iterator[Any] | None = None
        self.samples = None  # unknown: the iterable is not read ahead
        self.steps = steps_per_epoch if steps_per_epoch is not None else \
            known_steps(iterable)
        self.started = False  # whether this fit has had a batch

    def signature(self, validation_weights: np.ndarray | None) -> dict[str, Any]:
        """What a run resumed from a checkpoint must match."""
        run: dict[str, Any] = {"iterable": type(self.iterable).__name__,
                               "steps_per_epoch": self.steps_per_epoch,
                               "batches": known_steps(self.iterable)}
        return self.signed(run, validation_weights)

    def new_epoch(self, trainer: Trainer) -> EpochState:
        if self.steps_per_epoch is None:  # each epoch a pass of its own
            self.iterator = None
        return EpochState.start(trainer.model, [])

    def batch(self, state: EpochState) -> Batch | None:
        """The epoch's next batch, converted; None after its last (the pass's end, or its
        ``steps_per_epoch``-th batch)."""
        if self.steps_per_epoch is not None and state.batch == self.steps_per_epoch:
            return None
        if self.iterator is None:
            self.iterator = iter(self.iterable)
        raw = next(self.iterator, END)
        if raw is END and state.batch == 0 and self.started and not self.one_shot:
            self.iterator = iter(self.iterable)  # the last pass ended with the last epoch
            raw = next(self.iterator, END)
        if raw is END:
            self.ended(state)
            return None
        self.started = True
        return self.converted(raw, state)

    def ended(self, state: EpochState) -> None:
        """The iterable has run out at ``state``'s batch: an error where it gave this fit no
        batch; with ``steps_per_epoch``, Keras's warning and, for a one-shot iterator, the
        end of the training."""
        self.iterator = None
        if not self.started:
            raise no_batch(self.iterable, self.where)
        if self.steps_per_epoch is not None:
            ran_out("X", state.batch, self.steps_per_epoch, self.where, "steps_per_epoch")
            if self.one_shot:
                self.trainer.stop_training = True
        elif state.batch == 0:  # a one-shot iterator, read again (fit refuses it)
            raise no_batch(self.iterable, self.where)


#: Where ``fit`` takes its batches from.
Source = ArrayBatches | LoaderBatches | IterableBatches
