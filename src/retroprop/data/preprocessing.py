"""Input preprocessing (Berzal, Efficient BackProp): shift each input to zero mean,
scale to similar variance (z-scores), and decorrelate (PCA, with whitening)."""

from __future__ import annotations

import numpy as np

from retroprop.checks import check_count


def _features(X: np.ndarray, where: str) -> np.ndarray:
    """``X`` as a non-empty 2-D array (samples, features) of finite numbers."""
    X = np.asarray(X)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"{where}: X must be a non-empty 2-D array (samples, features), "
                         f"got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{where}: X must hold numbers, got dtype {X.dtype}")
    finite = np.isfinite(X)
    if not finite.all():
        first = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(f"{where}: X holds {int(np.isnan(X).sum())} NaN and "
                         f"{int(np.isinf(X).sum())} infinite values (first at index {first}); "
                         "fill or drop them first")
    return X


def _check_features(X: np.ndarray, mean: np.ndarray, where: str) -> None:
    """``X`` has as many features as the data the transform was fitted on."""
    if X.shape[1] != len(mean):
        raise ValueError(f"{where}: X has {X.shape[1]} features, it was fitted on "
                         f"{len(mean)}")


def _as_float(X: np.ndarray) -> np.dtype:
    """The dtype of a transform's output: the input's when it is floating, else float32."""
    return X.dtype if X.dtype.kind == "f" else np.dtype(np.float32)


class StandardScaler:
    """z = (x - μ) / σ per feature, with μ and σ from the training set; constant features
    (all values equal) keep σ = 1, as in scikit-learn, even when rounding makes their
    computed σ a tiny positive number instead of 0. μ and σ are accumulated in float64
    whatever the input's dtype, as scikit-learn does (a float32 sum over many rows drifts);
    the output has the input's dtype. ``fit`` only stores statistics, fitted attributes
    end in ``_``."""

    def fit(self, X: np.ndarray) -> StandardScaler:
        X = _features(X, "StandardScaler.fit")
        self.mean_ = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64)
        self.scale_ = np.where(np.ptp(X, axis=0) > 0, std, 1.0)
        return self

    def _check_fitted(self, X: np.ndarray, where: str) -> None:
        if not hasattr(self, "mean_"):
            raise RuntimeError(f"StandardScaler: call fit before {where}")
        _check_features(X, self.mean_, f"StandardScaler.{where}")

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = _features(X, "StandardScaler.transform")
        self._check_fitted(X, "transform")
        dtype = _as_float(X)
        return (X.astype(dtype, copy=False) - self.mean_.astype(dtype)) / self.scale_.astype(dtype)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """x = z σ + μ, shape (samples, features)."""
        Z = _features(Z, "StandardScaler.inverse_transform")
        self._check_fitted(Z, "inverse_transform")
        dtype = _as_float(Z)
        return Z.astype(dtype, copy=False) * self.scale_.astype(dtype) + self.mean_.astype(dtype)


class PCA:
    """Principal component analysis: project centred inputs on the eigenvectors of their
    covariance, which decorrelates them; ``whiten=True`` also divides each component by
    the square root of its eigenvalue, giving unit variance. Keeping fewer components
    compresses the inputs; ``inverse_transform`` maps the components back to input space,
    the best reconstruction from them in the least-squares sense (Berzal,
    "Backpropagation" (Granada), section "Efficient BackProp", slides "Análisis de
    componentes principales [PCA]" and "Compresión de imágenes").

    Parameters
    ----------
    n_components : int, optional
        Components kept (all when None), in decreasing order of variance.
    whiten : bool, default False
    eps : float, default 1e-8
        Added to eigenvalues before whitening.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(100, 5))
    >>> pca = PCA(n_components=5).fit(X)
    >>> bool(np.allclose(pca.inverse_transform(pca.transform(X)), X))
    True
    """

    def __init__(self, n_components: int | None = None, whiten: bool = False,
                 eps: float = 1e-8) -> None:
        if n_components is not None:
            check_count(n_components, "PCA: n_components", also="or None (all)")
        self.n_components, self.whiten, self.eps = n_components, whiten, eps

    def fit(self, X: np.ndarray) -> PCA:
        X = _features(X, "PCA.fit").astype(np.float64)
        k = int(self.n_components or X.shape[1])
        if k > min(X.shape):
            raise ValueError(f"PCA: n_components={k} exceeds min(samples, features) = "
                             f"{min(X.shape)}")
        self.mean_ = X.mean(axis=0)
        _, singular, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        self.components_ = vt[:k]
        self.explained_variance_ = singular[:k] ** 2 / max(len(X) - 1, 1)
        return self

    def _check_fitted(self, where: str) -> None:
        if not hasattr(self, "components_"):
            raise RuntimeError(f"PCA: call fit before {where}")

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = _features(X, "PCA.transform")
        self._check_fitted("transform")
        _check_features(X, self.mean_, "PCA.transform")
        out = (X - self.mean_) @ self.components_.T
        if self.whiten:
            out /= np.sqrt(self.explained_variance_ + self.eps)
        return out.astype(_as_float(X), copy=False)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """x̂ = z Vₖ + μ (with z first multiplied back by √(λ + eps) when whitened): the
        inputs rebuilt from their ``n_components`` components, shape (samples, features)."""
        Z = _features(Z, "PCA.inverse_transform")
        self._check_fitted("inverse_transform")
        if Z.shape[1] != len(self.components_):
            raise ValueError(f"PCA.inverse_transform: Z has {Z.shape[1]} components, the PCA "
                             f"keeps {len(self.components_)}")
        scores = Z * np.sqrt(self.explained_variance_ + self.eps) if self.whiten else Z
        out = scores @ self.components_ + self.mean_
        return out.astype(_as_float(Z), copy=False)
