import warnings

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


@pytest.mark.parametrize("n, val_size, test_size", [(4, 0.45, 0.45), (2, 0.3, 0.4), (0, 0.1, 0.1)])
def test_train_val_test_split_refuses_sizes_that_round_to_no_training_rows(n, val_size,
                                                                             test_size):
    X, y = np.zeros((n, 2)), np.zeros(n)
    with pytest.raises(ValueError, match=rf"of {n} rows, val_size={val_size} takes .* which "
                                         "leaves no training data"):
        rp.data.train_val_test_split(X, y, val_size, test_size, seed=0)


@pytest.mark.parametrize("value", ["0.1", None, True, float("nan")])
def test_train_val_test_split_names_a_size_that_is_not_a_fraction(value):
    with pytest.raises(ValueError, match=r"train_val_test_split: val_size must be in \[0, 1\)"):
        rp.data.train_val_test_split(np.zeros((10, 2)), np.zeros(10), val_size=value)


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value", [0.1, 0.3, 1e5 + 0.1])
def test_a_constant_feature_stays_constant_as_in_scikit_learn(dtype, value):
    from sklearn.preprocessing import StandardScaler as SkScaler

    X = np.column_stack([np.full(10, value), np.arange(10.0)]).astype(dtype)
    ours, reference = rp.data.StandardScaler().fit(X), SkScaler().fit(X)
    assert ours.scale_[0] == 1.0 and reference.scale_[0] == 1.0
    near = X[:2] + np.array([1e-3, 0], dtype)  # a test value a little off the constant
    for rows in (X, near):
        np.testing.assert_allclose(ours.transform(rows), reference.transform(rows), atol=1e-6)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X, rtol=1e-6)


def test_scaler_statistics_of_float32_data_are_accumulated_in_float64():
    from sklearn.preprocessing import StandardScaler as SkScaler

    X = np.random.default_rng(0).normal(1000, 1, (100_000, 3)).astype(np.float32)
    ours, reference = rp.data.StandardScaler().fit(X), SkScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, reference.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scale_, reference.scale_, rtol=1e-10)
    Z = ours.transform(X)
    assert Z.dtype == np.float32 and ours.transform(X.astype(np.int64)).dtype == np.float32
    np.testing.assert_allclose(Z, reference.transform(X), atol=1e-3)


def test_scaler_inverse_transform_is_checked_as_transform():
    with pytest.raises(RuntimeError, match="call fit before inverse_transform"):
        rp.data.StandardScaler().inverse_transform(np.ones((2, 3)))
    scaler = rp.data.StandardScaler().fit(np.arange(8.0).reshape(4, 2))
    with pytest.raises(ValueError, match=r"StandardScaler.inverse_transform: X has 3 features, "
                                         r"it was fitted on 2"):
        scaler.inverse_transform(np.ones((2, 3)))
    assert scaler.inverse_transform(np.ones((2, 2), np.float32)).dtype == np.float32


def test_pca_takes_numpy_integers_and_refuses_bools():
    X = np.random.default_rng(0).normal(size=(20, 4))
    assert rp.data.PCA(np.int64(2)).fit(X).components_.shape == (2, 4)
    with pytest.raises(ValueError, match=r"PCA: n_components must be a positive integer or "
                                         r"None \(all\), got True"):
        rp.data.PCA(True)


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


def test_stratified_kfold_warns_of_a_class_smaller_than_the_folds():
    y = np.array([0] * 6 + [1] * 2)
    with pytest.warns(UserWarning, match=r"least populated class in y has 2 members, fewer "
                                         r"than n_splits=3") as caught:
        folds = list(rp.data.StratifiedKFold(3).split(y, y))
    assert caught[0].filename == __file__
    assert sum(1 in y[validation] for _, validation in folds) == 2  # one fold lacks it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(rp.data.StratifiedKFold(2).split(y, y))
