"""PosteriorSamples with SGLD (Berzal's "Bayesian fitting"): through the Trainer the kept
weights are posterior draws, their predictions are averaged without touching the model, a
resumed run keeps and continues them, and on the digits the average predicts better than the
last weight vector."""

import numpy as np
import pytest

import retroprop as rp
from tests.train.test_resume import interrupted_then_resumed


class Snapshots(rp.callbacks.Callback):
    """The model's weights at the end of every epoch."""

    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.state_dict())


def test_the_trainer_draws_from_the_posterior_of_bayesian_linear_regression():
    """``MSELoss`` is the negative log-likelihood of y = x·w + N(0, ½) per output (up to a
    constant), so with a prior N(0, λ⁻¹ I) the posterior is N(A⁻¹ 2Xᵀy, A⁻¹), A = λ I +
    2XᵀX. A ``Linear(d, C)`` model holds C independent chains (its C outputs, each fitting
    the same targets); the mean loss divides by the C outputs too, so N C examples make each
    chain's likelihood the data's. Mini-batches of 50 of the 200 examples, samples every 40
    batches after 500."""
    rng = np.random.default_rng(0)
    N, d, chains, precision = 200, 2, 1000, 1.0
    X = rng.standard_normal((N, d))
    y = X @ np.array([1.0, -0.5]) + 0.7 * rng.standard_normal(N)
    A = precision * np.eye(d) + 2 * X.T @ X
    covariance = np.linalg.inv(A)
    mean = covariance @ (2 * X.T @ y)
    rp.manual_seed(0)
    model = rp.nn.Linear(d, chains, bias=False, dtype=np.float64)
    sgld = rp.optim.SGLD(model.parameters(), lr=8e-5, num_examples=N * chains,
                         weight_decay=precision)
    samples = rp.callbacks.PosteriorSamples(burn_in=500, every=40, unit="batch")
    trainer = rp.Trainer(model, rp.nn.MSELoss(), sgld)
    trainer.fit(X, np.repeat(y[:, None], chains, axis=1), epochs=300, batch_size=50,
                callbacks=[samples], verbose=0)
    assert len(samples) == (300 * 4 - 500) // 40
    draws = np.concatenate([sample["weight"] for sample in samples.samples])  # (S C, d)
    std = np.sqrt(np.diag(covariance))
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.05 * std.min())
    np.testing.assert_allclose(np.cov(draws.T), covariance,
                               atol=0.08 * np.abs(covariance).max())
    # the posterior predictive mean of a regression: the samples' mean output
    np.testing.assert_allclose(samples.predict(model, X[:5]),
                               np.mean([X[:5] @ s["weight"].T for s in samples.samples],
                                       axis=0), rtol=1e-10)


@pytest.fixture(scope="module")
def trained(digits):
    X, y, *_ = digits
    rp.manual_seed(0)
    model = rp.models.mlp([64, 16, 10], activation="tanh")
    samples = rp.callbacks.PosteriorSamples(burn_in=3, every=2)
    snapshots = Snapshots()
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGLD(
        model.parameters(), lr=2e-4, num_examples=len(X), weight_decay=1.0))
    trainer.fit(X, y, epochs=10, batch_size=64, callbacks=[samples, snapshots], verbose=0)
    return model, samples, snapshots


def test_burn_in_and_every_choose_the_epochs(trained):
    """burn_in=3, every=2 over 10 epochs: the weights after epochs 5, 7 and 9."""
    _, samples, snapshots = trained
    assert len(samples) == 3
    for sample, epoch in zip(samples.samples, (5, 7, 9), strict=True):
        for name, value in sample.items():
            np.testing.assert_array_equal(value, snapshots.weights[epoch - 1][name])
            assert value.dtype == np.float32


def test_max_samples_keeps_the_most_recent(digits):
    X, y, *_ = digits
    rp.manual_seed(0)
    model = rp.models.mlp([64, 10])
    samples = rp.callbacks.PosteriorSamples(every=1, max_samples=2, unit="batch")
    snapshots = Snapshots()
    rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGLD(model.parameters())).fit(
        X[:100], y[:100], epochs=2, batch_size=20, callbacks=[samples, snapshots], verbose=0)
    assert len(samples) == 2
    np.testing.assert_array_equal(samples.samples[-1]["0.weight"],
                                  snapshots.weights[-1]["0.weight"])
    assert not np.array_equal(samples.samples[0]["0.weight"], samples.samples[1]["0.weight"])


def test_averaging_leaves_the_model_as_it_was_and_gives_probabilities(trained, digits):
    model, samples, _ = trained
    X_test = digits[2][:50]
    before = model.state_dict()
    model.train()
    probabilities = samples.predict_proba(model, X_test)
    assert model.training, "the model's mode is restored"
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert probabilities.shape == (50, 10)
    twin = rp.models.mlp([64, 16, 10], activation="tanh")
    expected = []
    for sample in samples.samples:
        twin.load_state_dict(sample)
        expected.append(rp.Trainer(twin, rp.nn.CrossEntropyLoss(), rp.optim.SGD(
            twin.parameters())).predict_proba(X_test))
    np.testing.assert_allclose(probabilities, np.mean(expected, axis=0), rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_array_equal(samples.predict(model, X_test), probabilities.argmax(axis=1))
    sigmoid = samples.predict_proba(model, X_test, loss=rp.nn.BCEWithLogitsLoss())
    assert (sigmoid.sum(axis=1) > 1.5).all(), "one sigmoid per output, not a softmax"


def test_the_average_of_many_weight_vectors_predicts_better_than_the_last(digits):
    """Berzal's "Bayesian fitting": the posterior average's test log-loss and error are
    lower than those of the last weight vector the same run reached."""
    X, y, X_test, y_test = digits
    rp.manual_seed(0)
    model = rp.models.mlp([64, 32, 10], activation="tanh")
    samples = rp.callbacks.PosteriorSamples(burn_in=30, every=2)
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGLD(
        model.parameters(), lr=0.8 / len(X), num_examples=len(X), weight_decay=1.0),
        metrics=[])
    trainer.fit(X, y, epochs=100, batch_size=64, callbacks=[samples], verbose=0)

    def log_loss(probabilities):
        return -np.log(probabilities[np.arange(len(y_test)), y_test]).mean()

    single, averaged = trainer.predict_proba(X_test), samples.predict_proba(model, X_test)
    assert len(samples) == 35
    assert log_loss(averaged) < 0.85 * log_loss(single)
    assert (averaged.argmax(1) != y_test).mean() < (single.argmax(1) != y_test).mean()


def sgld_with_samples():
    model = rp.nn.Sequential(rp.nn.Linear(64, 16), rp.nn.Tanh(), rp.nn.Linear(16, 10))
    optimizer = rp.optim.SGLD(model.parameters(), lr=1e-4, num_examples=200)
    return model, optimizer, [rp.callbacks.PosteriorSamples(burn_in=4, every=3,
                                                            unit="batch")]


@pytest.mark.parametrize("limit", [5, 12])
def test_a_resumed_run_keeps_its_samples_and_draws_the_same_noise(digits, tmp_path, limit):
    """Stopped after ``limit`` batches and resumed from its checkpoint, SGLD's noise and the
    samples taken are those of the run that was not stopped, bit for bit."""
    X, y, *_ = digits
    reference, resumed = interrupted_then_resumed(sgld_with_samples, (X, y), tmp_path, limit)
    kept, again = reference._callbacks[0].samples, resumed._callbacks[0].samples
    assert len(kept) == len(again) == (3 * 7 - 4) // 3
    for a, b in zip(kept, again, strict=True):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])


def test_each_fit_starts_a_new_collection(digits):
    X, y, *_ = digits
    model = rp.models.mlp([64, 10])
    samples = rp.callbacks.PosteriorSamples()
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGLD(model.parameters()))
    for _ in range(2):
        trainer.fit(X[:64], y[:64], epochs=2, callbacks=[samples], verbose=0)
        assert len(samples) == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(burn_in=-1), "PosteriorSamples: burn_in must be an integer >= 0, got -1"),
    (dict(every=0), "PosteriorSamples: every must be a positive integer, got 0"),
    (dict(max_samples=0), "PosteriorSamples: max_samples must be a positive integer or None"),
    (dict(unit="step"), r"PosteriorSamples: unit must be one of \('epoch', 'batch'\), got "
                        "'step'"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rp.callbacks.PosteriorSamples(**kwargs)


def test_predicting_without_samples_or_with_a_non_module_is_refused():
    samples = rp.callbacks.PosteriorSamples(burn_in=5)
    model = rp.models.mlp([2, 2])
    with pytest.raises(ValueError, match="no samples to average; fit with this callback for "
                       "more than burn_in"):
        samples.predict_proba(model, np.zeros((1, 2)))
    with pytest.raises(TypeError, match="model must be a Module"):
        samples.predict_proba(model.state_dict(), np.zeros((1, 2)))
    samples.samples.append(model.state_dict())
    with pytest.raises(TypeError, match="loss must be a loss such as"):
        samples.predict_proba(model, np.zeros((1, 2)), loss="softmax")
    with pytest.raises(ValueError, match=r"at least one example, got shape \(0, 2\)"):
        samples.predict_proba(model, np.zeros((0, 2)))


def test_saved_samples_load_and_predict_the_same(trained, digits, tmp_path):
    model, samples, _ = trained
    samples.save(tmp_path / "posterior.npz")
    loaded = rp.callbacks.PosteriorSamples().load(tmp_path / "posterior.npz")
    assert len(loaded) == len(samples)
    for a, b in zip(samples.samples, loaded.samples, strict=True):
        assert list(a) == list(b)
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
            assert a[name].dtype == b[name].dtype
    X_test = digits[2][:20]
    np.testing.assert_array_equal(loaded.predict_proba(model, X_test),
                                  samples.predict_proba(model, X_test))


def test_files_that_save_did_not_write_are_refused(tmp_path):
    np.savez(tmp_path / "other.npz", weight=np.ones(3))
    with pytest.raises(rp.errors.DataFileError, match="not '<sample>:<name>'"):
        rp.callbacks.PosteriorSamples().load(tmp_path / "other.npz")
    np.savez(tmp_path / "gap.npz", **{"0:w": np.ones(2), "2:w": np.ones(2)})
    with pytest.raises(rp.errors.DataFileError, match=r"holds samples \[0, 2\]"):
        rp.callbacks.PosteriorSamples().load(tmp_path / "gap.npz")
    with pytest.raises(ValueError, match="no samples to save"):
        rp.callbacks.PosteriorSamples().save(tmp_path / "empty.npz")
