import numpy as np
import pytest
from sklearn.decomposition import PCA as SkPCA

import retroprop as rp


def test_train_val_test_split_sizes_and_disjointness():
    X = np.arange(100).reshape(100, 1)
    y = np.arange(100)
    (a, ya), (b, _), (c, _) = rp.data.train_val_test_split(X, y, 0.2, 0.1, seed=0)
    assert (len(a), len(b), len(c)) == (70, 20, 10)
    assert sorted(np.concatenate([ya, b[:, 0], c[:, 0]]).tolist()) == list(range(100))
    with pytest.raises(ValueError, match="leaves no training data"):
        rp.data.train_val_test_split(X, y, 0.5, 0.5)
    with pytest.raises(ValueError, match="X has 100 rows but y has 3"):
        rp.data.train_val_test_split(X, y[:3])


def test_kfold_uses_each_example_once_for_validation():
    folds = list(rp.data.KFold(4, shuffle=True, seed=1).split(np.zeros(10)))
    validation = np.concatenate([val for _, val in folds])
    assert sorted(validation.tolist()) == list(range(10))
    for train, val in folds:
        assert not set(train) & set(val) and len(train) + len(val) == 10
    with pytest.raises(ValueError, match="n_splits must be an integer >= 2"):
        rp.data.KFold(1)


def test_standard_scaler_gives_z_scores():
    X = np.random.default_rng(0).normal(5, 3, (500, 4)).astype(np.float32)
    X[:, 3] = 7.0
    Z = rp.data.StandardScaler().fit_transform(X)
    np.testing.assert_allclose(Z[:, :3].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z[:, :3].std(axis=0), 1, atol=1e-5)
    np.testing.assert_array_equal(Z[:, 3], 0)
    assert Z.dtype == np.float32


@pytest.mark.parametrize("transform", [rp.data.StandardScaler(), rp.data.PCA(2)],
                         ids=["StandardScaler", "PCA"])
def test_scaler_and_pca_refuse_missing_values_and_other_feature_counts(transform):
    name = type(transform).__name__
    X = np.random.default_rng(0).normal(size=(20, 4))
    X[3, 1], X[5, 2] = np.nan, np.inf
    with pytest.raises(ValueError, match=rf"{name}.fit: X holds 1 NaN and 1 infinite values "
                                         r"\(first at index \(3, 1\)\)"):
        transform.fit(X)
    with pytest.raises(ValueError, match=f"{name}.fit: X must hold numbers, got dtype <U1"):
        transform.fit(np.full((20, 4), "a"))
    transform.fit(np.nan_to_num(X, posinf=0.0))
    with pytest.raises(ValueError, match=f"{name}.transform: X has 3 features, it was fitted "
                                         "on 4"):
        transform.transform(np.ones((20, 3)))


def test_pca_decorrelates_and_whitens():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 3)) @ np.array([[3, 1, 0], [0, 1, 0.5], [0, 0, 0.2]])
    pca = rp.data.PCA(whiten=True).fit(X)
    Z = pca.transform(X)
    np.testing.assert_allclose(np.cov(Z.T), np.eye(3), atol=1e-6)
    reference = SkPCA(n_components=2).fit(X)
    ours = rp.data.PCA(n_components=2).fit(X)
    np.testing.assert_allclose(np.abs(ours.components_), np.abs(reference.components_), atol=1e-8)
    np.testing.assert_allclose(ours.explained_variance_, reference.explained_variance_)


@pytest.mark.parametrize("splitter", [rp.data.KFold, rp.data.StratifiedKFold])
def test_kfold_takes_numpy_integers_and_refuses_bools(splitter):
    y = np.arange(9) % 3
    folds = list(splitter(np.int64(3), shuffle=True, seed=np.int64(0)).split(y, y))
    assert len(folds) == 3 and type(splitter(np.int64(3)).n_splits) is int
    with pytest.raises(ValueError, match=r"n_splits must be an integer >= 2, got True"):
        splitter(True)


def test_batch_indices_takes_numpy_integers_and_refuses_bools():
    batches = list(rp.data.batch_indices(10, np.int64(4), shuffle=False))
    assert [len(b) for b in batches] == [4, 4, 2]
    with pytest.raises(ValueError, match=r"batch_size .* must be a positive integer, got True"):
        list(rp.data.batch_indices(10, True))
    with pytest.raises(ValueError, match=r"batch_size .* must be a positive integer, got 0"):
        list(rp.data.batch_indices(10, 0))
