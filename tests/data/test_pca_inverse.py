"""PCA.inverse_transform: reconstruction from the kept components, as scikit-learn's."""

import numpy as np
import pytest
from sklearn.decomposition import PCA as SkPCA

import retroprop as rp


@pytest.mark.parametrize("whiten", [False, True])
@pytest.mark.parametrize("k", [2, 5])
def test_inverse_transform_matches_scikit_learn(whiten, k):
    X = np.random.default_rng(0).normal(size=(60, 5)) @ np.diag([5, 3, 1, 0.5, 0.1]) + 7
    ours = rp.data.PCA(n_components=k, whiten=whiten, eps=0.0).fit(X)
    reference = SkPCA(n_components=k, whiten=whiten).fit(X)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)),
                               reference.inverse_transform(reference.transform(X)),
                               atol=1e-10)
    if k == 5:  # all components: the inputs come back
        np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X, atol=1e-10)


def test_reconstruction_error_is_the_discarded_variance():
    X = np.random.default_rng(1).normal(size=(200, 6)) * [4, 3, 2, 1, 0.5, 0.25]
    full = rp.data.PCA().fit(X)
    for k in (1, 3, 5):
        pca = rp.data.PCA(n_components=k).fit(X)
        error = ((pca.inverse_transform(pca.transform(X)) - X) ** 2).sum() / (len(X) - 1)
        assert error == pytest.approx(full.explained_variance_[k:].sum(), rel=1e-10)


def test_inverse_transform_errors():
    pca = rp.data.PCA(n_components=2)
    with pytest.raises(RuntimeError, match="call fit before inverse_transform"):
        pca.inverse_transform(np.zeros((3, 2)))
    pca.fit(np.random.default_rng(0).normal(size=(10, 4)))
    with pytest.raises(ValueError, match="Z has 3 components, the PCA keeps 2"):
        pca.inverse_transform(np.zeros((3, 3)))
