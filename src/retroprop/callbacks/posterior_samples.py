"""``PosteriorSamples``: keep the weight vectors that training visits and average their
predictions, Berzal's "Bayesian fitting" (Berzal, "Backpropagation" (Granada), "En la
práctica: Generalización")."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop.atomic import atomic_write
from retroprop.callbacks.base import Callback, Logs
from retroprop.checks import check_count
from retroprop.errors import DataFileError
from retroprop.nn.loss import CrossEntropyLoss, Loss
from retroprop.nn.module import Module, evaluating
from retroprop.safe_npz import read_npz
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.metrics import predicted_labels

UNITS = ("epoch", "batch")
#: Rows per forward pass when predicting.
PREDICT_BATCH = 1024


class PosteriorSamples(Callback):
    """Copies of the model's weights taken during ``fit``, and the average of their
    predictive distributions.

    Berzal, "Backpropagation" (Granada), "En la práctica: Generalización", combines models
    in two ways: model averaging (:mod:`retroprop.ensemble`) and *Bayesian fitting*:
    "using a single network architecture, combine the predictions made by many different
    weight vectors". Trained with :class:`~retroprop.optim.SGLD`, the weights visited after
    a burn-in are draws θ_1, …, θ_S from the posterior p(θ | D), and the prediction is the
    posterior predictive distribution estimated by their mean,

        p(y | x, D) = ∫ p(y | x, θ) p(θ | D) dθ ≈ (1/S) Σ_s p(y | x, θ_s).

    (With another optimizer the same average is a cheap ensemble of the snapshots one run
    visits.) A sample is taken after every ``every``-th epoch (or batch) that follows the
    first ``burn_in``; each ``fit`` starts a new collection. Samples are
    ``model.state_dict()`` copies (parameters and buffers, such as batch normalization's
    statistics, in the model's dtype) and are part of the callback's state, so a resumed
    run (``fit(..., resume_from=)``) keeps those already taken.

    Parameters
    ----------
    burn_in : int, default 0
        Epochs (or batches) at the start of ``fit`` whose weights are not kept: the chain
        has not reached the posterior yet.
    every : int, default 1
        Keep the weights of every ``every``-th epoch (or batch) after the burn-in (thinning:
        consecutive draws are correlated).
    max_samples : int, optional
        Keep at most this many samples, the most recent ones.
    unit : {"epoch", "batch"}
        What ``burn_in`` and ``every`` count.

    Attributes
    ----------
    samples : list of dict
        The kept ``state_dict()`` copies, oldest first.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> (X, y), _ = rp.datasets.load_digits()
    >>> X = rp.datasets.scale(X.reshape(len(X), -1), 16)
    >>> _ = rp.manual_seed(0)
    >>> model = rp.models.mlp([64, 10])
    >>> samples = rp.callbacks.PosteriorSamples(burn_in=2, every=1)
    >>> sgld = rp.optim.SGLD(model.parameters(), lr=1e-4, num_examples=len(X))
    >>> _ = rp.Trainer(model, rp.nn.CrossEntropyLoss(), sgld).fit(
    ...     X, y, epochs=5, callbacks=[samples], verbose=0)
    >>> len(samples), samples.predict_proba(model, X[:3]).sum(axis=1).round(6).tolist()
    (3, [1.0, 1.0, 1.0])
    """

    def __init__(self, burn_in: int = 0, every: int = 1, max_samples: int | None = None,
                 unit: str = "epoch") -> None:
        self.burn_in = check_count(burn_in, "PosteriorSamples: burn_in", low=0)
        self.every = check_count(every, "PosteriorSamples: every")
        self.max_samples = None if max_samples is None else check_count(
            max_samples, "PosteriorSamples: max_samples", also="or None")
        if unit not in UNITS:
            raise ValueError(f"PosteriorSamples: unit must be one of {UNITS}, got {unit!r}")
        self.unit = unit
        self.samples: list[dict[str, np.ndarray]] = []
        self.seen = 0  # epochs (or batches) ended in this fit

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        return (f"PosteriorSamples(burn_in={self.burn_in}, every={self.every}, "
                f"max_samples={self.max_samples}, unit={self.unit!r}; "
                f"{len(self.samples)} samples)")

    # ------------------------------------------------------------------ collecting
    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.samples, self.seen = [], 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.unit == "epoch":
            self._count()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.unit == "batch":
            self._count()

    def _count(self) -> None:
        self.seen += 1
        after = self.seen - self.burn_in
        if after > 0 and after % self.every == 0:
            self.samples.append(dict(self.model.state_dict()))
            if self.max_samples is not None and len(self.samples) > self.max_samples:
                del self.samples[0]

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the samples to an ``.npz`` file (arrays only, no pickles), atomically:
        member ``"<s>:<name>"`` is entry ``name`` of sample s."""
        if not self.samples:
            raise ValueError("PosteriorSamples.save: no samples to save")
        arrays: dict[str, Any] = {f"{index}:{name}": value
                                  for index, sample in enumerate(self.samples)
                                  for name, value in sample.items()}
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write(path, buffer.getvalue())

    def load(self, path: str | os.PathLike[str]) -> PosteriorSamples:
        """Replace the samples by those that :meth:`save` wrote to ``path``; returns self.
        The file is read as untrusted (:func:`retroprop.safe_npz.read_npz`)."""
        found: dict[int, dict[str, np.ndarray]] = {}
        for key, value in read_npz(path, where="PosteriorSamples.load: ").items():
            index, separator, name = key.partition(":")
            if not separator or not index.isdigit() or not name:
                raise DataFileError(f"PosteriorSamples.load: {path} holds an array {key!r}, "
                                    "not '<sample>:<name>': it was not written by "
                                    "PosteriorSamples.save")
            found.setdefault(int(index), {})[name] = value
        if sorted(found) != list(range(len(found))) or not found:
            raise DataFileError(f"PosteriorSamples.load: {path} holds samples "
                                f"{sorted(found)[:10]}, not 0, 1, 2, ...")
        self.samples = [found[index] for index in range(len(found))]
        return self

    # ------------------------------------------------------------------ predicting
    def _loss(self, loss: Loss | None) -> Loss:
        """The loss that says how outputs become probabilities: the one given, else the
        Trainer's this callback ran with, else cross-entropy."""
        if loss is not None:
            if not isinstance(loss, Loss):
                raise TypeError(f"PosteriorSamples: loss must be a loss such as "
                                f"rp.nn.CrossEntropyLoss(), got {type(loss).__name__}")
            return loss
        return self._trainer.contract if self._trainer is not None else CrossEntropyLoss()

    def _average(self, model: Module, X: Any, transform: Callable[[np.ndarray], np.ndarray]
                 ) -> np.ndarray:
        """(1/S) Σ_s transform(outputs of the model with sample s's weights); the model gets
        its own weights back."""
        if not isinstance(model, Module):
            raise TypeError(f"PosteriorSamples: model must be a Module (the architecture "
                            f"the samples were taken from), got {type(model).__name__}")
        if not self.samples:
            raise ValueError("PosteriorSamples: no samples to average; fit with this "
                             "callback for more than burn_in epochs (or batches) first")
        X = np.asarray(X.data if isinstance(X, Tensor) else X)
        if X.ndim == 0 or len(X) == 0:
            raise ValueError(f"PosteriorSamples: X must hold at least one example, got "
                             f"shape {X.shape}")
        own = model.state_dict()
        total: Any = 0.0
        try:
            with evaluating(model), no_grad():
                for sample in self.samples:
                    model.load_state_dict(sample)
                    value = np.concatenate([
                        transform(model(Tensor(X[start:start + PREDICT_BATCH],
                                               dtype=model.dtype)).data)
                        for start in range(0, len(X), PREDICT_BATCH)])
                    total = total + value
        finally:
            model.load_state_dict(own)
        return total / len(self.samples)

    def predict_proba(self, model: Module, X: Any, loss: Loss | None = None) -> np.ndarray:
        """The posterior predictive probabilities: the mean over the samples of the class
        probabilities that ``loss`` reads in the outputs (softmax for
        ``CrossEntropyLoss``, sigmoid for ``BCEWithLogitsLoss``).

        Parameters
        ----------
        model : Module
            A model of the architecture the samples were taken from; its weights are left
            as they were.
        X : array (n, ...)
        loss : Loss, optional
            Default: the loss of the Trainer this callback ran with (else cross-entropy).
        """
        return self._average(model, X, self._loss(loss).probabilities)

    def predict(self, model: Module, X: Any, loss: Loss | None = None) -> np.ndarray:
        """The class of highest posterior predictive probability (classification losses),
        or the mean of the samples' outputs (regression: the posterior predictive mean).
        ``loss`` as in :meth:`predict_proba`: samples read by :meth:`load` have no Trainer,
        so those of a regression need ``loss=rp.nn.MSELoss()`` (else they are classified
        as by a cross-entropy)."""
        contract = self._loss(loss)
        if not contract.is_classifier:
            return self._average(model, X, lambda outputs: outputs)
        return predicted_labels(self.predict_proba(model, X, contract))
