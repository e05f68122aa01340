"""Why preprocessing the inputs speeds up learning, and PCA as compression (Berzal,
"Backpropagation" (Granada), section "En la práctica", slides "Efficient BackProp":
"Desplazamiento (media 0)", "Escalado", "Análisis de componentes principales [PCA]")."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.data.preprocessing import PCA
from retroprop.experiments.digits import digit_strip, flat_digits
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_count_list,
    check_counts,
    check_positive,
)
from retroprop.models.neurons import LinearNeuron


def _correlated_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two strongly correlated, centred inputs and their PCA-whitened version."""
    rng = np.random.default_rng(0)
    common = rng.normal(size=40)
    X = np.c_[common + 0.15 * rng.normal(size=40), common + 0.15 * rng.normal(size=40)]
    X -= X.mean(axis=0)
    t = X @ np.array([1.0, -0.5])
    white = PCA(whiten=True).fit_transform(X) / np.sqrt(len(X) - 1)  # unit sum of squares
    return X, t, white, t


# Each case: the inputs before and after, the targets (the lectures' two-case examples).
CASES: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {
    "shift (mean 0)": (np.array([[101.0, 101.0], [101.0, 99.0]]), np.array([2.0, 0.0]),
                       np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([2.0, 0.0])),
    "scaling": (np.array([[0.1, 10.0], [0.1, -10.0]]), np.array([2.0, 0.0]),
                np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([2.0, 0.0])),
    "decorrelation (PCA whitening)": _correlated_inputs(),
}


def _descend(X: np.ndarray, t: np.ndarray, max_steps: int, tol: float
             ) -> tuple[int | None, np.ndarray]:
    """Batch delta rule Δw = η Σ x (t - y) from w = 0, with the best fixed rate
    η = 2 / (λ_min + λ_max) of the Hessian XᵀX; steps until ||w - w*|| <= tol ||w*||."""
    eigenvalues = np.linalg.eigvalsh(X.T @ X)
    eta = 2 / (eigenvalues[0] + eigenvalues[-1])
    optimum = np.linalg.lstsq(X, t, rcond=None)[0]
    neuron = LinearNeuron(np.zeros(X.shape[1]))
    path = [neuron.weights_.copy()]
    for step in range(1, max_steps + 1):
        neuron.step(X, t, eta)
        if step <= 40:
            path.append(neuron.weights_.copy())
        if np.linalg.norm(neuron.weights_ - optimum) <= tol * np.linalg.norm(optimum):
            return step, np.array(path)
    return None, np.array(path)


def input_normalization(max_steps: int = 2000, tol: float = 1e-6) -> ExperimentResult:
    """Berzal, "Efficient BackProp" slides: a linear neuron y = w1 x1 + w2 x2 with
    E = ½ Σ (t - y)². Its error surface is a quadratic bowl whose Hessian is XᵀX. With
    inputs (101, 101) → 2 and (101, 99) → 0 the bowl is a long thin ellipse (condition
    number λ_max/λ_min ≈ 4·10⁴) and the gradient points almost across it; shifted by
    -100 towards zero mean, (1, 1) → 2 and (1, -1) → 0, the ellipse becomes a circle
    and the gradient points at the minimum. Scaling (0.1, 10) → 2, (0.1, -10) → 0 to
    unit size does the same, and so does PCA whitening of two correlated inputs
    (dividing each principal component by the square root of its eigenvalue). The
    table counts batch delta-rule steps, at the best fixed rate for each surface, until
    the weights are within ``tol`` of the minimum (up to ``max_steps``), beside the
    bound ln(1/tol) / ln((κ + 1)/(κ - 1)) of gradient descent on a quadratic.
    """
    check_positive("input_normalization", tol=tol)
    check_counts("input_normalization", max_steps=max_steps)
    rows, data = [], {}
    originals: list[Panel] = []
    transformed: list[Panel] = []
    for name, (X, t, X_new, t_new) in CASES.items():
        for label, inputs, targets, panels in (("original", X, t, originals),
                                               ("preprocessed", X_new, t_new, transformed)):
            eigenvalues = np.linalg.eigvalsh(inputs.T @ inputs)
            steps, path = _descend(inputs, targets, max_steps, tol)
            condition = float(eigenvalues[-1] / eigenvalues[0])
            data[(name, label)] = {"condition": condition, "steps": steps}
            bound = 1 if condition < 1 + 1e-9 else int(np.ceil(
                np.log(1 / tol) / np.log((condition + 1) / (condition - 1))))
            rows.append([name, label, condition,
                         steps if steps is not None else f"> {max_steps}", bound])
            panels.append(Panel(f"{name}: {label} (κ = {condition:.3g})", xlabel="w1",
                                ylabel="w2", draw=_surface_drawer(inputs, targets, path)))
    return ExperimentResult("input-normalization", ["transformation", "inputs",
                                                    "condition number κ", "steps", "bound"], rows,
                            originals + transformed,
                            ["contours of E(w1, w2); dots: the first batch delta-rule steps"],
                            data=data)


def _surface_drawer(X: np.ndarray, t: np.ndarray, path: np.ndarray):
    optimum = np.linalg.lstsq(X, t, rcond=None)[0]

    def draw(axis: Any) -> None:
        reach = 1.3 * max(np.abs(optimum).max(), np.abs(path).max(), 1e-3)
        grid = np.linspace(-reach, reach, 200) + optimum[:, None]
        w1, w2 = np.meshgrid(grid[0], grid[1])
        weights = np.stack([w1.ravel(), w2.ravel()])
        energy = 0.5 * ((X @ weights - t[:, None]) ** 2).sum(axis=0).reshape(w1.shape)
        levels = np.unique(np.quantile(energy, np.linspace(0.02, 0.95, 12) ** 2))
        axis.contour(w1, w2, energy, levels=levels, cmap="Greys_r", linewidths=0.7)
        axis.set_aspect("equal", adjustable="datalim")
        axis.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=0.8, label="delta rule")
        axis.plot(*optimum, "r*", label="minimum")
    return draw


def pca_compression(components: tuple[int, ...] = (2, 5, 10, 20, 40), shown: int = 8
                    ) -> ExperimentResult:
    """Berzal, slides "Análisis de componentes principales [PCA]" and "Compresión de
    imágenes usando componentes principales": the 8 x 8 digits (64 pixels) kept as k
    principal components and rebuilt by ``PCA.inverse_transform``. The table gives the
    variance kept and the reconstruction error on the test digits; the figure shows
    test digits rebuilt from k components, row by row."""
    components = check_count_list("pca_compression", "components", components, maximum=64)
    check_counts("pca_compression", shown=shown)
    X, _, X_test, _ = flat_digits(np.float64)
    total = PCA().fit(X).explained_variance_.sum()
    rows, rebuilt, errors = [], {}, []
    for k in components:
        pca = PCA(n_components=k).fit(X)
        rebuilt[k] = pca.inverse_transform(pca.transform(X_test))
        error = float(np.mean((rebuilt[k] - X_test) ** 2))
        errors.append(error)
        rows.append([k, f"{64 / k:.1f} : 1", float(pca.explained_variance_.sum() / total),
                     error])
    mosaic = np.vstack([digit_strip(X_test[:shown])] + [digit_strip(rebuilt[k][:shown])
                                                     for k in components])
    labels = ["original", *(f"k = {k}" for k in components)]

    def draw(axis: Any) -> None:
        axis.imshow(mosaic, cmap="Greys", vmin=0, vmax=1)
        axis.set_yticks([4 + 9 * i for i in range(len(labels))], labels)
        axis.set_xticks([])

    panels = [Panel("test digits rebuilt from k components", xlabel="", draw=draw),
              Panel("reconstruction error", xlabel="components k",
                    ylabel="mean squared error per pixel", log_y=True,
                    curves={"test digits": (list(components), errors)})]
    return ExperimentResult("pca-compression", ["components k", "compression",
                                                "variance kept", "test MSE per pixel"],
                            rows, panels, data={"errors": dict(zip(components, errors,
                                                                   strict=True))})
