"""Berzal's "Efficient BackProp" slides: preprocessing makes the error surface round."""

import numpy as np
import pytest

import retroprop as rp


def test_shifting_scaling_and_whitening_make_the_bowl_round(tmp_path):
    result = rp.experiments.input_normalization(max_steps=500)
    data = result.data
    # (101, 101), (101, 99): XᵀX = [[20402, 20200], [20200, 20002]]
    hessian = np.array([[20402.0, 20200.0], [20200.0, 20002.0]])
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert data[("shift (mean 0)", "original")]["condition"] == pytest.approx(
        eigenvalues[1] / eigenvalues[0])
    assert data[("scaling", "original")]["condition"] == pytest.approx(1e4)  # (10/0.1)²
    for name in ("shift (mean 0)", "scaling", "decorrelation (PCA whitening)"):
        after = data[(name, "preprocessed")]
        assert after["condition"] == pytest.approx(1.0, abs=1e-6)
        assert after["steps"] == 1  # a round bowl: one step of the best rate lands on w*
    assert data[("shift (mean 0)", "original")]["steps"] is None  # not in 500 steps
    assert data[("decorrelation (PCA whitening)", "original")]["steps"] > 50
    result.plot(tmp_path / "surfaces.png")
    assert (tmp_path / "surfaces.png").stat().st_size > 50_000


def test_pca_compression_of_the_digits(tmp_path):
    result = rp.experiments.pca_compression(components=(2, 10, 64))
    errors = result.data["errors"]
    assert errors[2] > errors[10] > 1e-3 > 1e-12 > errors[64]  # all 64: exact
    variance = [row[2] for row in result.rows]
    assert variance[0] < variance[1] < variance[2] == pytest.approx(1.0)
    result.plot(tmp_path / "pca.png")
    assert (tmp_path / "pca.png").stat().st_size > 20_000
    with pytest.raises(ValueError, match=r"components\[0\] must be a positive integer, got 0"):
        rp.experiments.pca_compression(components=(0,))
    with pytest.raises(ValueError, match=r"components\[1\] must be an integer in \[1, 64\]"):
        rp.experiments.pca_compression(components=(2, 65))


def test_pca_compression_numbers_match_scikit_learn():
    from sklearn.decomposition import PCA

    from retroprop.experiments.digits import flat_digits

    X, _, X_test, _ = flat_digits(np.float64)
    result = rp.experiments.pca_compression(components=(2, 10))
    for k, row in zip((2, 10), result.rows, strict=True):
        pca = PCA(k).fit(X)
        rebuilt = pca.inverse_transform(pca.transform(X_test))
        assert row[2] == pytest.approx(pca.explained_variance_ratio_.sum(), rel=1e-10)
        assert row[3] == pytest.approx(np.mean((rebuilt - X_test) ** 2), rel=1e-10)
