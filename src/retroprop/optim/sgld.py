"""Stochastic gradient Langevin dynamics: mini-batch backpropagation that draws weight vectors
from the posterior (Welling & Teh 2011), for Berzal's "Bayesian fitting" (Berzal,
"Backpropagation" (Granada), "En la práctica: Generalización")."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from retroprop.checks import check_count, check_lr, check_range
from retroprop.optim.blas import axpy_
from retroprop.optim.optimizer import Closure, Optimizer
from retroprop.random import generator


class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: gradient descent plus Gaussian noise, whose
    weights, after a burn-in, are draws from the posterior p(θ | D) ∝ p(θ) Π_i p(x_i | θ).

    Berzal, "Backpropagation" (Granada), "En la práctica: Generalización", names two ways
    of combining models: model averaging (ensembles, bagging: :mod:`retroprop.ensemble`)
    and *Bayesian fitting*: "using a single network architecture, combine the predictions
    made by many different weight vectors". SGLD is the mini-batch way to get those weight
    vectors; :class:`~retroprop.callbacks.PosteriorSamples` keeps them during ``fit`` and
    averages their predictive distributions.

    Welling & Teh (2011), "Bayesian Learning via Stochastic Gradient Langevin Dynamics",
    eq. 4, with a mini-batch of n of the N training examples and step size ε:

        Δθ = ε/2 (∇ log p(θ) + N/n Σ_i ∇ log p(x_i | θ)) + ξ,    ξ ~ N(0, ε I)

    The Trainer's loss is the batch's *mean* negative log-likelihood L = -(1/n) Σ_i
    log p(x_i | θ) (cross-entropy is exactly that; ``MSELoss`` is the negative log of a
    Gaussian of variance ½ per output, up to a constant), so N/n Σ_i ∇ log p(x_i | θ) =
    -N ∇L. A Gaussian prior N(0, λ⁻¹ I) has ∇ log p(θ) = -λ θ: ``weight_decay`` λ is the
    prior's precision. With ``lr`` η = ε and a temperature T (the posterior p^(1/T);
    T = 1 is Bayes' rule, T = 0 no noise) the step is

        θ ← θ - η/2 (N ∇L + λ θ) + √(η T) ξ,    ξ ~ N(0, I)

    With T = 0 this is gradient descent with learning rate η N / 2 on L + λ/(2N) ‖θ‖²
    (``SGD(lr=η N/2, weight_decay=λ/N)``). Penalties of the layers (``nn.regularize(l2=)``)
    are part of L, so they are multiplied by N: an ``l2`` coefficient c is a Gaussian prior
    of precision N c; the L1 soft-threshold and max-norm projections take the step
    η N / 2 (:meth:`prox_rate`), as on the loss they belong to. Learning-rate schedules
    change η; Welling & Teh let it decrease, ε_t = a (b + t)^(-γ), γ ∈ (0.5, 1], and with
    a small constant η the draws come from a close approximation of the posterior.

    The noise comes from a generator of the optimizer's own, drawn once per step for every
    parameter that has a gradient, in the order of the parameter groups; its state is part
    of :meth:`state_dict`, so that a resumed run draws the same noise.

    Parameters
    ----------
    params : iterable of Parameter or of parameter groups
    lr : float, default 0.0001
        The step size ε = η > 0 (the noise's variance is η T).
    num_examples : int, default 1
        N, the size of the training set, which the mean loss of a batch is multiplied by.
        The default 1 takes the loss itself as the negative log-likelihood (a loss that is
        already the data's whole log-likelihood, or Langevin dynamics on the mean loss);
        for the posterior of a training set pass its size.
    weight_decay : float, default 0
        λ >= 0, the precision of the Gaussian prior N(0, λ⁻¹ I); 0 is a flat prior.
    temperature : float, default 1
        T >= 0; 1 samples the posterior, 0 is noiseless gradient descent.
    seed : int, optional
        Seeds the noise; by default a seed is drawn from the library's generator
        (:func:`retroprop.manual_seed` fixes it).

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> w = rp.nn.Parameter(np.array([0.0]))
    >>> opt = rp.optim.SGLD([w], lr=0.01, num_examples=100, temperature=0.0)
    >>> loss = ((w - 1) ** 2).sum() / 2; loss.backward(); opt.step()
    >>> round(float(w.data[0]), 4)  # η N / 2 = 0.5 of the way to 1
    0.5
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-4, num_examples: int = 1,
                 weight_decay: float = 0.0, temperature: float = 1.0, seed: int | None = None
                 ) -> None:
        if seed is not None:
            check_count(seed, "SGLD: seed", low=0, also="or None")
        super().__init__(params, dict(lr=lr, num_examples=num_examples,
                                      weight_decay=weight_decay, temperature=temperature))
        self.noise = np.random.default_rng(
            int(generator().integers(2**63)) if seed is None else int(seed))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_count(group["num_examples"], "num_examples")
        check_range(group["weight_decay"], "weight_decay", 0.0, float("inf"))
        check_range(group["temperature"], "temperature", 0.0, float("inf"))

    def prox_rate(self, param: Any) -> float:
        """η N / 2: the step that the gradient of the Trainer's loss took."""
        try:
            group = self.group_of(param)
        except KeyError:  # not optimized here: it did not move
            return 0.0
        return float(group["lr"]) * group["num_examples"] / 2

    def step(self, closure: Closure | None = None) -> Any:
        loss = self._evaluate(closure)
        for group, param, grad in self.gradients(l2=False):
            half = group["lr"] / 2
            if group["weight_decay"]:
                param.data *= 1 - half * group["weight_decay"]
            axpy_(param.data, -half * group["num_examples"], grad)
            if group["temperature"]:
                dtype = np.float32 if param.data.dtype == np.float32 else np.float64
                noise = self.noise.standard_normal(param.shape, dtype=dtype)
                axpy_(param.data, math.sqrt(group["lr"] * group["temperature"]), noise)
        return loss

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state and the noise generator's (NumPy's ``bit_generator.state``)."""
        return {**super().state_dict(), "noise": self.noise.bit_generator.state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict.get("noise")
        if not isinstance(saved, dict) or saved.get("bit_generator") != \
                type(self.noise.bit_generator).__name__:
            raise ValueError("SGLD.load_state_dict: the state has no noise generator of "
                             f"SGLD ({type(self.noise.bit_generator).__name__}): it was not "
                             "saved by an SGLD optimizer")
        super().load_state_dict(state_dict)
        self.noise.bit_generator.state = saved
