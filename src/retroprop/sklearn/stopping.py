"""When the estimators stop, and how their learning rate changes on the way: scikit-learn's
``tol`` rule with its ``learning_rate`` schedules for "sgd", and its ``max_fun`` bound on
the loss evaluations of "lbfgs" (``neural_network/_multilayer_perceptron.py`` and
``_stochastic_optimizers.py``), as callbacks of retroprop's Trainer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from retroprop.callbacks.base import Callback
from retroprop.optim.optimizer import Optimizer

if TYPE_CHECKING:
    import numpy as np

    from retroprop.sklearn.base import BaseMLP

#: "adaptive" stops instead of dividing the rate once it is this small (scikit-learn's).
SMALLEST_ADAPTIVE_LR = 1e-6


def invscaling_lr(learning_rate_init: float, power_t: float, t: int) -> float:
    """scikit-learn's "invscaling" rate after ``t`` training examples:
    η = η₀ / (t + 1)^power_t (η₀ for the first epoch, then updated after each)."""
    return float(learning_rate_init) / (t + 1) ** power_t


def set_lr(optimizer: Optimizer, lr: float) -> None:
    """Write ``lr`` into every parameter group (as a PyTorch user sets ``group["lr"]``)."""
    for group in optimizer.param_groups:
        group["lr"] = lr


class StoppingRule(Callback):
    """scikit-learn's rule, checked after every epoch: count the epochs in a row in which
    the training loss (or, with ``early_stopping``, the validation score) has not improved
    by ``tol``; when the count exceeds ``n_iter_no_change``, stop, or with
    ``learning_rate="adaptive"`` divide the rate by 5, reset the count and go on (stop
    once the rate is at most 1e-6). ``partial_fit`` (``can_stop=False``) never stops but
    divides the rate as scikit-learn's does. With "invscaling" the rate after each epoch
    is η₀ / (t_ + 1)^power_t, t_ the training examples seen."""

    def __init__(self, estimator: BaseMLP, validation: tuple[np.ndarray, ...] | None,
                 n_samples: int, can_stop: bool) -> None:
        self.estimator, self.validation = estimator, validation
        self.n_samples, self.can_stop = n_samples, can_stop

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        est = self.estimator
        est.n_iter_ += 1
        est.t_ += self.n_samples
        est.loss_ = float((logs or {})["loss"])
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_curve_[-1]:.8f}")
        if self.validation is not None:
            # _train set validation_scores_ and best_validation_score_ for early stopping.
            best_score = cast(float, est.best_validation_score_)
            score = est._score_targets(*self.validation)
            cast(list[float], est.validation_scores_).append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            improved = score >= best_score + est.tol
            if score > best_score:
                est.best_validation_score_ = score
                est._best_state = self.model.state_dict()
        else:
            best_loss = cast(float, est.best_loss_)  # None only with early stopping
            improved = est.loss_curve_[-1] <= best_loss - est.tol
            est.best_loss_ = min(best_loss, est.loss_curve_[-1])
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        schedule = est._schedule
        if schedule == "invscaling":
            set_lr(est.optimizer_, invscaling_lr(est.learning_rate_init, est.power_t, est.t_))
        if est._no_improvement_count <= est.n_iter_no_change:
            return
        lr = float(est.optimizer_.param_groups[0]["lr"])
        adaptive = schedule == "adaptive"
        if adaptive and lr > SMALLEST_ADAPTIVE_LR:
            set_lr(est.optimizer_, lr / 5)
            est._no_improvement_count = 0
            outcome = f"Setting learning rate to {lr / 5:f}"
        else:
            outcome = "Learning rate too small. Stopping." if adaptive else "Stopping."
            if self.can_stop:
                self.trainer.stop_training = True
        if est.verbose:  # scikit-learn's words
            what = "Training loss" if self.validation is None else "Validation score"
            print(f"{what} did not improve more than tol={est.tol:f} for "
                  f"{est.n_iter_no_change} consecutive epochs. {outcome}")


class EvaluationBudget(Callback):
    """scikit-learn's ``max_fun`` for "lbfgs": at most ``max_fun`` loss evaluations in one
    fit. Each epoch's L-BFGS step may evaluate the loss ``max_eval + 1`` times (its start,
    then line searches of at most the evaluations left, each one more than its budget), so
    it gets ``max_eval = left - 1`` (never more than its own); the fit stops, with
    ``exhausted`` set, once fewer than two evaluations are left, which no step could use.
    ``max_fun=1`` thus evaluates twice, as scikit-learn's (SciPy's) L-BFGS-B does."""

    def __init__(self, optimizer: Optimizer, max_fun: int) -> None:
        self.optimizer, self.max_fun = optimizer, max_fun
        self.group = optimizer.param_groups[0]
        self.max_eval = self.group["max_eval"]
        self.start = self.evaluations
        self.exhausted = False
        self.epochs = 0  # of this fit (the estimator's n_iter_ counts on over warm fits)

    @property
    def evaluations(self) -> int:
        """Loss evaluations of the optimizer so far (its ``func_evals``, as PyTorch's)."""
        return int(self.optimizer.state.get(self.group["params"][0], {}).get("func_evals", 0))

    @property
    def used(self) -> int:
        """Loss evaluations in this fit."""
        return self.evaluations - self.start

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.group["max_eval"] = max(1, min(self.max_eval, self.max_fun - self.used - 1))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epochs += 1
        if self.max_fun - self.used < 2 and not self.trainer.stop_training:
            self.trainer.stop_training = self.exhausted = True

    def restore(self) -> None:
        """Give the optimizer back its own ``max_eval``."""
        self.group["max_eval"] = self.max_eval
