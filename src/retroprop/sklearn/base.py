"""What the two estimators share: parameters, the network, the solver, the training loop
(with scikit-learn's stopping rule and learning-rate schedules, from ``stopping.py``), and
the fitted attributes (scikit-learn's ``neural_network/_multilayer_perceptron.py``, on
retroprop's Trainer)."""

from __future__ import annotations

import inspect
import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from retroprop.callbacks.base import Callback
from retroprop.nn.init import INITIALIZERS
from retroprop.nn.linear import Linear
from retroprop.nn.module import Module
from retroprop.nn.normalization import BatchNorm1d
from retroprop.nn.regularized import regularize
from retroprop.optim.adam import Adam
from retroprop.optim.optimizer import Optimizer
from retroprop.optim.registry import OPTIMIZERS, SAMPLERS, create
from retroprop.parallel.seeding import using_generator
from retroprop.serialization import architecture, build
from retroprop.sklearn.network import ACTIVATION_NAMES, build_network
from retroprop.sklearn.stopping import EvaluationBudget, StoppingRule, invscaling_lr, set_lr
from retroprop.stacklevel import user_stacklevel
from retroprop.train.trainer import Trainer
from retroprop.train.weighted_loss import (
    WeightedLoss,
    class_shares,
    mean_one,
    pack,
    per_example_loss,
)

#: The optimizer's parameter-group entries that each solver setting gives (``_solver``).
_GROUP_KEYS = {"learning_rate_init": ("lr",), "learning_rate": ("lr",),
               "momentum": ("momentum", "nesterov"), "nesterovs_momentum": ("nesterov",),
               "beta_1": ("betas",), "beta_2": ("betas",), "epsilon": ("eps",)}


class BaseMLP(BaseEstimator):
    """Base of :class:`MLPClassifier` and :class:`MLPRegressor` (see their docstrings)."""

    #: The solver settings the optimizer was built with (set when fitted).
    _solver_built_with: dict[str, Any]

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATION_NAMES) | {"sigmoid", "leaky_relu", "elu",
                                                            "lecun_tanh", "tanh_linear"})],
        "solver": [StrOptions(set(OPTIMIZERS) - SAMPLERS)],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "init": [None, StrOptions(set(INITIALIZERS)), callable],
        "max_norm": [None, Interval(Real, 0, None, closed="neither")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "loss": [None, str, callable],
    }

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 dropout: float = 0.0, batch_norm: bool = False, init: Any = None,
                 max_norm: float | None = None, l1: float = 0.0, loss: Any = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.init = init
        self.max_norm = max_norm
        self.l1 = l1
        self.loss = loss

    # ------------------------------------------------------------------ subclass hooks
    @property
    def _default_loss(self) -> str:
        """The loss used when ``loss`` is None."""
        return "squared_error"

    def _targets(self, y: Any, first: bool) -> np.ndarray:
        """Check y and encode it as the network's targets, shape (n, k) or (n,)."""
        raise NotImplementedError

    def _n_outputs(self, targets: np.ndarray) -> int:
        raise NotImplementedError

    def _score_targets(self, X: np.ndarray, targets: np.ndarray,
                       weights: np.ndarray | None = None) -> float:
        """The validation score for ``early_stopping`` (accuracy or R²)."""
        raise NotImplementedError

    def _class_weights(self, targets: np.ndarray) -> np.ndarray:
        return np.ones(len(targets))

    # ------------------------------------------------------------------ fitted parts
    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape (fan_in, fan_out) as in scikit-learn."""
        check_is_fitted(self, "model_")
        return [m.weight.data.T.copy() for m in self.model_.modules() if isinstance(m, Linear)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of shape (fan_out,)."""
        check_is_fitted(self, "model_")
        return [m.bias.data.copy() for m in self.model_.modules()
                if isinstance(m, Linear) and m.bias is not None]

    @property
    def n_layers_(self) -> int:
        """Layers as scikit-learn counts them: the input, each hidden layer and the output
        (``len(coefs_) + 1``)."""
        check_is_fitted(self, "model_")
        return sum(isinstance(m, Linear) for m in self.model_.modules()) + 1

    @property
    def n_outputs_(self) -> int:
        """Output units of the network (``coefs_[-1].shape[1]``)."""
        check_is_fitted(self, "model_")
        return int(self.model_[-1].out_features)

    @property
    def out_activation_(self) -> str:
        """The output activation by scikit-learn's name: "identity" (a linear output)."""
        check_is_fitted(self, "model_")
        return "identity"

    @property
    def _schedule(self) -> str:
        """The learning-rate schedule in force: ``learning_rate`` for "sgd", "constant" for
        the other solvers (scikit-learn uses it for "sgd" only)."""
        return self.learning_rate if self.solver == "sgd" else "constant"

    def _solver(self, model: Module) -> Optimizer:
        """The optimizer named by ``solver``; scikit-learn's names keep their meaning. Methods
        that evaluate the loss several times per step, or have no learning rate, keep their
        own step sizes (scikit-learn's "lbfgs" ignores ``learning_rate_init`` too); the Adam
        family ("adam", "adamw") gets ``betas=(beta_1, beta_2)`` and ``eps=epsilon``."""
        params = model.parameters()
        if self.solver == "sgd":
            return create("sgd", params, lr=self.learning_rate_init, momentum=self.momentum,
                          nesterov=self.nesterovs_momentum and self.momentum > 0)
        kind = OPTIMIZERS[self.solver]
        if kind.step_kind != "gradient" or not kind.has_lr:
            return create(self.solver, params)
        if issubclass(kind, Adam):
            return create(self.solver, params, lr=self.learning_rate_init,
                          betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        return create(self.solver, params, lr=self.learning_rate_init)

    def _solver_settings(self) -> dict[str, Any]:
        """The parameters that the optimizer is built with (``_solver``)."""
        return {"solver": self.solver, "learning_rate_init": self.learning_rate_init,
                "learning_rate": self.learning_rate, "momentum": self.momentum,
                "nesterovs_momentum": self.nesterovs_momentum, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon}

    def _update_solver(self) -> None:
        """A continued fit (``warm_start`` or ``partial_fit``) keeps the optimizer and its
        state; solver settings changed since it was built take effect: another ``solver``
        gets a new optimizer (as every warm fit of scikit-learn's MLP builds one), a new
        ``learning_rate_init``, ``learning_rate`` (which restarts the schedule from
        ``learning_rate_init``), ``momentum``, ``nesterovs_momentum``, ``beta_1``,
        ``beta_2`` or ``epsilon`` is written into the optimizer's parameter groups (as a
        PyTorch user sets ``group["lr"]``)."""
        now = self._solver_settings()
        changed = {name for name, built in self._solver_built_with.items()
                   if now[name] != built}
        if not changed:
            return
        fresh = self._solver(self.model_)
        if "solver" in changed:
            self.optimizer_ = fresh
        else:
            keys = {key for name in changed for key in _GROUP_KEYS[name]}
            for group, new in zip(self.optimizer_.param_groups, fresh.param_groups,
                                  strict=True):
                group.update({key: new[key] for key in keys if key in new})
        self._solver_built_with = now

    def _hidden_sizes(self) -> list[int]:
        sizes = [self.hidden_layer_sizes] if isinstance(self.hidden_layer_sizes, Integral) \
            else list(self.hidden_layer_sizes)
        if any(not isinstance(s, Integral) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes}.")
        return [int(s) for s in sizes]

    def _architecture(self) -> dict[str, Any]:
        """The parameters that the network and its loss are built with (``_initialize``),
        which a continued fit cannot change."""
        return {"hidden_layer_sizes": self._hidden_sizes(), "activation": self.activation,
                "dropout": self.dropout, "batch_norm": self.batch_norm, "loss": self.loss}

    def _check_architecture(self) -> None:
        """A continued fit (``warm_start`` or ``partial_fit``) trains the network already
        built: refuse parameters changed since then, which it would silently ignore."""
        now = self._architecture()
        for name, built in self._built_with.items():
            if now[name] != built:
                raise ValueError(
                    f"{type(self).__name__}: {name} is {getattr(self, name)!r} but the fitted "
                    f"network was built with {name}={built!r}; warm_start and partial_fit "
                    f"continue that network: set {name} back, or fit with warm_start=False "
                    f"to build a new one")

    def _initialize(self, n_features: int, n_outputs: int, dtype: np.dtype) -> None:
        self._built_with = self._architecture()
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self._rng = np.random.default_rng(seed)
        with using_generator(self._rng):
            self.model_ = build_network(n_features, self._hidden_sizes(), n_outputs,
                                        self.activation, self.dropout, self.batch_norm,
                                        self.init, self.l1, 0.0, self.max_norm, dtype)
        self.optimizer_ = self._solver(self.model_)
        self._solver_built_with = self._solver_settings()
        loss = self.loss if self.loss is not None else self._default_loss
        self._criterion = WeightedLoss(per_example_loss(loss), shares=class_shares(loss))
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        self._best_state: dict[str, np.ndarray] | None = None
        self.best_loss_: float | None = np.inf
        self.validation_scores_: list[float] | None = None
        self.best_validation_score_: float | None = None

    # ------------------------------------------------------------------ training
    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool) -> BaseMLP:
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True (it trains one "
                             "epoch on the examples given, with no validation set to hold "
                             "out), as scikit-learn's MLP: set early_stopping=False")
        first = not hasattr(self, "model_") or not (incremental or self.warm_start)
        if not first:
            self._check_architecture()
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=first)
        if hasattr(X, "toarray"):
            X = X.toarray()
        targets = self._targets(y, first)
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        weights = weights * self._class_weights(targets)
        total_weight = weights.sum()
        weights = mean_one(weights, "sample_weight and class_weight")
        if first:
            self._initialize(X.shape[1], self._n_outputs(targets), X.dtype)
        else:
            self._update_solver()  # after the checks: a refused fit leaves the optimizer
            if X.dtype != self.model_.dtype:
                X = X.astype(self.model_.dtype)
        regularize(self.model_, l1=self.l1, l2=self.alpha / total_weight, max_norm=self.max_norm)
        with using_generator(self._rng):
            self._train(X, targets, weights, incremental)
        return self

    def _train(self, X: np.ndarray, targets: np.ndarray, weights: np.ndarray,
               incremental: bool) -> None:
        validation = None
        # scikit-learn's "lbfgs" ignores early_stopping: it trains on all of X and y
        early = self.early_stopping and not incremental and self.solver != "lbfgs"
        if early:
            stratify = targets if targets.ndim == 1 else None
            split = train_test_split(X, targets, weights, test_size=self.validation_fraction,
                                     stratify=stratify,
                                     random_state=int(self._rng.integers(2**31)))
            X, X_val, targets, t_val, weights, w_val = split
            if len(X_val) < 2:  # R² of one example is NaN: the scores would never improve
                raise ValueError(
                    f"early_stopping: the validation set is too small ({len(X_val)} example "
                    f"of {len(X) + len(X_val)}); increase validation_fraction (now "
                    f"{self.validation_fraction}) or the size of the dataset, as "
                    f"scikit-learn's MLP asks.")
            validation = (X_val, t_val, w_val)
            if self.validation_scores_ is None:
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self.best_loss_ = None
        elif self.best_loss_ is None:  # a warm start after fits with early stopping
            self.best_loss_ = np.inf
        trainer = Trainer(self.model_, self._criterion, self.optimizer_, metrics=[])
        callbacks: list[Callback] = [StoppingRule(self, validation, len(X),
                                                  can_stop=not incremental)]
        budget = EvaluationBudget(self.optimizer_, self.max_fun) \
            if self.solver == "lbfgs" else None
        if budget is not None:
            callbacks.append(budget)
        if self._schedule == "invscaling":  # η₀ / (t_ + 1)^power_t; η₀ on a first fit
            set_lr(self.optimizer_, invscaling_lr(self.learning_rate_init, self.power_t,
                                                  self.t_))
        try:
            trainer.fit(X, pack(targets, weights), epochs=1 if incremental else self.max_iter,
                        batch_size=self._batch_size(len(X)), shuffle=self.shuffle,
                        callbacks=callbacks, verbose=0)
        finally:
            if budget is not None:
                budget.restore()
        if early and self._best_state is not None:
            self.model_.load_state_dict(self._best_state)
            self._best_state = None
        if incremental:
            return
        if budget is not None and budget.exhausted:
            warnings.warn(f"lbfgs: the maximum number of loss evaluations (max_fun="
                          f"{self.max_fun}) was reached after {budget.epochs} epoch(s) and the "
                          "optimization hasn't converged yet; increase max_fun.",
                          ConvergenceWarning, stacklevel=user_stacklevel())
        elif not trainer.stop_training:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=user_stacklevel())

    def _batch_size(self, n: int) -> int | None:
        """The mini-batch size for ``n`` training examples (None: the full batch)."""
        if self.optimizer_.full_batch:
            return None
        if isinstance(self.batch_size, str):  # "auto" (the only string it accepts)
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped", stacklevel=user_stacklevel())
            batch_size = min(self.batch_size, n)
        if any(isinstance(m, BatchNorm1d) for m in self.model_.modules()):
            batch_size = _no_batch_of_one(n, batch_size)
        return batch_size

    def _outputs(self, X: Any) -> np.ndarray:
        """The network's outputs for X (checked as at ``fit``), in inference mode."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32),
                          reset=False)
        if hasattr(X, "toarray"):
            X = X.toarray()
        return self._forward(X)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs for an array X already checked (the validation set of
        ``early_stopping``: a DataFrame's feature names are not checked again)."""
        return Trainer(self.model_, self._criterion, self.optimizer_, metrics=[]).predict(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        """The network as its architecture and weights (layers keep their initializers,
        closures that do not pickle); the optimizer pickles whole, its parameters are
        rebound to the rebuilt network's."""
        state = dict(super().__getstate__())
        if "model_" in state:
            state["model_"] = (architecture(self.model_), self.model_.state_dict())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild the network; a parameter that the pickling version did not have yet
        (``learning_rate``, ``beta_1``, ``max_fun``, ...) takes its default, which trains
        as that version did. A version that kept the loss module in ``loss_`` (now
        scikit-learn's number, the last epoch's loss) has it moved to ``_criterion``."""
        if isinstance(state.get("loss_"), Module):
            state["_criterion"] = state.pop("loss_")
            if state.get("loss_curve_"):
                state["loss_"] = state["loss_curve_"][-1]
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if parameter.default is not parameter.empty:
                state.setdefault(name, parameter.default)
        if "model_" in state:
            spec, weights = state["model_"]
            with using_generator(np.random.default_rng(0)):  # weights replaced just below
                state["model_"] = build(spec)
            state["model_"].load_state_dict(weights)
            _rebind(state["optimizer_"], state["model_"])
        super().__setstate__(state)


def _no_batch_of_one(n: int, batch_size: int) -> int:
    """The smallest mini-batch size from ``batch_size`` (at most ``n``) up whose epoch of
    ``n`` examples does not end with a batch of one, which batch normalization cannot
    normalize. For ``n = k * batch_size + 1`` with k <= batch_size, the epoch keeps its k
    batches and the extra example is shared among them (e.g. 201 examples at 200: one batch
    of 201; 33 at 16: batches of 17 and 16)."""
    while n % batch_size == 1:
        batch_size += 1
    return batch_size


def _rebind(optimizer: Optimizer, model: Module) -> None:
    """Make ``optimizer`` (unpickled with copies of the parameters) update ``model``'s
    parameters, in the same order, with the same per-parameter state."""
    fresh = iter(model.parameters())
    for group in optimizer.param_groups:
        old = group["params"]
        group["params"] = [next(fresh) for _ in old]
        for before, after in zip(old, group["params"], strict=True):
            if before in optimizer.state:
                optimizer.state[after] = optimizer.state.pop(before)
