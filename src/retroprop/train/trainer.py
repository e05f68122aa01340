"""``Trainer``: the training loop of Berzal's and Tobón & Aguirre's lectures, in Keras's
shape.

One epoch presents the training set in batches (online: ``batch_size=1``;
full batch: ``batch_size=None``; mini-batches otherwise). For each batch, the
step strategy that the optimizer's ``step_kind`` selects
(:mod:`retroprop.train.steps`): forward, loss (plus the modules' penalties),
backward, gradient clipping, optimizer step, weight constraints; full-batch
optimizers (conjugate gradient, L-BFGS, Newton) receive a closure that
recomputes loss and gradients. The loop's position is kept in an
:class:`~retroprop.train.resume.EpochState`, so that a run can be checkpointed
and resumed exactly (:mod:`retroprop.train.resume`).
"""

from __future__ import annotations

import inspect
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Literal, overload

import numpy as np

from retroprop.callbacks.base import Callback, CallbackList, check_callbacks
from retroprop.callbacks.history import History
from retroprop.callbacks.model_checkpoint import ModelCheckpoint
from retroprop.callbacks.progress import ProgressBar, reporting_callbacks, results_line
from retroprop.checks import check_count, is_real
from retroprop.data.batches import SAMPLINGS
from retroprop.nn.functional import all_finite, check_finite
from retroprop.nn.loss import Loss
from retroprop.nn.module import Module, evaluating, hooks_suspended
from retroprop.nn.normalization import _BatchNorm
from retroprop.nn.parameter import Parameter
from retroprop.nn.utils import clip_grad_norm_, clip_grad_value_
from retroprop.optim.optimizer import Optimizer
from retroprop.stacklevel import user_stacklevel
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.batch_sources import ArrayBatches, IterableBatches, LoaderBatches, Source
from retroprop.train.divergence import divergence_error
from retroprop.train.loader_input import (
    check_loader_arguments,
    check_not_empty,
    dataset_fields,
    dataset_inputs,
    described,
    evaluate_loader,
    gives_batches,
    is_dataset,
    is_loader,
    is_one_shot,
    loader_callbacks,
    predict_loader,
)
from retroprop.train.metrics import Metric, WeightedMetric, get_metric
from retroprop.train.resume import (
    interruptible,
    restore,
    stop_for_interrupt,
    training_state,
)
from retroprop.train.steps import step_strategy
from retroprop.train.weighted_loss import (
    check_sample_weight,
    class_labels,
    mean_one,
    pack,
    per_class_weights,
    unreduced_copy,
    weighted,
)

PREDICT_BATCH = 1024

#: ``fit``'s validation pass: given ``hooks=``, the validation loss and metrics.
Validation = Callable[..., dict[str, float]]


class Trainer:
    """Fit a model to data with a loss and an optimizer, as ``keras.Model.fit``.

    Parameters
    ----------
    model : Module
    loss : Module
        A loss such as ``nn.CrossEntropyLoss()`` (classification with logits)
        or ``nn.MSELoss()`` (regression).
    optimizer : Optimizer
    metrics : list of str or callables, default ["accuracy"] for classification losses
        Names from :mod:`retroprop.train.metrics` or ``f(y_true, outputs)``, each name once.
        "accuracy" compares the predicted class with the label (the argmax of one-hot or
        probability target rows), and for the binary cross-entropies every output with its
        target (Keras's ``binary_accuracy``, also for several outputs: multi-label). They
        are not weighted by the examples' weights.
    clip_grad_norm, clip_grad_value : float, optional
        Clip gradients before every step (Fuentes Pineda: exploding gradients).
    weighted_metrics : list of str or callables, optional
        Metrics weighted by each example's weight, as Keras's ``compile(weighted_metrics=)``:
        the weights ``fit`` trains with (``sample_weight`` times ``class_weight``, or a
        DataLoader's ``(x, y, w)`` batches), ``evaluate``'s ``sample_weight``, and the
        validation data's (the third element of ``validation_data``, the held-out rows'
        ``sample_weight`` with ``validation_split``). A metric that averages a score per
        example becomes Σ w_i s_i / Σ w_i (accuracy, top-k accuracy; MSE and MAE with e_i
        averaged over the example's outputs), R² is scikit-learn's weighted ``r2_score``;
        without weights they equal the unweighted metrics. A callable is called as
        ``f(y_true, outputs, sample_weight=w)`` (w None without weights), as scikit-learn's
        metrics take it. Logged under the metric's name, or ``"weighted_" + name`` when
        ``metrics`` holds the same metric (Keras 3's names).

    Attributes
    ----------
    stop_training : bool
        Set by a callback to end ``fit`` after the current batch.

    Notes
    -----
    Regularization happens in one place: modules that define ``penalty()``
    add it to the loss (so the reported loss is E + penalty, as in Berzal's
    "Backpropagation"), and modules that define ``project_(prox_rate)`` take
    their proximal step, with the step size the optimizer took
    (``Optimizer.prox_rate``), and are projected back onto their constraints
    after every optimizer step.

    How a batch becomes a step follows the optimizer's declared
    ``step_kind`` (:mod:`retroprop.train.steps`); what depends on the loss
    (target checks, probabilities, decisions) comes from the loss
    (:class:`retroprop.nn.Loss`). Optimizers that need full batches
    (``full_batch``) get a warning, once per ``fit``, on mini-batches.

    Examples
    --------
    >>> import retroprop as rp
    >>> (X, y), _ = rp.datasets.load_digits()
    >>> X = rp.datasets.scale(X.reshape(len(X), -1), 16)
    >>> model = rp.nn.Sequential(rp.nn.Linear(64, 32), rp.nn.ReLU(), rp.nn.Linear(32, 10))
    >>> trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(
    ...     model.parameters(), lr=0.1, momentum=0.9))
    >>> history = trainer.fit(X, y, epochs=2, batch_size=32, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss', 'lr']
    """

    def __init__(self, model: Module, loss: Module, optimizer: Optimizer,
                 metrics: Sequence[str | Metric] | None = None,
                 clip_grad_norm: float | None = None, clip_grad_value: float | None = None,
                 *, weighted_metrics: Sequence[str | Metric] | None = None) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"Trainer: model must be a Module, got {type(model).__name__}")
        if isinstance(loss, type):
            raise TypeError(f"Trainer: loss must be a loss instance such as {loss.__name__}(), "
                            f"not the class {loss.__name__}")
        if not isinstance(loss, Module):
            raise TypeError(f"Trainer: loss must be a loss module such as "
                            f"nn.CrossEntropyLoss(), got {type(loss).__name__}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Trainer: optimizer must be an Optimizer, got "
                            f"{type(optimizer).__name__}")
        for name, value in (("clip_grad_norm", clip_grad_norm),
                            ("clip_grad_value", clip_grad_value)):
            if value is not None and (not is_real(value) or not value > 0):
                raise ValueError(f"Trainer: {name} must be a positive number, got {value!r}")
        if (clip_grad_norm or clip_grad_value) and optimizer.step_kind != "gradient":
            raise ValueError(
                f"Trainer: clip_grad_norm and clip_grad_value clip the gradient of a gradient "
                f"step; {type(optimizer).__name__} (step_kind={optimizer.step_kind!r}) "
                "evaluates loss and gradient several times per step and controls its own step "
                "length, where a clipped gradient would not be the loss's: remove the clipping")
        self.model, self.loss, self.optimizer = model, loss, optimizer
        #: The loss that training steps minimize: ``loss``, or during a ``fit`` with example
        #: weights the same loss weighted per example.
        self.training_loss: Module = loss
        # a loss module without the contract of nn.Loss is taken as a regression loss
        self.contract: Loss = loss if isinstance(loss, Loss) else Loss()
        self.clip_grad_norm, self.clip_grad_value = clip_grad_norm, clip_grad_value
        self.is_classifier = self.contract.is_classifier
        if metrics is None:
            metrics = ["accuracy"] if self.is_classifier else []
        self.metrics = _metrics(metrics, self.contract)
        #: The weighted metrics by the name they are logged under (``weighted_metrics``).
        self.weighted_metrics = _weighted_metrics(weighted_metrics or [], self.contract,
                                                  self.metrics)
        self.stop_training = False
        self.resuming = False  # True while a resumed fit runs its callbacks' on_train_begin
        self.divergence_factor: float | None = 1e8  # fit's, see there
        self.first_loss: float | None = None  # the first finite batch loss of the run
        self._validation_weights: np.ndarray | None = None  # fit's, scaled to average 1
        self.penalized = [m for m in model.modules() if type(m).penalty is not Module.penalty]
        self.projected = [m for m in model.modules() if type(m).project_ is not Module.project_]

    # ------------------------------------------------------------------ data checks
    def _inputs(self, X: Any, where: str) -> np.ndarray:
        X = np.asarray(X.data if isinstance(X, Tensor) else X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{where}: X must be numeric, got dtype {X.dtype}")
        if len(X) == 0:
            raise ValueError(f"{where}: X is empty (0 examples)")
        X = np.ascontiguousarray(X, dtype=self.model.dtype)
        check_finite(X, "X", where)
        return X

    def _targets(self, y: Any, X: np.ndarray, where: str) -> np.ndarray:
        """The targets of a whole data set (inputs ``X``), checked and converted once by
        the loss."""
        y = np.asarray(y.data if isinstance(y, Tensor) else y)
        if y.ndim == 0 or len(y) != len(X):
            raise ValueError(f"{where}: X has {len(X)} examples but y has "
                             f"{'none (a scalar)' if y.ndim == 0 else len(y)}")
        return self.contract.prepare_targets(y, self._num_outputs(X), self.model.dtype, where)

    def _num_outputs(self, X: np.ndarray) -> int | None:
        """The model's outputs per example: the last axis of its output for the first
        example of X, in inference mode (which draws no random numbers) and without the
        forward hooks (a call the user did not make); None for an output of one axis (a
        model that flattens it), for a tuple, and without examples."""
        if not len(X):
            return None
        with evaluating(self.model), no_grad(), hooks_suspended(self.model):
            out = self.model(Tensor._wrap(X[:1]))
        return out.shape[-1] if isinstance(out, Tensor) and out.ndim >= 2 else None

    # ------------------------------------------------------------------ one step
    def _regularized(self, loss: Tensor) -> Tensor:
        for module in self.penalized:
            term = module.penalty()
            if term is not None:
                loss = loss + term
        return loss

    def compute_loss(self, xb: np.ndarray, yb: np.ndarray, loss: Module | None = None
                     ) -> tuple[Tensor | None, np.ndarray]:
        """Loss with the penalties (None when the outputs are not finite) and outputs of one
        batch, in the model's current mode; the loss is ``training_loss`` unless given (the
        loss weighted per example in a ``fit`` with ``sample_weight`` or ``class_weight``,
        whose targets ``yb`` then carry the weights: :mod:`retroprop.train.weighted_loss`)."""
        outputs = self.model(Tensor._wrap(xb))
        if not all_finite(outputs.data):
            return None, outputs.data
        criterion = self.training_loss if loss is None else loss
        return self._regularized(criterion(outputs, yb)), outputs.data

    def clip_gradients(self) -> None:
        """Clip by norm and by value, as configured (Fuentes Pineda: exploding gradients)."""
        if self.clip_grad_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
        if self.clip_grad_value is not None:
            clip_grad_value_(self.model.parameters(), self.clip_grad_value)

    def _check_projections(self) -> None:
        """Refuse L1 and constraints with an optimizer that cannot have its weights moved
        between steps (``Optimizer.allows_projection``)."""
        if self.optimizer.allows_projection:
            return
        moved = [name or "the model" for name, module in self.model.named_modules()
                 if module.projects]
        if moved:
            raise ValueError(
                f"fit: {type(self.optimizer).__name__} cannot train layers with an L1 penalty "
                f"or a weight constraint ({'layers' if len(moved) > 1 else 'layer'} "
                f"{', '.join(moved)}): the Trainer would move the "
                "weights after each of its steps (soft-threshold, projection) to a point its "
                "line search, curvature memory or trust region did not choose, and the loss "
                "rises. Use an L2 penalty (l2=, part of the loss it minimizes), or a "
                "first-order optimizer (SGD, Adam, Rprop) for L1 and max-norm")

    def _check_minimizing(self) -> None:
        """Refuse an optimizer that ascends the loss (``maximize=True``): ``fit`` minimizes
        it, and its divergence check, the modules' penalties and the callbacks that
        monitor the loss expect it to fall."""
        climbing = [i for i, group in enumerate(self.optimizer.param_groups)
                    if group.get("maximize", False)]
        if climbing:
            raise ValueError(
                f"fit: {type(self.optimizer).__name__} has maximize=True (parameter groups "
                f"{climbing}), which would climb the loss that fit minimizes (the penalties "
                "would grow the weights, and the divergence check stop the run); expected "
                "maximize=False: to maximize a quantity, give fit its negative as the loss")

    def _check_trainable(self) -> None:
        """Refuse an optimizer whose parameters are all frozen (``requires_grad = False``):
        nothing would train (Keras's ``fit`` of a model without trainable weights). Some
        frozen parameters are fine: the optimizer skips them, as ``torch.optim``."""
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        if not any(p.requires_grad for p in params):
            raise ValueError(
                f"fit: every parameter of {type(self.optimizer).__name__} ({len(params)}) is "
                "frozen (requires_grad=False), so nothing would train; expected at least one "
                "trainable parameter: unfreeze the layers to train (requires_grad = True)")

    def constrain(self) -> None:
        """Proximal steps and constraints after a step, each weight with the step size the
        optimizer took for it (``Optimizer.prox_rate``). A parameter without a gradient
        (frozen with ``requires_grad = False``, or not reached by the loss) took no step:
        its step size is 0, so its L1 soft-threshold leaves it as it is."""
        rate = self.optimizer.prox_rate

        def taken(param: Parameter) -> float | np.ndarray:
            return 0.0 if param.grad is None else rate(param)

        for module in self.projected:
            module.project_(taken)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, epochs: int = 1, batch_size: int | None = 32,
            shuffle: bool = True, validation_data: Any = None,
            validation_split: float = 0.0, callbacks: Sequence[Callback] | None = None,
            verbose: int = 1, sampling: str = "uniform",
            augment: Callable[[np.ndarray], np.ndarray] | None = None,
            resume_from: str | os.PathLike[str] | None = None,
            divergence_factor: float | None = 1e8, *, sample_weight: Any = None,
            class_weight: Mapping[int, float] | None = None, initial_epoch: int = 0,
            validation_freq: int = 1, steps_per_epoch: int | None = None,
            validation_steps: int | None = None) -> History:
        """Train epochs ``initial_epoch`` .. ``epochs`` - 1, as ``keras.Model.fit``; returns
        the :class:`~retroprop.callbacks.History`.

        Parameters
        ----------
        X : array of shape (n, ...), DataLoader, Dataset, or iterable of batches
            The inputs, or all the data as Keras's ``fit(x=dataset)`` takes it
            (:mod:`retroprop.train.loader_input`). A :class:`~retroprop.data.DataLoader`:
            its batches, ``(x, y)`` or ``(x, y, sample_weight)`` of arrays or tensors, are
            the steps of every epoch, in its order; ``y``, ``sample_weight``,
            ``batch_size``, ``shuffle``, ``sampling`` and ``validation_split`` must then
            keep their defaults (an error names the one given), the batches' weights, times
            ``class_weight``'s, are used as given (not scaled to average 1 over the set,
            which is not read ahead, as they are for arrays: Keras's loss, Σ w_i ℓ_i / |B|),
            so that the History's ``loss`` is then the weights' mean times the ``val_loss``
            of the same data (``evaluate`` scales a loader's weights to average 1), and
            ``resume_from`` draws the loader's order again from the generators' states
            at the epoch's start. A map-style data set (a :class:`~retroprop.data.Dataset`
            such as ``TensorDataset``, ``Subset`` or ``ConcatDataset``, or a PyTorch data
            set) is gathered into arrays once and trained as those arrays, with every
            argument (``y`` left out, and ``sample_weight`` when its examples carry
            weights): each batch is then one indexing per array. Any other iterable of
            such batches, as Keras 3 takes a PyTorch DataLoader or a Python generator
            (:class:`~retroprop.train.batch_sources.IterableBatches`), with the same
            arguments refused and the weights used as for a DataLoader: its elements may be
            PyTorch tensors (detached and copied to NumPy), arrays or anything
            ``np.asarray`` takes. A re-iterable object (a ``torch.utils.data.DataLoader``)
            is read anew every epoch; a one-shot iterator (a generator) gives one epoch,
            or with ``steps_per_epoch`` epochs of that many batches.
        y : array, shape (n,) integer labels, or (n, k) targets
            Used as given, not copied, when X is C-contiguous in the model's dtype and the
            labels are int64 (or targets in the model's dtype): do not change them while
            ``fit`` runs. None (left out) when X is a DataLoader or a Dataset.
        epochs : int
            The index of the epoch to stop before, as in Keras: with ``initial_epoch`` it
            is not a count (``initial_epoch=2, epochs=5`` trains epochs 2, 3 and 4).
        batch_size : int or None
            1 = online learning, None = full batch, otherwise mini-batches.
        shuffle : bool
            A new order every epoch (uniform sampling).
        validation_data : (X_val, y_val) or (X_val, y_val, sample_weight_val), optional
            Keras's triple weights the validation loss as ``evaluate(sample_weight=)`` does.
            Also a DataLoader, a Dataset or another iterable of batches, as ``evaluate``
            takes them: each validation reads a re-iterable object anew, a one-shot
            iterator from where the last one left it (``validation_steps`` batches).
        validation_split : float in [0, 1)
            Fraction of the training data, taken from its end before shuffling,
            held out for validation (ignored when ``validation_data`` is given). The
            held-out rows take their ``sample_weight`` with them (``class_weight`` weighs
            the training rows only, as in Keras).
        callbacks : list of Callback
            Their hooks are called as Keras calls them (:class:`~retroprop.callbacks.Callback`),
            the ``on_test_*`` hooks around the validation pass of every epoch.
        verbose : int
            0 silent; 1 a progress bar (one line per epoch when not on a terminal); 2 also
            the per-layer gradient statistics that callbacks put in the logs.
        sampling : {"uniform", "class_balanced", "hard_examples"}
            See :func:`retroprop.data.batch_indices`.
        augment : callable, optional
            Applied to every training batch of inputs (a transform of
            :mod:`retroprop.data.augment`), so each epoch sees new distortions.
        resume_from : path, optional
            A training checkpoint written by ``ModelCheckpoint(resumable=True)``: the run
            continues where that one stopped (weights, optimizer, callbacks, schedules,
            random generator, position inside the epoch), and ends with the weights an
            uninterrupted run would have. Call ``fit`` with the same data and arguments.
            A run fed by an iterable other than a retroprop DataLoader (a PyTorch
            DataLoader, a generator), whose order retroprop cannot draw again, is saved and
            resumed at the end of epochs only (``ModelCheckpoint(every_batches=,
            every_seconds=)`` is refused; Ctrl-C keeps the checkpoint of the last epoch's
            end), its next epoch read from the iterable given to the resumed ``fit``:
            exactly the uninterrupted run's where every epoch is one pass in the same
            order.
        divergence_factor : float or None, default 1e8
            Training stops as diverged, with the weights of the epoch's start, when the
            loss is not finite, or when it rises above ``divergence_factor`` times its
            first value in the run (at least 1: a run that starts near 0 is not judged by
            a tiny first loss): exploding gradients, before they overflow. None: only
            non-finite losses stop it. The optimizer's state is then cleared
            (``Optimizer.clear_state``): the diverging steps built it.
        sample_weight : array, shape (n,), optional
            Each example's weight in the loss (finite, >= 0), as Keras's: the loss of a
            batch B is L_B = (1/|B|) Σ_{i∈B} w_i ℓ_i (Σ w_i ℓ_i for ``reduction="sum"``),
            ℓ_i the example's loss (the loss with ``reduction="none"``, over the
            example's outputs), with the weights scaled to average 1 over the training
            set. On the full batch that is Σ w_i ℓ_i / Σ w_i: an integer weight k trains
            as k copies of the example, and weights all 1 give the unweighted loss.
            Keras divides Σ w_i ℓ_i by the batch size with the weights as given
            ("sum_over_batch_size"): the same loss times the weights' mean, a factor that
            scales the step sizes of gradient methods. The weights follow their examples
            through shuffling, ``sampling`` and ``validation_split``, and are part of the
            run that ``resume_from`` must match. The metrics are not weighted; the
            Trainer's ``weighted_metrics`` are (Keras weights only its
            ``weighted_metrics``). Losses without a loss per example
            (``MultiTaskLoss``) are refused. The scikit-learn estimators weigh their
            examples by the same code (:mod:`retroprop.train.weighted_loss`).
        class_weight : dict {label: weight}, optional
            Multiplies each example's weight (with ``sample_weight``) by its class's, as
            Keras: classes are the labels, a single column of 0/1 targets, or the argmax
            of one-hot rows; a class not named weighs 1. Keys must be classes of y or of
            the model's outputs, weights finite and >= 0. With
            ``sampling="class_balanced"`` both apply.
        initial_epoch : int, default 0
            The number of the first epoch, as Keras's: callbacks, schedules and the
            History see epochs ``initial_epoch`` .. ``epochs`` - 1, so that a run can be
            continued by a second ``fit`` (the Trainer keeps the optimizer's state, and a
            schedule given again in ``LearningRateScheduler`` its step count; as in Keras,
            ``EarlyStopping`` and ``ReduceLROnPlateau`` count their patience anew). A
            run resumed with ``resume_from`` continues at its checkpoint's epoch and must
            be given the same ``initial_epoch``.
        validation_freq : int, default 1
            Validate after every ``validation_freq``-th epoch only (epochs k - 1, 2k - 1,
            ... counted from 0, as Keras): the other epochs' logs hold no ``val_`` values,
            and callbacks monitoring one (``EarlyStopping``, ``ReduceLROnPlateau``,
            ``ModelCheckpoint(save_best_only=True)``, a metric-driven schedule) skip those
            epochs, as Keras's do (without Keras's warning that the value is missing).
        steps_per_epoch : int, optional
            With X a DataLoader or another iterable of batches, the batches of an epoch, as
            Keras's: the iteration continues from where the previous epoch left it (a
            generator must give ``steps_per_epoch * epochs`` batches); where it runs out
            inside an epoch, the epoch ends there with Keras's warning ("ran out of data"),
            and a re-iterable object starts a new pass at the next epoch while a one-shot
            iterator ends the training. A retroprop DataLoader given ``steps_per_epoch`` is
            read as any other iterable (saved and resumed at the end of epochs only). None:
            one pass an epoch (required for arrays and Datasets, whose epoch is
            ceil(n / batch_size) batches; refused there).
        validation_steps : int, optional
            With ``validation_data`` a DataLoader or another iterable of batches, the
            batches of each validation, as Keras's (required for a one-shot iterator that
            validates more than once). None: one pass.
        """
        where = "fit"
        epochs = check_count(epochs, "fit: epochs", 0)
        batch_size = _batch_size(batch_size, where)
        if not 0 <= validation_split < 1:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
        if sampling not in SAMPLINGS:
            raise ValueError(f"fit: sampling must be one of {SAMPLINGS}, got {sampling!r}")
        if divergence_factor is not None and not divergence_factor > 1:
            raise ValueError(f"fit: divergence_factor must be > 1 or None, got "
                             f"{divergence_factor!r}")
        verbose = check_count(int(verbose) if isinstance(verbose, bool) else verbose,
                              "fit: verbose", 0, "(0 silent, 1 a progress bar, 2 per layer)")
        initial_epoch = check_count(initial_epoch, "fit: initial_epoch", 0)
        if initial_epoch > epochs:
            raise ValueError(f"fit: initial_epoch={initial_epoch} is past epochs={epochs}; as "
                             "in Keras, epochs is the index of the last epoch, not a count "
                             f"(to train {epochs} more epochs, pass "
                             f"epochs={initial_epoch + epochs})")
        validation_freq = check_count(validation_freq, "fit: validation_freq", 1)
        steps_per_epoch = _steps(steps_per_epoch, "fit: steps_per_epoch")
        validation_steps = _steps(validation_steps, "fit: validation_steps")
        self._check_projections()
        self._check_minimizing()
        self._check_trainable()
        if is_dataset(validation_data):
            validation_data = dataset_fields(validation_data, "fit (validation_data)")
        validations = sum((epoch + 1) % validation_freq == 0
                          for epoch in range(initial_epoch, epochs))
        source: Source
        if gives_batches(X):
            check_loader_arguments(where, X, {
                "y": (y, None), "sample_weight": (sample_weight, None),
                "batch_size": (batch_size, 32), "shuffle": (shuffle, True),
                "sampling": (sampling, "uniform"), "validation_split": (validation_split, 0.0)})
            source = self._loader_batches(X, class_weight, steps_per_epoch,
                                          epochs - initial_epoch)
            validate = self._validation(validation_data, validation_steps, validations)
            training_loss = self.loss  # weighted from the first batch when it needs be
        else:
            if steps_per_epoch is not None:
                raise ValueError(
                    f"fit: steps_per_epoch={steps_per_epoch} was given with X of "
                    f"type {_described(X)}; it sets the length of an epoch over an iterable of "
                    "batches (a DataLoader, a generator), as Keras's; expected "
                    "steps_per_epoch=None: an epoch over arrays or a Dataset is all its "
                    "examples, ceil(n / batch_size) batches")
            if is_dataset(X):
                X, y, sample_weight = dataset_inputs(X, y, sample_weight, where)
            source, validate, training_loss = self._array_batches(
                X, y, batch_size, shuffle, sampling, validation_data, validation_split,
                sample_weight, class_weight, validation_steps, validations)
        callbacks = check_callbacks(callbacks, where)
        if not source.resumes_mid_epoch:
            _check_epoch_checkpoints(callbacks, X, steps_per_epoch)
        if augment is not None and not callable(augment):
            raise TypeError(f"fit: augment must be callable, got {type(augment).__name__}")
        self._step = step_strategy(self)
        history = History()
        extra: list[Callback] = [ProgressBar(show_layers=verbose >= 2)] if verbose else []
        extra += reporting_callbacks()
        # History after the user's callbacks, so it records what they add to the logs.
        saved = [*callbacks, history]
        hooks = CallbackList([*saved, *extra], self,
                             {"epochs": epochs, "steps": source.steps,
                              "samples": source.samples,
                              "validation": validate is not None,
                              "validation_freq": validation_freq})
        # the loss of each example, for hard-example sampling: the same loss (its delta,
        # class weights, label smoothing), unreduced
        self._per_example = unreduced_copy(self.loss) if sampling == "hard_examples" else None
        self._errors: np.ndarray | None = None
        self._run = source.signature(self._validation_weights) | {
            "epochs": epochs, "validation": validate is not None}
        if initial_epoch:
            self._run["initial_epoch"] = initial_epoch
        if self.weighted_metrics:  # a checkpoint then holds the epoch's weights
            self._run["weighted_metrics"] = list(self.weighted_metrics)
        if validation_freq != 1:
            self._run["validation_freq"] = validation_freq
        self._source = source
        self.training_loss = training_loss
        self._callbacks = saved
        self._pending: list[Callable[[dict[str, Any]], None]] = []
        self.divergence_factor, self.first_loss = divergence_factor, None
        self.stop_training = False
        self.resuming = resume_from is not None
        logs: dict[str, Any] | None = None  # the last epoch's, for on_train_end (Keras)
        try:
            hooks.on_train_begin({})
            epoch, self._epoch = initial_epoch, None
            if resume_from is not None:
                epoch, self._epoch = restore(self, resume_from)
            self.resuming = False
            with interruptible(self) as interrupted:
                while epoch < epochs and not self.stop_training:
                    if self._epoch is None:
                        hooks.on_epoch_begin(epoch, {})
                        self._epoch = source.new_epoch(self)
                    logs = self._train_epoch(epoch, source, augment, hooks, interrupted)
                    if logs is None:
                        break
                    if validate is not None and (epoch + 1) % validation_freq == 0:
                        logs |= {f"val_{k}": v for k, v in validate(hooks=hooks).items()}
                    if self.optimizer.has_lr:
                        logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
                    epoch, self._epoch = epoch + 1, None
                    hooks.on_epoch_end(epoch - 1, logs)
                    self._write_checkpoints(epoch)
                    if self.stop_training:
                        break
            hooks.on_train_end(dict(logs or {}))
        finally:  # also when a callback, a divergence or Ctrl-C ends fit with an error
            self.model.eval()
            self.training_loss = self.loss
        return history

    def _array_batches(self, X: Any, y: Any, batch_size: int | None, shuffle: bool,
                       sampling: str, validation_data: Any, validation_split: float,
                       sample_weight: Any, class_weight: Mapping[int, float] | None,
                       validation_steps: int | None, validations: int
                       ) -> tuple[ArrayBatches, Validation | None, Module]:
        """``fit``'s arrays, checked and converted, cut by ``validation_split``: their
        batches, the validation (None without; ``validation_steps`` and ``validations`` as
        :meth:`_validation` takes them), and the loss to train on (weighted per example
        with ``sample_weight`` or ``class_weight``)."""
        where = "fit"
        if y is None:
            raise ValueError("fit: y is missing; expected the targets of X (or X a "
                             "DataLoader or a Dataset whose examples hold them)")
        X = self._inputs(X, where)
        y = self._targets(y, X, where)
        training_loss = self.loss if sample_weight is None and class_weight is None else \
            weighted(self.loss, y, where)
        sample_weights = None if sample_weight is None else \
            check_sample_weight(sample_weight, len(X), where)
        weights = sample_weights
        if class_weight is not None:
            outputs = self._num_outputs(X)
            weights = (1.0 if weights is None else weights) * per_class_weights(
                class_weight, class_labels(y, where), outputs if outputs and outputs > 1 else 2,
                where)
        validate = self._validation(validation_data, validation_steps, validations)
        w_val = self._validation_weights
        if validation_data is None and validation_split:
            cut = training_rows(len(X), validation_split)
            if cut in (0, len(X)):
                raise ValueError(f"fit: validation_split={validation_split} of {len(X)} "
                                 "examples leaves an empty training or validation set")
            X, X_val, y, y_val = X[:cut], X[cut:], y[:cut], y[cut:]
            if sample_weights is not None:  # class_weight is for training only, as in Keras
                w_val = sample_weights[cut:]
            if weights is not None:
                weights = weights[:cut]
            if w_val is not None:
                w_val = mean_one(w_val, "fit: the validation examples' sample_weight")
            self._validation_weights = w_val
            validate = partial(self._evaluate, X_val, y_val, weights=w_val)
        if weights is not None:
            given = " and ".join(name for name, value in (("sample_weight", sample_weight),
                                                            ("class_weight", class_weight))
                                 if value is not None)
            weights = mean_one(weights, f"fit: {given}" + (" (the training rows')"
                                                            if validation_split and
                                                            validation_data is None else ""))
        if sampling == "class_balanced" and y.ndim != 1:
            raise ValueError("fit: sampling='class_balanced' needs integer class labels")
        if batch_size is not None and batch_size < len(X):
            self._warn_full_batch(f"batch_size={batch_size} for {len(X)} examples: use "
                                  "batch_size=None")
        return ArrayBatches(X, y, weights, batch_size, shuffle, sampling), validate, \
            training_loss

    def _validation(self, validation_data: Any, steps: int | None = None,
                    validations: int = 1) -> Validation | None:
        """``fit``'s ``validation_data`` as a function of the hooks that validates (None
        without); its examples' weights, scaled to average 1, in ``_validation_weights``.
        A DataLoader or another iterable of batches is read anew at each of the
        ``validations`` (a one-shot iterator continues), its first ``steps`` batches where
        given (Keras's ``validation_steps``)."""
        self._validation_weights = None
        fed = gives_batches(validation_data)
        if steps is not None and not fed:
            raise ValueError(f"fit: validation_steps={steps} was given with validation_data "
                             f"of type {_described(validation_data)}; it limits the batches read "
                             "from an iterable of batches (a DataLoader, a generator), as "
                             "Keras's; expected validation_steps=None")
        if validation_data is None:
            return None
        if fed:
            check_not_empty(validation_data, "fit", "validation_data")
            if is_one_shot(validation_data) and steps is None and validations > 1:
                raise ValueError(
                    f"fit: validation_data is {described(validation_data)} (an iterator, "
                    f"used up by one pass) with validation_steps=None, and fit validates "
                    f"{validations} times; expected validation_steps=(batches per "
                    "validation), with an iterator that gives that many for each, or a "
                    "re-iterable object such as a DataLoader")
            return partial(evaluate_loader, self, validation_data, "fit",
                           argument="validation_data", steps=steps)
        check_validation_data(validation_data, "fit", weights=True)
        X_val = self._inputs(validation_data[0], "fit (validation_data)")
        y_val = self._targets(validation_data[1], X_val, "fit (validation_data)")
        if len(validation_data) == 3 and validation_data[2] is not None:
            self._validation_weights = mean_one(
                check_sample_weight(validation_data[2], len(X_val), "fit (validation_data)"),
                "fit: the validation examples' sample_weight")
        return partial(self._evaluate, X_val, y_val, weights=self._validation_weights)

    def _loader_batches(self, loader: Any, class_weight: Mapping[int, float] | None,
                        steps_per_epoch: int | None, epochs: int
                        ) -> LoaderBatches | IterableBatches:
        """``fit``'s DataLoader or other iterable of batches, for ``epochs`` epochs of
        ``steps_per_epoch`` batches (None: one pass each)."""
        check_not_empty(loader, "fit")
        if class_weight is not None and not isinstance(class_weight, Mapping):
            raise TypeError(f"fit: class_weight must be a dict {{label: weight}}, got "
                            f"{type(class_weight).__name__}")
        if is_one_shot(loader) and steps_per_epoch is None and epochs > 1:
            raise ValueError(
                f"fit: X is {described(loader)} (an iterator, used up by one pass) with "
                f"steps_per_epoch=None and {epochs} epochs to train; expected "
                "steps_per_epoch=(batches per epoch), with an iterator that gives "
                "steps_per_epoch * epochs batches (Keras's rule), or a re-iterable object "
                "such as a DataLoader, read anew every epoch")
        source = LoaderBatches(self, loader, class_weight, "fit") \
            if is_loader(loader) and steps_per_epoch is None else \
            IterableBatches(self, loader, steps_per_epoch, class_weight, "fit")
        if source.steps is not None and source.steps > 1:
            self._warn_full_batch(f"a {type(loader).__name__} of {source.steps} batches an "
                                  "epoch: " + ("build it with batch_size=None" if
                                               hasattr(loader, "batch_size") else
                                               "make it give the full batch"))
        return source

    def _warn_full_batch(self, got: str) -> None:
        """Warn, from the line that called ``fit``, that an optimizer that needs full
        batches is given mini-batches (``got``)."""
        if self.optimizer.full_batch:
            warnings.warn(f"{type(self.optimizer).__name__} needs full-batch gradients (Berzal, "
                          f"'Backpropagation': on mini-batches its steps follow noise); got "
                          f"{got}", RuntimeWarning, stacklevel=user_stacklevel())

    def request_checkpoint(self, write: Callable[[dict[str, Any]], None]) -> None:
        """Ask for a training checkpoint when the current batch or epoch has finished (its
        callbacks included): ``write(state)`` then receives :func:`training_state`. Inside
        an epoch of an iterable whose order cannot be drawn again (a PyTorch DataLoader, a
        generator: :class:`~retroprop.train.batch_sources.IterableBatches`), the request is
        dropped, so that the checkpoint of the last epoch's end, which resumes, stays."""
        self._pending.append(write)

    def _write_checkpoints(self, epoch: int) -> None:
        if not self._pending:  # most batches: nothing asked
            return
        pending, self._pending = self._pending, []
        if self._epoch is not None and self._epoch.batch and \
                not self._source.resumes_mid_epoch:
            return
        state = training_state(self, epoch, self._epoch)
        for write in pending:
            write(state)

    def _train_epoch(self, epoch: int, source: Source,
                     augment: Callable[[np.ndarray], np.ndarray] | None,
                     hooks: CallbackList, interrupted: Callable[[], bool]
                     ) -> dict[str, float] | None:
        """The rest of the epoch in ``self._epoch`` (all of it, unless resumed), its batches
        from ``source`` (:mod:`retroprop.train.batch_sources`); the epoch's logs (None when
        no batch ran). The epoch's loss is what ``evaluate`` reports for a
        whole set: the mean over its examples, or for a loss with ``reduction="sum"`` (the
        lectures' E = ½ Σ (t - y)², ``QuadraticLoss``) the sum of its batches' sums, each
        batch with its penalty."""
        _training_mode(self.model)
        state = self._epoch
        summed = getattr(self.loss, "reduction", "mean") == "sum"
        kept = bool(self.metrics or self.weighted_metrics)  # outputs kept for the metrics
        weighed = bool(self.weighted_metrics)  # and the weights
        if state is None:
            raise RuntimeError("Trainer: no epoch in progress")
        while not self.stop_training:
            batch, drawn = state.batch, source.batch(state)
            if drawn is None:
                break
            xb, yb, wb, index = drawn
            hooks.on_train_batch_begin(batch, {"size": len(yb)})
            if augment is not None:
                xb = augment(xb)
            value, outputs = self._step(xb, yb if wb is None else pack(yb, wb))
            hooks.on_train_batch_end(batch, {"loss": value, "size": len(yb)})
            if self.first_loss is None and math.isfinite(value):
                self.first_loss = value
            exploded = self.divergence_factor is not None and math.isfinite(value) and \
                value > self.divergence_factor * max(self.first_loss or 0.0, 1.0)
            if not math.isfinite(value) or exploded:
                if self.stop_training and not exploded:
                    break
                error = divergence_error(
                    self.model, epoch, batch, value, xb,
                    (self.first_loss or 0.0, self.divergence_factor or 0.0) if exploded
                    else None)
                self.model.load_state_dict(state.last_good)
                self.optimizer.clear_state()
                raise error
            state.add(value, outputs if kept else None, yb, 1 if summed else len(yb),
                      wb if weighed else None)
            if self._per_example is not None and isinstance(source, ArrayBatches) and \
                    index is not None:
                if self._errors is None:
                    self._errors = np.zeros(source.samples)
                with no_grad():
                    self._errors[index] = self._per_example(Tensor._wrap(outputs), yb).data \
                        .reshape(len(index), -1).mean(axis=1)
            self._write_checkpoints(epoch)
            if interrupted():
                stop_for_interrupt(self, epoch, batch)
        if state.seen == 0:
            return None
        loss = state.total if summed else state.total / state.seen
        if not kept:
            return {"loss": loss}
        return {"loss": loss} | self._metric_values(
            np.concatenate(state.targets), np.concatenate(state.outputs),
            np.concatenate(state.weights) if state.weights else None)

    # ------------------------------------------------------------------ inference
    def _metric_values(self, targets: np.ndarray, outputs: np.ndarray,
                       weights: np.ndarray | None = None) -> dict[str, float]:
        """The metrics, and the weighted metrics with the examples' ``weights`` (None:
        unweighted), on the examples that the loss counts: labels equal to its
        ``ignore_index`` (``CrossEntropyLoss``, ``NLLLoss``) are left out, as from the loss
        (NaN when every label is)."""
        ignored = getattr(self.loss, "ignore_index", None)
        if ignored is not None and targets.ndim == 1 and (self.metrics or
                                                          self.weighted_metrics):
            kept = targets != ignored
            if not kept.all():
                if not kept.any():
                    return dict.fromkeys([*self.metrics, *self.weighted_metrics], math.nan)
                targets, outputs = targets[kept], outputs[kept]
                weights = None if weights is None else weights[kept]
        values = {name: _number(fn(targets, outputs), name) for name, fn in self.metrics.items()}
        for name, fn in self.weighted_metrics.items():
            values[name] = _number(fn(targets, outputs, sample_weight=weights), name)
        return values

    def _outputs(self, X: np.ndarray, batch_size: int | None,
                 hooks: CallbackList | None = None, y: np.ndarray | None = None,
                 loss: Module | None = None) -> np.ndarray:
        """The model's outputs for X, ``batch_size`` rows (default ``PREDICT_BATCH``) at a
        time, in inference mode; with ``hooks``, each batch between their
        ``on_test_batch_begin`` and ``on_test_batch_end`` (given ``y``, for its ``loss``,
        by default ``self.loss``), or else their ``on_predict_batch_*``."""
        size = PREDICT_BATCH if batch_size is None else batch_size
        starts = range(0, len(X), size)
        with evaluating(self.model), no_grad():
            if hooks is None:
                return np.concatenate([self.model(Tensor._wrap(X[i:i + size])).data
                                       for i in starts])
            mode = "predict" if y is None else "test"
            begin = getattr(hooks, f"on_{mode}_batch_begin")
            end = getattr(hooks, f"on_{mode}_batch_end")
            outputs = []
            for batch, i in enumerate(starts):
                xb = X[i:i + size]
                begin(batch, {"size": len(xb)})
                if y is None:
                    outputs.append(self.model(Tensor._wrap(xb)).data)
                    logs: dict[str, Any] = {"outputs": outputs[-1]}
                else:
                    value, out = self.compute_loss(xb, y[i:i + size],
                                                   self.loss if loss is None else loss)
                    outputs.append(out)
                    logs = {"loss": math.nan if value is None else value.item()}
                end(batch, logs | {"size": len(xb)})
            return np.concatenate(outputs)

    def _evaluate(self, X: np.ndarray, y: np.ndarray, batch_size: int | None = None,
                  hooks: CallbackList | None = None, weights: np.ndarray | None = None
                  ) -> dict[str, float]:
        """Loss and metrics on the whole set, the loss weighted per example by ``weights``
        (scaled to average 1) when given; with ``hooks``, between their ``on_test_begin``
        and ``on_test_end`` (which gets these logs), and its batches between
        ``on_test_batch_*`` when a callback defines those (else no batch pays for them)."""
        if hooks is not None:
            hooks.on_test_begin({})
        batched = hooks is not None and hooks.defines("on_test_batch_begin",
                                                      "on_test_batch_end")
        criterion, target = self._criterion(y, weights, "evaluate")
        outputs = self._outputs(X, batch_size, hooks if batched else None, target, criterion)
        return self._scores(outputs, y, weights, hooks)

    def _criterion(self, y: np.ndarray, weights: np.ndarray | None, where: str
                   ) -> tuple[Module, np.ndarray]:
        """The loss and the targets it takes: ``self.loss`` and ``y``, or with ``weights``
        the loss weighted per example and ``y`` with the weights appended."""
        if weights is None:
            return self.loss, y
        return weighted(self.loss, y, where), pack(y, weights)

    def _scores(self, outputs: np.ndarray, y: np.ndarray, weights: np.ndarray | None,
                hooks: CallbackList | None) -> dict[str, float]:
        """Loss (with the penalties) and metrics of a whole set's ``outputs``; with
        ``hooks``, their ``on_test_end`` gets them."""
        check_finite(outputs, "the model output", "evaluate")
        criterion, target = self._criterion(y, weights, "evaluate")
        with no_grad():
            loss = self._regularized(criterion(Tensor._wrap(outputs), target)).item()
        logs = {"loss": loss, **self._metric_values(y, outputs, weights)}
        if hooks is not None:
            hooks.on_test_end(dict(logs))
        return logs

    def _callback_list(self, callbacks: list[Callback], samples: int,
                       batch_size: int | None) -> CallbackList | None:
        """The callbacks of ``evaluate`` or ``predict`` (None without any), with Keras's
        params for one pass: ``epochs`` 1 and its ``steps``, and the ``samples``."""
        if not callbacks:
            return None
        steps = math.ceil(samples / (PREDICT_BATCH if batch_size is None else batch_size))
        return CallbackList(callbacks, self, {"epochs": 1, "steps": steps, "samples": samples})

    @overload
    def evaluate(self, X: Any, y: Any = ..., batch_size: int | None = ...,
                 callbacks: Sequence[Callback] | None = ..., sample_weight: Any = ...,
                 steps: int | None = ..., *,
                 verbose: int = ..., return_dict: Literal[True] = ...) -> dict[str, float]: ...

    @overload
    def evaluate(self, X: Any, y: Any = ..., batch_size: int | None = ...,
                 callbacks: Sequence[Callback] | None = ..., sample_weight: Any = ...,
                 steps: int | None = ..., *,
                 verbose: int = ..., return_dict: Literal[False]) -> list[float] | float: ...

    def evaluate(self, X: Any, y: Any = None, batch_size: int | None = None,
                 callbacks: Sequence[Callback] | None = None,
                 sample_weight: Any = None, steps: int | None = None, *,
                 verbose: int = 0,
                 return_dict: bool = True) -> dict[str, float] | list[float] | float:
        """Loss and metrics on (X, y), in inference mode, as ``keras.Model.evaluate``.

        Parameters
        ----------
        X : array of shape (n, ...), DataLoader, Dataset, or iterable of batches
            A :class:`~retroprop.data.DataLoader` gives the batches, ``(x, y)`` or
            ``(x, y, sample_weight)`` (``y``, ``batch_size`` and ``sample_weight`` then
            left out): the outputs of all its batches are gathered and the loss computed
            on the whole set as for arrays, its weights scaled to average 1 over it; the
            batch hooks get each batch's loss with its weights as given. Any other
            iterable of such batches likewise (a PyTorch DataLoader, a generator: see
            ``fit``). A Dataset is gathered into arrays once (see ``fit``).
        y : array, shape (n,) integer labels, or (n, k) targets
            None (left out) when X is a DataLoader or a Dataset.
        batch_size : int, optional
            Rows per forward pass (default ``PREDICT_BATCH``); the result does not depend
            on it.
        callbacks : list of Callback, optional
            Their ``on_test_begin``, ``on_test_batch_begin``, ``on_test_batch_end`` and
            ``on_test_end`` hooks are called as Keras calls them
            (:class:`~retroprop.callbacks.Callback`); ``on_test_end`` receives the result.
        sample_weight : array, shape (n,), optional
            Each example's weight in the loss (finite, >= 0), scaled to average 1: the loss
            is Σ w_i ℓ_i / Σ w_i (n times that for ``reduction="sum"``), the mean over a
            set where an integer weight k counts as k copies (Keras divides Σ w_i ℓ_i by n
            instead: the same times the weights' mean). See ``fit``'s ``sample_weight``.
            The metrics are not weighted; the Trainer's ``weighted_metrics`` are (Keras
            weights only its ``weighted_metrics``).
        steps : int, optional
            With X a DataLoader or another iterable of batches: its first ``steps`` batches
            only (a generator: its next ``steps``), as Keras's ``evaluate(steps=)``, with
            Keras's warning where it runs out first; None reads one whole pass (a
            generator to its end: one that loops for ever needs ``steps``).
        verbose : int, default 0
            1: print the result in one line, ``loss=0.4123  accuracy=0.8812  (0.1 s)``
            (Keras prints a progress bar by default; here 0 is silent by default).
        return_dict : bool, default True
            False: the values in a list, ``[loss, metric, ...]`` in the dict's order, or
            the loss alone without metrics, as Keras's ``evaluate`` returns them by default.

        Returns
        -------
        dict, list or float
            ``{"loss": ..., "accuracy": ...}``: the loss over the whole set (the mean over
            its examples, or the sum for ``reduction="sum"``) with the modules' penalties,
            and the metrics (their values only with ``return_dict=False``).
        """
        verbose = check_count(int(verbose) if isinstance(verbose, bool) else verbose,
                              "evaluate: verbose", 0, "(0 silent, 1 the result's line)")
        start = time.perf_counter()
        result = self._evaluate_input(X, y, batch_size, check_callbacks(callbacks, "evaluate"),
                                      sample_weight, _steps(steps, "evaluate: steps"))
        if verbose:
            print(results_line(result, time.perf_counter() - start))
        if return_dict:
            return result
        return result["loss"] if len(result) == 1 else list(result.values())

    def _evaluate_input(self, X: Any, y: Any, batch_size: int | None,
                        callbacks: list[Callback], sample_weight: Any,
                        steps: int | None) -> dict[str, float]:
        """``evaluate``'s result for any input it takes."""
        if gives_batches(X):
            check_loader_arguments("evaluate", X, {"y": (y, None),
                                                   "batch_size": (batch_size, None),
                                                   "sample_weight": (sample_weight, None)})
            return evaluate_loader(self, X, "evaluate",
                                   loader_callbacks(self, callbacks, X, steps), steps=steps)
        _no_steps(steps, X, "evaluate")
        batch_size = _batch_size(batch_size, "evaluate")
        if is_dataset(X):
            X, y, sample_weight = dataset_inputs(X, y, sample_weight, "evaluate")
        if y is None:
            raise ValueError("evaluate: y is missing; expected the targets of X (or X a "
                             "DataLoader or a Dataset whose examples hold them)")
        X = self._inputs(X, "evaluate")
        y = self._targets(y, X, "evaluate")
        weights = None if sample_weight is None else mean_one(
            check_sample_weight(sample_weight, len(X), "evaluate"), "evaluate: sample_weight")
        return self._evaluate(X, y, batch_size, self._callback_list(callbacks, len(X), batch_size),
                              weights)

    def predict(self, X: Any, batch_size: int | None = None,
                callbacks: Sequence[Callback] | None = None,
                steps: int | None = None, *, verbose: int = 0) -> np.ndarray:
        """The model's outputs for X (logits for ``CrossEntropyLoss``), in inference mode, as
        ``keras.Model.predict``.

        Parameters
        ----------
        X : array of shape (n, ...), DataLoader, Dataset, or iterable of batches
            A :class:`~retroprop.data.DataLoader`'s batches may be ``x`` alone or tuples
            whose first element is ``x`` (``batch_size`` then left out), and so may those
            of any other iterable (a PyTorch DataLoader, a generator); a Dataset's
            examples likewise, gathered into arrays once.
        batch_size : int, optional
            Rows per forward pass (default ``PREDICT_BATCH``).
        callbacks : list of Callback, optional
            Their ``on_predict_begin``, ``on_predict_batch_begin``, ``on_predict_batch_end``
            (with the batch's ``"outputs"``) and ``on_predict_end`` hooks are called as
            Keras calls them (:class:`~retroprop.callbacks.Callback`).
        steps : int, optional
            As in :meth:`evaluate`: the first ``steps`` batches of a DataLoader or another
            iterable of batches.
        verbose : int, default 0
            1: print the number of examples and the time taken, ``predict: 1000 examples
            (0.1 s)`` (Keras prints a progress bar by default; here 0 is silent by default).

        Returns
        -------
        array, shape (n, ...)
        """
        verbose = check_count(int(verbose) if isinstance(verbose, bool) else verbose,
                              "predict: verbose", 0, "(0 silent, 1 a line when done)")
        start = time.perf_counter()
        outputs = self._predict_input(X, batch_size, check_callbacks(callbacks, "predict"),
                                      _steps(steps, "predict: steps"))
        if verbose:
            print(f"predict: {len(outputs)} examples  ({time.perf_counter() - start:.1f} s)")
        return outputs

    def _predict_input(self, X: Any, batch_size: int | None, callbacks: list[Callback],
                       steps: int | None) -> np.ndarray:
        """``predict``'s outputs for any input it takes."""
        if gives_batches(X):
            check_loader_arguments("predict", X, {"batch_size": (batch_size, None)})
            return predict_loader(self, X, "predict",
                                  loader_callbacks(self, callbacks, X, steps), steps)
        _no_steps(steps, X, "predict")
        batch_size = _batch_size(batch_size, "predict")
        if is_dataset(X):
            X = dataset_fields(X, "predict", inputs_only=True)[0]
        X = self._inputs(X, "predict")
        hooks = self._callback_list(callbacks, len(X), batch_size)
        if hooks is None:
            return self._outputs(X, batch_size)
        hooks.on_predict_begin({})
        outputs = self._outputs(X, batch_size, hooks)
        hooks.on_predict_end({})
        return outputs

    def predict_proba(self, X: Any, batch_size: int | None = None,
                      callbacks: Sequence[Callback] | None = None,
                      steps: int | None = None) -> np.ndarray:
        """Class probabilities, as the loss defines them: softmax of the logits
        (``CrossEntropyLoss``), their sigmoid (``BCEWithLogitsLoss``), or the outputs
        themselves (``BCELoss``). ``callbacks`` and ``steps`` as in :meth:`predict` (whose
        outputs the callbacks see)."""
        return self.contract.probabilities(self.predict(X, batch_size, callbacks, steps))

    def predict_classes(self, X: Any, batch_size: int | None = None,
                        callbacks: Sequence[Callback] | None = None,
                        steps: int | None = None) -> np.ndarray:
        """The most probable class of each example (the loss's decision rule).
        ``callbacks`` and ``steps`` as in :meth:`predict` (whose outputs the callbacks
        see)."""
        return self.contract.decide(self.predict(X, batch_size, callbacks, steps))


def _training_mode(model: Module) -> None:
    """Training mode for every module but a batch normalization whose γ and β are frozen
    (``requires_grad = False``): it normalizes with its population statistics and leaves
    them as they are, as Keras runs a ``BatchNormalization`` with ``trainable=False``
    (a PyTorch loop does it by hand: ``bn.eval()`` after ``model.train()``)."""
    model.train()
    for module in model.modules():
        if isinstance(module, _BatchNorm) and module.weight is not None and not any(
                param.requires_grad for param in module.parameters()):
            module.eval()


def _metrics(metrics: Any, contract: Loss, argument: str = "metrics") -> dict[str, Metric]:
    """The metrics by name, their accuracy the loss's (``Loss.threshold``, ``Loss.binary``);
    a single name or function, and two metrics of one name (two lambdas, "acc" and
    "accuracy"), are refused: one would replace the other in the logs. ``argument``: the
    Trainer's argument that gave them, for the errors."""
    if isinstance(metrics, str) or callable(metrics):
        raise TypeError(f"Trainer: {argument} must be a list, got {metrics!r}: write "
                        f"{argument}=[{metrics!r}]")
    try:
        named = [get_metric(m, contract.threshold, contract.binary) for m in metrics]
    except ValueError as error:
        raise ValueError(f"Trainer: {argument}: {error}") from None
    names = [name for name, _ in named]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"Trainer: {argument} share the name {', '.join(map(repr, repeated))}"
                         f" in {argument}={list(metrics)!r}: give each function its own "
                         "__name__ (a def instead of a lambda), and each metric once")
    return dict(named)


def _weighted_metrics(weighted_metrics: Any, contract: Loss, metrics: dict[str, Metric]
                      ) -> dict[str, WeightedMetric]:
    """The weighted metrics by the name they are logged under: their own, or
    ``"weighted_" + name`` for a name that ``metrics`` also holds, as Keras 3 names them. A
    callable must take ``sample_weight`` (a keyword parameter, or ``**kwargs``)."""
    named = _metrics(weighted_metrics, contract, "weighted_metrics")
    for name, fn in named.items():
        if not _takes_sample_weight(fn):
            raise TypeError(f"Trainer: weighted_metrics: the metric {name!r} cannot be "
                            "weighted: it takes no sample_weight parameter; expected a "
                            "function f(y_true, outputs, sample_weight=None), as "
                            "scikit-learn's metrics, or the metric in metrics= (unweighted)")
    logged: dict[str, WeightedMetric] = {f"weighted_{name}" if name in metrics else name: fn
                                         for name, fn in named.items()}
    clashes = sorted(logged.keys() & metrics.keys())
    if clashes:
        raise ValueError(f"Trainer: weighted_metrics: the weighted metric would be logged as "
                         f"{', '.join(map(repr, clashes))}, a name metrics= already has; give "
                         "the function another __name__")
    return logged


def _takes_sample_weight(fn: Metric) -> bool:
    """Whether ``fn`` can be called with ``sample_weight=``."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return any((p.name == "sample_weight" and p.kind is not p.POSITIONAL_ONLY)
               or p.kind is p.VAR_KEYWORD for p in parameters)


def _number(value: Any, name: str) -> float:
    """A metric's value as a Python float (NumPy's float32, from a mean of float32 outputs,
    was left out of the progress line); anything but one real number is refused by name."""
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "biuf":
        raise TypeError(f"Trainer: metric {name!r} returned {value!r} ({type(value).__name__}"
                        f"{f' of shape {array.shape}' if array.ndim else ''}); a metric "
                        "returns one number")
    return float(array)


def check_validation_data(value: Any, where: str, weights: bool = False) -> None:
    """``validation_data`` must be a pair ``(X_val, y_val)``, or where ``weights`` are
    accepted also Keras's triple ``(X_val, y_val, sample_weight_val)``."""
    if not isinstance(value, tuple | list) or len(value) not in ((2, 3) if weights else (2,)):
        triple = "; or a triple (X_val, y_val, sample_weight_val), as Keras takes" \
            if weights else ""
        raise ValueError(f"{where}: validation_data must be a pair (X_val, y_val), got "
                         f"{_described(value)}{triple}")


def _described(value: Any) -> str:
    """A type, with its length when it has one."""
    length = f" of length {len(value)}" if isinstance(value, tuple | list) else ""
    return f"{type(value).__name__}{length}"




def _steps(value: Any, name: str) -> int | None:
    """A number of steps (Keras's ``steps_per_epoch``, ``validation_steps``, ``steps``): a
    positive integer, or None (a whole pass)."""
    return None if value is None else check_count(value, name, 1, "or None")


def _check_epoch_checkpoints(callbacks: list[Callback], X: Any,
                             steps_per_epoch: int | None) -> None:
    """Refuse resumable checkpoints inside epochs (``ModelCheckpoint(every_batches=)``,
    ``every_seconds=``) for a run fed by ``X``, an iterable whose order retroprop cannot
    draw again, or a retroprop DataLoader read with ``steps_per_epoch``, whose epochs
    continue its passes: no such checkpoint could be resumed."""
    if is_loader(X):
        why = (f"{described(X)} read with steps_per_epoch={steps_per_epoch}, whose epochs "
               "continue one another's passes")
        instead = "steps_per_epoch=None (an epoch a pass, resumed inside epochs too)"
    else:
        why = f"{described(X)}, an iterable whose order retroprop cannot draw again"
        instead = "arrays, a Dataset or a retroprop DataLoader as X"
    for callback in callbacks:
        if isinstance(callback, ModelCheckpoint) and callback.resumable:
            for name in ("every_batches", "every_seconds"):
                value = getattr(callback, name)
                if value is not None:
                    raise ValueError(
                        f"fit: ModelCheckpoint({name}={value}) writes checkpoints inside "
                        f"epochs, and X is {why}, so a run fed by it resumes only from the "
                        f"end of an epoch; expected {name}=None (a checkpoint at each "
                        f"epoch's end), or {instead}")


def _no_steps(steps: int | None, X: Any, where: str) -> None:
    """Refuse ``steps`` given with arrays or a Dataset, which are read whole."""
    if steps is not None:
        raise ValueError(f"{where}: steps={steps} was given with X of type {_described(X)}; "
                         "it limits the batches read from an iterable of batches (a DataLoader, "
                         "a generator), as Keras's; expected steps=None (arrays and data sets "
                         "are read whole)")


def _batch_size(value: Any, where: str) -> int | None:
    """A batch size: a positive integer, or None (the full batch in ``fit``, ``PREDICT_BATCH``
    rows at a time in inference)."""
    return None if value is None else check_count(value, f"{where}: batch_size", 1, "or None")


def training_rows(n: int, validation_split: float) -> int:
    """How many of ``n`` examples ``fit`` trains on with ``validation_split``: the leading
    ones; the validation set is the rest, taken from the end before shuffling."""
    return n - int(n * validation_split)

