"""Worked examples of Berzal, "Backpropagation" (Granada), section "En la práctica:
Optimización": rprop on mini-batches, momentum's terminal velocity, conjugate gradient in
N steps and Newton's method in one on a quadratic."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.checks import check_range
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_counts,
    check_positive,
)
from retroprop.nn.parameter import Parameter
from retroprop.optim.minimize import minimize
from retroprop.optim.registry import create
from retroprop.tensor.tensor import Tensor

MINI_BATCH_METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "SGD (η = 0.01)": ("sgd", {"lr": 0.01}),
    "rprop (Δ0 = 0.01)": ("rprop", {"lr": 0.01, "variant": "rprop-"}),
    "irprop- (Δ0 = 0.01)": ("rprop", {"lr": 0.01}),
    "rmsprop (0.9, η = 0.01)": ("rmsprop", {"lr": 0.01, "alpha": 0.9})}


def rprop_mini_batches(rounds: int = 20) -> ExperimentResult:
    """Berzal, section "rprop ... no funciona con mini-lotes": one weight whose gradient is
    +0.1 on nine mini-batches and -0.9 on the tenth. The gradients average to zero, so
    SGD with a small rate leaves the weight where it was after each round of ten; rprop
    uses only their signs and moves the weight nine times one way and once the other, so
    it drifts (downwards here: a gradient of +0.1 asks for a decrease; the slide, counting
    the gradient's sign as the direction, says "tendería a crecer"). rmsprop, the
    slide's "mini-batch version of rprop", divides by a running root mean square that both
    kinds of mini-batch share, so its steps nearly cancel. Rprop is run as the slide
    states it (``variant="rprop-"``: every step moves by the sign) and as
    ``rp.optim.Rprop``'s default ``"irprop-"`` (no move on a sign change: worse here).

    Parameters
    ----------
    rounds : int, default 20
        Rounds of ten mini-batches (nine +0.1, one -0.9).
    """
    check_counts("rprop_mini_batches", rounds=rounds)
    gradients = np.tile(np.r_[np.full(9, 0.1), -0.9], rounds)
    rows, data = [], {}
    panel = Panel("the weight, mini-batch after mini-batch", xlabel="mini-batch",
                  ylabel="w (symmetric log scale)",
                  draw=lambda axis: axis.set_yscale("symlog", linthresh=0.1))
    for label, (name, options) in MINI_BATCH_METHODS.items():
        weight = Parameter(np.zeros(1))
        optimizer = create(name, [weight], **options)
        path = [0.0]
        for gradient in gradients:
            weight.grad = np.array([gradient])
            optimizer.step()
            path.append(float(weight.data[0]))
        moves = np.sign(np.diff(path))
        data[label] = np.array(path)
        rows.append([label, path[10], path[-1], int((moves < 0).sum()), int((moves > 0).sum())])
        panel.curves[label] = (list(range(len(path))), path)
    return ExperimentResult(
        "rprop-mini-batches", ["method", "w after 1 round", f"w after {rounds} rounds",
                               "steps down", "steps up"], rows, [panel],
        [f"gradients: 9 x (+0.1) and 1 x (-0.9) per round, mean {gradients.mean():.3g}"],
        data=data)


def momentum_velocity(momenta: tuple[float, ...] = (0.0, 0.5, 0.9, 0.99), lr: float = 0.01,
                      slope: float = 1.0, steps: int = 1000) -> ExperimentResult:
    """Berzal, section "Momentos": on an inclined plane E(w) = slope · w the velocity
    v(t) = μ v(t-1) - η ∂E/∂w reaches the terminal velocity

        v(∞) = -η (∂E/∂w) / (1 - μ),

    ten times gradient descent's step for μ = 0.9 and a hundred times for μ = 0.99.
    The weight change of each step (``rp.optim.SGD`` with ``momentum=μ``, whose velocity
    is PyTorch's v = μ v + g, w ← w - η v: the same steps) is compared with it.

    Examples
    --------
    >>> round(float(momentum_velocity(momenta=(0.9,), steps=300).data[0.9][-1]), 6)
    -0.1
    """
    check_positive("momentum_velocity", lr=lr, slope=slope)
    check_counts("momentum_velocity", steps=steps)
    for momentum in momenta:
        check_range(momentum, "momentum_velocity: each momentum", 0, 1)
    rows, data = [], {}
    panel = Panel("velocity Δw(t) (dashed: -η g / (1 - μ))", xlabel="step",
                  ylabel="Δw", log_y=False)
    terminals = {}
    for momentum in momenta:
        path = minimize(lambda w: (w * slope).sum(), [0.0], lr=lr, momentum=momentum,
                        steps=steps).path
        velocity = np.diff(np.array(path)[:, 0])
        terminal = -lr * slope / (1 - momentum)
        terminals[momentum] = terminal
        data[momentum] = velocity
        rows.append([momentum, terminal, float(velocity[-1]), terminal / (-lr * slope)])
        panel.curves[f"μ = {momentum}"] = (list(range(1, steps + 1)), velocity.tolist())

    def dashed(axis) -> None:
        for terminal in terminals.values():
            axis.axhline(terminal, color="grey", ls="--", lw=0.7)

    panel.draw = dashed
    return ExperimentResult("momentum-velocity", ["μ", "v(∞) = -η g / (1 - μ)",
                                                  f"Δw at step {steps}", "× gradient step"],
                            rows, [panel], data=data)


def quadratic_steps(size: int = 6, condition: float = 100.0, seed: int = 0
                    ) -> ExperimentResult:
    """Berzal, section "Técnicas de optimización de segundo orden": on a quadratic
    E(w) = ½ wᵀ A w - bᵀ w in N = ``size`` dimensions, conjugate gradient (with an exact
    line search) reaches the minimum in N steps ("Después de N pasos, el gradiente
    conjugado garantiza encontrar el óptimo"), Newton's step Δw = -H⁻¹ ∂E/∂w in one
    ("llegaríamos al mínimo en un solo paso"), while gradient descent with the best fixed
    rate 2 / (λ_min + λ_max) is still far after N steps. A has eigenvalues from 1 to
    ``condition``.

    Examples
    --------
    >>> errors = quadratic_steps(size=4).data
    >>> bool(errors["conjugate gradient"][4] < 1e-8 and errors["newton"][1] < 1e-8)
    True
    """
    check_positive("quadratic_steps", condition=condition)
    check_counts("quadratic_steps", minimum=2, size=size)
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((size, size)))
    eigenvalues = np.geomspace(1.0, condition, size)
    A = basis @ np.diag(eigenvalues) @ basis.T
    b = rng.standard_normal(size)
    optimum = np.linalg.solve(A, b)
    A_t, b_t = Tensor(A, dtype=np.float64), Tensor(b, dtype=np.float64)

    def energy(w: Tensor) -> Tensor:
        return ((A_t @ w) * w).sum() * 0.5 - (b_t * w).sum()

    start = np.zeros(size)
    methods = {
        "gradient descent": ("sgd", {"lr": 2 / (eigenvalues[0] + eigenvalues[-1])}),
        "conjugate gradient": ("cg", {"max_iter": 1, "max_eval": 50, "c2": 1e-6}),
        "newton": ("newton", {"hessian": "exact", "damping": 0.0, "adapt_damping": False}),
    }
    rows, data = [], {}
    panel = Panel("distance to the minimum", xlabel="step", ylabel="||w - w*||", log_y=True)
    for name, (method, options) in methods.items():
        path = np.array(minimize(energy, start, method=method, steps=size, **options).path)
        errors = np.linalg.norm(path - optimum, axis=1)
        data[name] = errors
        rows.append([name, errors[0], errors[1], errors[size - 1], errors[size]])
        panel.curves[name] = (list(range(size + 1)), np.maximum(errors, 1e-17).tolist())
    return ExperimentResult("quadratic-steps", ["method", "start", "after 1 step",
                                                f"after {size - 1} steps",
                                                f"after N = {size} steps"], rows, [panel],
                            [f"A: {size} x {size}, eigenvalues 1 to {condition:g}"], data=data)
