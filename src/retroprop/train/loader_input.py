"""Data sets and data loaders as the inputs of ``Trainer.fit``, ``evaluate`` and ``predict``,
as Keras's ``Model.fit(x=dataset)`` takes a data set and a PyTorch user hands a DataLoader.

* A :class:`~retroprop.data.DataLoader`: its batches are the steps, in its order
  (:class:`~retroprop.train.batch_sources.LoaderBatches`); each batch is ``(x, y)`` or
  ``(x, y, sample_weight)``, of NumPy arrays or tensors, as Keras takes from a data set
  (``predict`` also takes batches of ``x`` alone). The arguments of ``fit`` that would
  make batches another way (``batch_size``, ``shuffle``, ``sampling``,
  ``validation_split``) or give targets or weights besides the loader's (``y``,
  ``sample_weight``) are refused unless left at their defaults.
* A map-style data set: a :class:`~retroprop.data.Dataset` (``TensorDataset``,
  ``Subset``, ``ConcatDataset``, ...) or any object with ``__len__`` and ``__getitem__``
  giving ``(x, y)`` or ``(x, y, sample_weight)`` examples (a PyTorch data set) that is not
  itself an array. It is gathered into arrays once, with one indexing per array where it
  has ``get_batch``, and then used as those arrays: every argument of ``fit`` works as for
  arrays, and every batch of every epoch is one ``take`` per array, where a loader over a
  data set without ``get_batch`` would stack its examples one by one, every epoch.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.callbacks.base import Callback, CallbackList
from retroprop.data.loader import DataLoader, Dataset, fetch
from retroprop.nn.module import evaluating
from retroprop.stacklevel import user_stacklevel
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.weighted_loss import check_sample_weight, mean_one

if TYPE_CHECKING:
    from retroprop.train.trainer import Trainer

END = object()  # what next() gives after an iterator's last batch

FORMS = "a tuple (x, y) or (x, y, sample_weight), as Keras takes from a data set"


def as_array(value: Any) -> np.ndarray:
    """A batch's field as an array: a NumPy array or anything ``np.asarray`` takes, a
    retroprop Tensor's data, or a PyTorch tensor detached from its graph and copied to
    the CPU (``np.asarray`` refuses a tensor that requires a gradient or lives on a GPU)."""
    if isinstance(value, Tensor):
        return value.data
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def is_loader(value: Any) -> bool:
    return isinstance(value, DataLoader)


def gives_batches(value: Any) -> bool:
    """A retroprop DataLoader, or another iterable of batches (a PyTorch DataLoader, a
    generator): iterable, and neither array-like, a sequence, a mapping nor a data set."""
    return is_loader(value) or (
        isinstance(value, Iterable) and not is_dataset(value)
        and not isinstance(value, Sequence | Mapping | Tensor | np.ndarray)
        and not hasattr(value, "__array__") and not hasattr(value, "shape"))


def is_one_shot(value: Any) -> bool:
    """An iterator (a generator): iterating it again continues it, where an iterable such
    as a DataLoader starts a new pass."""
    return isinstance(value, Iterator)


def known_steps(value: Any) -> int | None:
    """The batches of one pass over an iterable, where it has a length (a DataLoader)."""
    try:
        return None if is_one_shot(value) else len(value)
    except TypeError:
        return None


def described(value: Any) -> str:
    """A DataLoader or another iterable of batches, for the errors."""
    if is_loader(value):
        return described_loader(value)
    if is_one_shot(value):
        return f"a one-shot {type(value).__name__}"
    steps = known_steps(value)
    return f"a {type(value).__name__}" + ("" if steps is None else
                                          f" of {steps} batch{'' if steps == 1 else 'es'}")


def is_dataset(value: Any) -> bool:
    """A map-style data set rather than an array: a :class:`~retroprop.data.Dataset`, or an
    object with ``__len__`` and ``__getitem__`` that is neither array-like (no ``shape``,
    no ``__array__``) nor a sequence (a list, a range) or a mapping."""
    if isinstance(value, Dataset):
        return True
    return (hasattr(value, "__getitem__") and hasattr(value, "__len__")
            and not isinstance(value, Sequence | Mapping | Tensor)
            and not hasattr(value, "__array__") and not hasattr(value, "shape"))


def described_loader(loader: DataLoader) -> str:
    return (f"a DataLoader of {len(loader.dataset)} examples "
            f"(batch_size={loader.batch_size}, drop_last={loader.drop_last})")


def _rows(value: Any) -> int | None:
    """The length of a field's first axis; None for a scalar."""
    shape = getattr(value, "shape", None)
    shape = np.shape(value) if shape is None else tuple(shape)
    return shape[0] if shape else None


def batch_fields(batch: Any, where: str, what: str, inputs_only: bool = False
                 ) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` of a batch (None for the missing ones), each with as many
    rows; with ``inputs_only`` (``predict``) a batch may also be ``x`` alone."""
    if isinstance(batch, Mapping):  # Keras's named inputs: retroprop's models take one array
        keys = ", ".join(sorted(map(repr, batch))[:5])
        raise ValueError(f"{where}: {what} is a dict (keys {keys}); expected "
                         f"{'x alone or ' if inputs_only else ''}{FORMS} (a model takes "
                         "one input array: return (x, y) from the data set or collate_fn)")
    if not isinstance(batch, tuple | list):
        if inputs_only:
            return batch, None, None
        shape = getattr(batch, "shape", None)
        raise ValueError(f"{where}: {what} is a single {type(batch).__name__}"
                         f"{'' if shape is None else f' of shape {tuple(shape)}'}; expected "
                         f"{FORMS} (a TensorDataset(X, y) gives (x, y))")
    if not ((1 if inputs_only else 2) <= len(batch) <= 3):
        raise ValueError(f"{where}: {what} is a {type(batch).__name__} of length {len(batch)};"
                         f" expected {FORMS}")
    x, y, w = (*batch, None, None)[:3]
    rows = {name: _rows(value) for name, value in (("x", x), ("y", y), ("sample_weight", w))
            if value is not None}
    if len(set(rows.values())) > 1:
        counts = ", ".join(f"{name} {'a scalar' if n is None else f'{n} rows'}"
                           for name, n in rows.items())
        examples = ": y a scalar is one example's, so the iterable gives examples, not " \
            "batches (as a torch IterableDataset does): batch them, e.g. with " \
            "torch.utils.data.DataLoader" if "y" in rows and rows["y"] is None else ""
        raise ValueError(f"{where}: {what} holds {counts}; expected one row per example in "
                         f"each{examples}")
    return x, y, w


def dataset_fields(dataset: Any, where: str, inputs_only: bool = False
                   ) -> tuple[Any, Any, Any]:
    """The whole data set as arrays ``(x, y, sample_weight)``, gathered once."""
    n = len(dataset)
    name = type(dataset).__name__
    if n == 0:
        raise ValueError(f"{where}: the {name} is empty (0 examples); expected at least one")
    what = f"each example of the {name}"
    if isinstance(dataset[0], Mapping):  # named before the stacking refuses it
        batch_fields(dataset[0], where, what, inputs_only)
    return batch_fields(fetch(dataset, np.arange(n)), where, what, inputs_only)


def dataset_inputs(dataset: Any, y: Any, sample_weight: Any, where: str
                   ) -> tuple[Any, Any, Any]:
    """``X``, ``y`` and ``sample_weight`` from a data set given as ``X``; ``y`` must then be
    left out, and ``sample_weight`` when its examples carry weights."""
    if y is not None:
        raise ValueError(f"{where}: y was given with X a {type(dataset).__name__}, whose "
                         "examples hold the targets; expected y=None (or arrays X and y)")
    x, y, w = dataset_fields(dataset, where)
    if w is not None and sample_weight is not None:
        raise ValueError(f"{where}: sample_weight was given with X a "
                         f"{type(dataset).__name__} whose examples carry weights "
                         "(x, y, sample_weight); expected one of the two")
    return x, y, sample_weight if w is None else w


def _shown(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return f"an array of shape {tuple(shape)}" if shape is not None else f"{value!r:.60}"


def check_loader_arguments(where: str, loader: Any,
                           given: Mapping[str, tuple[Any, Any]]) -> None:
    """Refuse, with the reason, an argument of ``fit``/``evaluate``/``predict`` given
    besides a DataLoader or another iterable of batches: ``given`` maps its name to
    ``(value, default)``; it may only keep its default."""
    ours = is_loader(loader)
    build = "build the DataLoader" if ours or hasattr(loader, "batch_size") else \
        "make the batches"
    reasons = {
        "y": "the loader's batches hold the targets, (x, y) or (x, y, sample_weight)",
        "sample_weight": "the loader's batches carry the weights, as (x, y, sample_weight)",
        "batch_size": (f"the loader's batch_size={loader.batch_size} makes the batches"
                       if hasattr(loader, "batch_size") else "the iterable makes the "
                       "batches") + f"; {build} with the batch size you want",
        "shuffle": (f"the loader sets the order (its shuffle={loader.shuffle}, or its "
                    "sampler)" if ours else "the iterable sets the order") +
                   f"; {build} with the shuffle= you want",
        "sampling": "the loader's sampler draws the examples: build the DataLoader with "
                    "sampler=rp.data.WeightedRandomSampler(...)" if ours else
                    "the iterable draws the examples",
        "validation_split": "a loader is not split, as Keras does not split a data set; pass "
                            "validation_data (arrays, a Dataset or a DataLoader), or cut the "
                            "data set with rp.data.random_split",
    }
    for name, (value, default) in given.items():
        if value is not None if default is None else value != default:
            raise ValueError(f"{where}: {name}={_shown(value)} was given with X "
                             f"{described(loader)}: {reasons[name]}; expected "
                             f"{name}={default!r} (the default)")


def no_batch(loader: Any, where: str, argument: str = "X") -> ValueError:
    """The error for a loader or an iterable (given as ``argument``) that gives no batch."""
    dropped = " (drop_last=True drops a last batch smaller than batch_size)" \
        if is_loader(loader) and loader.drop_last and len(loader.dataset) else ""
    return ValueError(f"{where}: {argument} is {described(loader)}, which gives no "
                      f"batch{dropped}; expected at least one")


def check_not_empty(loader: Any, where: str, argument: str = "X") -> None:
    """Refuse a loader or an iterable whose length says it gives no batch."""
    if known_steps(loader) == 0:
        raise no_batch(loader, where, argument)


def ran_out(argument: str, taken: int, steps: int, where: str, name: str) -> None:
    """Warn, as Keras 3 does, that ``argument`` gave ``taken`` of the ``steps`` batches that
    the argument ``name`` asked for."""
    enough = "steps_per_epoch * epochs batches (a generator), steps_per_epoch a pass (a " \
        "DataLoader)" if name == "steps_per_epoch" else f"{name} batches a pass"
    warnings.warn(f"{where}: {argument} ran out of data after {taken} of the {steps} batches "
                  f"{name}={steps} asks for; interrupting (Keras's warning): make sure that "
                  f"it can give at least {enough}", UserWarning, stacklevel=user_stacklevel())


def raw_batches(loader: Any, steps: int | None, where: str, argument: str = "X"
                ) -> Iterator[Any]:
    """The batches of one pass over ``loader`` (a one-shot iterator: from where it stands),
    at most ``steps`` of them, warning where it runs out first (Keras); an error without
    any. ``argument`` names it: ``X`` (``steps`` then ``evaluate``'s and ``predict``'s
    ``steps``) or ``validation_data`` (``validation_steps``)."""
    iterator, taken = iter(loader), 0
    while steps is None or taken < steps:  # no batch read past the last step
        batch = next(iterator, END)
        if batch is END:
            break
        yield batch
        taken += 1
    if not taken:
        raise no_batch(loader, where, argument)
    if steps is not None and taken < steps:
        ran_out(argument, taken, steps, where,
                "steps" if argument == "X" else "validation_steps")


def loader_callbacks(trainer: Trainer, callbacks: list[Callback], loader: Any,
                     steps: int | None = None) -> CallbackList | None:
    """The callbacks of ``evaluate`` or ``predict`` on a loader or an iterable (None
    without any), with Keras's params for one pass: ``epochs`` 1, its ``steps`` (None when
    unknown), and the data set's ``samples`` (None for an iterable)."""
    if not callbacks:
        return None
    known = known_steps(loader)
    return CallbackList(callbacks, trainer, {
        "epochs": 1, "steps": steps if known is None else min(steps or known, known),
        "samples": len(loader.dataset) if is_loader(loader) else None})


class BatchReader:
    """A loader's batches for ``trainer``: inputs in the model's dtype, targets checked and
    converted by its loss, weights as float64, the same form in every batch."""

    def __init__(self, trainer: Trainer, where: str, argument: str) -> None:
        self.trainer, self.where, self.argument = trainer, where, argument
        self.outputs: int | None = None  # the model's outputs per example, from batch 0
        self.weighted: bool | None = None  # whether the batches carry weights

    def read(self, batch: Any, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        label = f"{self.argument}'s batch {index}"
        x, y, w = batch_fields(batch, self.where, label)
        where = f"{self.where} ({label})"
        trainer = self.trainer
        xb = trainer._inputs(as_array(x), where)
        if self.outputs is None:
            self.outputs = trainer._num_outputs(xb) or 0
        yb = trainer.contract.prepare_targets(as_array(y), self.outputs or None,
                                              trainer.model.dtype, where)
        if self.weighted is None:
            self.weighted = w is not None
        elif self.weighted != (w is not None):
            seen, first = ("(x, y)", "(x, y, sample_weight)") if w is None else \
                ("(x, y, sample_weight)", "(x, y)")
            raise ValueError(f"{where}: this batch is {seen} but the first was {first}; "
                             "expected the same form in every batch")
        return xb, yb, None if w is None else check_sample_weight(as_array(w), len(yb),
                                                                   where)


def evaluate_loader(trainer: Trainer, loader: Any, where: str,
                    hooks: CallbackList | None, argument: str = "X",
                    steps: int | None = None) -> dict[str, float]:
    """Loss and metrics over the batches of ``loader`` (a DataLoader or another iterable of
    batches; its first ``steps`` where given), as ``Trainer._evaluate`` gives
    them for arrays: the outputs of every batch are gathered and the loss computed once on
    the whole set (its weights, when the batches carry them, scaled to average 1 over it).
    The batch hooks get each batch's own loss, with its weights as given."""
    check_not_empty(loader, where, argument)
    if hooks is not None:
        hooks.on_test_begin({})
    batched = hooks is not None and hooks.defines("on_test_batch_begin", "on_test_batch_end")
    reader = BatchReader(trainer, where, argument)
    outputs, targets, weights = [], [], []
    with evaluating(trainer.model), no_grad():
        for index, batch in enumerate(raw_batches(loader, steps, where, argument)):
            xb, yb, wb = reader.read(batch, index)
            targets.append(yb)
            if wb is not None:
                weights.append(wb)
            if not batched:
                outputs.append(trainer.model(Tensor._wrap(xb)).data)
                continue
            hooks.on_test_batch_begin(index, {"size": len(xb)})  # type: ignore[union-attr]
            criterion, target = trainer._criterion(yb, wb, where)
            value, out = trainer.compute_loss(xb, target, criterion)
            outputs.append(out)
            hooks.on_test_batch_end(index, {  # type: ignore[union-attr]
                "loss": np.nan if value is None else value.item(), "size": len(xb)})
    y = np.concatenate(targets)
    w = mean_one(np.concatenate(weights), f"{where}: the batches' sample_weight") \
        if weights else None
    return trainer._scores(np.concatenate(outputs), y, w, hooks)


def predict_loader(trainer: Trainer, loader: Any, where: str,
                   hooks: CallbackList | None, steps: int | None = None) -> np.ndarray:
    """The model's outputs for the batches of ``loader`` (a DataLoader or another iterable;
    its first ``steps`` where given), each batch's first element or the batch itself when
    it is ``x`` alone, in inference mode; with ``hooks`` their ``on_predict_*`` hooks."""
    check_not_empty(loader, where)
    if hooks is not None:
        hooks.on_predict_begin({})
    outputs = []
    with evaluating(trainer.model), no_grad():
        for index, batch in enumerate(raw_batches(loader, steps, where)):
            label = f"X's batch {index}"
            xb = trainer._inputs(as_array(batch_fields(batch, where, label,
                                                       inputs_only=True)[0]),
                                 f"{where} ({label})")
            if hooks is not None:
                hooks.on_predict_batch_begin(index, {"size": len(xb)})
            outputs.append(trainer.model(Tensor._wrap(xb)).data)
            if hooks is not None:
                hooks.on_predict_batch_end(index, {"outputs": outputs[-1], "size": len(xb)})
    if hooks is not None:
        hooks.on_predict_end({})
    return np.concatenate(outputs)

