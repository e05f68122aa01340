"""Under- and over-fitting: polynomials of growing degree and networks of growing width on
a few noisy samples of sin(2πx) (Berzal, "Backpropagation" (Granada), section
"Generalización"; FAMAF, "Redes neuronales" 2024, clase 21, figure 2.2)."""

from __future__ import annotations

import warnings

import numpy as np

from retroprop import nn
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_count_list,
    check_counts,
    check_positive,
)
from retroprop.models.mlp import mlp
from retroprop.nn.init import normal
from retroprop.optim.lbfgs import LBFGS
from retroprop.random import manual_seed
from retroprop.train.trainer import Trainer


def noisy_sine(n: int, noise: float, rng: np.random.Generator, even: bool = True
               ) -> tuple[np.ndarray, np.ndarray]:
    """n samples t = sin(2πx) + N(0, noise²), x evenly spaced on [0, 1] (or uniform)."""
    x = np.linspace(0, 1, n) if even else rng.uniform(0, 1, n)
    return x, np.sin(2 * np.pi * x) + rng.normal(0, noise, n)


def polynomial_fit(degrees: tuple[int, ...] = (1, 3, 9), n: int = 10, noise: float = 0.3,
                   seed: int = 4) -> ExperimentResult:
    """Berzal, section "Generalización", slide "Underfitting & overfitting" (Bishop's
    figures): least-squares polynomials y(x) = Σ_{j<=M} w_j x^j through ``n`` = 10 noisy
    samples of sin(2πx). M = 1 is "too inflexible: cannot capture pattern", M = 3 follows
    the sine, M = 9 passes through every sample ("too flexible: fits noise in the data"):
    zero training error, a large validation error and huge weights. The last panel shows
    the root-mean-square errors for every M from 0 to 9.

    Parameters
    ----------
    degrees : the degrees M drawn (and tabulated)
    n : training samples; noise : standard deviation of the noise on the targets
    """
    check_positive("polynomial_fit", noise=noise)
    check_counts("polynomial_fit", n=n)
    degrees = check_count_list("polynomial_fit", "degrees", degrees, minimum=0, maximum=n - 1)
    rng = np.random.default_rng(seed)
    x, t = noisy_sine(n, noise, rng)
    x_val, t_val = noisy_sine(200, noise, rng, even=False)
    grid = np.linspace(0, 1, 200)
    rms = lambda w, a, b: float(np.sqrt(np.mean((np.polyval(w, a) - b) ** 2)))  # noqa: E731
    fits = {M: np.polyfit(x, t, M) for M in range(n)}
    rows = [[M, rms(fits[M], x, t), rms(fits[M], x_val, t_val),
             float(np.abs(fits[M]).max())] for M in degrees]
    panels = []
    for M in degrees:
        panel = Panel(f"M = {M}", xlabel="x", ylabel="t", curves={
            "sin(2πx)": (grid.tolist(), np.sin(2 * np.pi * grid).tolist()),
            f"polynomial, M = {M}": (grid.tolist(), np.polyval(fits[M], grid).tolist())})
        panel.draw = lambda axis: (axis.scatter(x, t, c="k", zorder=3, label="samples"),
                                   axis.set_ylim(-1.8, 1.8))
        panels.append(panel)
    panels.append(Panel("root-mean-square error", xlabel="degree M", ylabel="E_RMS",
                        curves={
                            "training": (list(range(n)), [rms(fits[M], x, t)
                                                          for M in range(n)]),
                            "validation": (list(range(n)), [rms(fits[M], x_val, t_val)
                                                            for M in range(n)])}))
    return ExperimentResult("polynomial-fit", ["M", "training RMS", "validation RMS",
                                               "largest |w|"], rows, panels,
                            [f"{n} training samples, 200 validation samples, noise σ = {noise}"],
                            data={"fits": fits, "x": x, "t": t})


def network_capacity(widths: tuple[int, ...] = (1, 2, 3, 5, 8, 12), datasets: int = 4,
                     epochs: int = 3, iterations: int = 200, n: int = 10, noise: float = 0.3,
                     init_std: float = 2.0) -> ExperimentResult:
    """FAMAF, "Redes neuronales" 2024, clase 21, section "Es muy difícil definir el número
    de parámetros", figure 2.2 (good fit against under- and over-fitting): a tanh network
    1-H-1 fitted to ``n`` noisy samples of sin(2πx), H growing. The training error keeps
    falling to zero while the validation error first falls (under-fitting ends) and then
    turns up (the network fits the noise). Each width is fitted by ``epochs`` steps of
    full-batch L-BFGS of up to ``iterations`` iterations each, on ``datasets`` independent
    draws of the samples; the table gives the geometric mean over them (one unlucky draw
    would hide the trend).

    The loss is ``MSELoss`` (the mean of (y - t)², PyTorch's convention).
    """
    check_positive("network_capacity", noise=noise, init_std=init_std)
    check_counts("network_capacity", datasets=datasets, epochs=epochs, iterations=iterations,
                 n=n)
    widths = check_count_list("network_capacity", "widths", widths)
    losses = np.zeros((len(widths), datasets, 2))
    grid = np.linspace(0, 1, 200)
    curves = {}  # the fits of the first draw
    for d in range(datasets):
        rng = np.random.default_rng(d)
        x, t = noisy_sine(n, noise, rng)
        x_val, t_val = noisy_sine(200, noise, rng, even=False)
        for i, width in enumerate(widths):
            manual_seed(d)
            model = mlp([1, width, 1], activation="tanh", init=normal(std=init_std),
                        dtype=np.float64)
            trainer = Trainer(model, nn.MSELoss(), LBFGS(model.parameters(),
                                                         max_iter=iterations), metrics=[])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # line searches that stall
                trainer.fit(x[:, None], t[:, None], epochs=epochs, batch_size=None,
                            verbose=0)
            losses[i, d] = (trainer.evaluate(x[:, None], t[:, None])["loss"],
                            trainer.evaluate(x_val[:, None], t_val[:, None])["loss"])
            if d == 0:
                curves[width] = trainer.predict(grid[:, None])[:, 0]
                samples = (x, t)
    mean = np.exp(np.log(losses + 1e-300).mean(axis=1))
    best = int(mean[:, 1].argmin())
    rows = [[w, sum(p.size for p in mlp([1, w, 1]).parameters()), mean[i, 0], mean[i, 1]]
            for i, w in enumerate(widths)]
    panel = Panel("training and validation error against width", xlabel="hidden units H",
                  ylabel="mean squared error", log_y=True,
                  curves={"training": (list(widths), mean[:, 0].tolist()),
                          "validation": (list(widths), mean[:, 1].tolist())})
    panel.draw = lambda axis: axis.axvline(widths[best], color="grey", ls="--", lw=0.8)
    shown = dict.fromkeys((widths[0], widths[best], widths[-1]))
    fits = Panel("under-fit, good fit, over-fit (first draw)", xlabel="x", ylabel="t",
                 curves={f"H = {w}": (grid.tolist(), curves[w].tolist()) for w in shown})
    fits.draw = lambda axis: (axis.scatter(*samples, c="k", zorder=3, label="samples"),
                              axis.plot(grid, np.sin(2 * np.pi * grid), "k:", lw=0.8),
                              axis.set_ylim(-1.8, 1.8))
    notes = [f"best width H = {widths[best]}: narrower under-fits, wider over-fits",
             f"geometric mean over {datasets} draws of {n} samples (noise σ = {noise})"]
    return ExperimentResult("network-capacity", ["hidden units", "weights", "training MSE",
                                                 "validation MSE"], rows, [fits, panel], notes,
                            data={"losses": losses, "mean": mean, "best": widths[best]})
