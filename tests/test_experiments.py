"""Each experiment in a reduced configuration; the assertions are the lectures' claims."""

import subprocess
import sys

import numpy as np
import pytest

import retroprop as rp


def test_gradient_descent_iterates_of_seed_004(tmp_path):
    result = rp.experiments.gradient_descent()
    np.testing.assert_allclose(result.data["iterates"], [7, 3.4, 4.12, 3.976, 4.0048])
    assert "4.0048" in result.table()
    # too small, right, too big: x_k = 4 + 3 (1 - 2η)^k, the closed form of each curve
    for rate, (steps, x) in zip((0.05, 0.6, 1.05), result.panels[0].curves.values(),
                                strict=True):
        np.testing.assert_allclose(x, 4 + 3 * (1 - 2 * rate) ** np.array(steps), rtol=1e-12)
    small, right, big = (np.abs(np.array(x) - 4) for _, x in result.panels[0].curves.values())
    assert small[-1] > 0.3 and right[-1] < 1e-12 and big[-1] > 5 * big[0]
    result.plot(tmp_path / "gd.png")
    assert (tmp_path / "gd.png").read_bytes()[:4] == b"\x89PNG"


def test_delta_rule_cafeteria_as_on_the_slide():
    result = rp.experiments.delta_rule()
    assert result.data["before"] == 500 and result.data["after"] == pytest.approx(880)
    assert result.data["residual"] == pytest.approx(-30)
    np.testing.assert_allclose(result.data["delta"], [50, 20, 30])  # Δw = (+50, +20, +30)
    assert result.data["coffee_got_worse"]
    assert "the coffee estimate got worse" in result.table()
    assert "η = 1/35" in result.table()
    # the long run keeps the slide's fixed η = 1/35 and still learns the prices
    np.testing.assert_allclose(result.data["weights"], [50, 150, 100], atol=0.01)


def test_perceptron_converges_on_separable_and_fails_on_xor_and_eq(tmp_path):
    result = rp.experiments.perceptron()
    assert result.data["converged"] == {"AND": True, "OR": True, "XOR": False, "EQ": False}
    assert [run.converged for run in result.data["runs"].values()] == [True, True, False,
                                                                       False]
    for gate in ("XOR", "EQ"):  # no separating line: a mistake every epoch, and the
        run = result.data["runs"][gate]  # weights cycle through the same few vectors
        assert min(run.mistakes) > 0 and len(run.mistakes) == 50
        assert len(np.unique(run.path, axis=0)) < 10 < len(run.path)
    result.plot(tmp_path / "perceptron.png")
    assert (tmp_path / "perceptron.png").stat().st_size > 30_000  # not an empty figure


def test_perceptron_in_weight_space_adds_or_subtracts_the_input():
    from retroprop.experiments.perceptron import LINE_INPUTS, LINE_TARGETS, add_or_subtract

    run = rp.experiments.perceptron().data["weight_space"]
    inputs = np.hstack([np.ones((4, 1)), LINE_INPUTS])
    steps = np.diff(run.path, axis=0)
    for step in steps:  # each step is plus or minus one input vector
        assert any(np.array_equal(step, s * x) for x in inputs for s in (1, -1))
    final = run.path[-1]
    side = np.where(LINE_TARGETS == 1, 1, -1)
    assert np.all(side * (inputs @ final) > 0)  # inside the feasible cone
    assert run.converged and len(steps) == 11
    with pytest.raises(ValueError, match="targets must hold 0 or 1"):
        add_or_subtract(LINE_INPUTS, np.array([1, -1, 0, 0]))


def test_initialization_claims():
    data = rp.experiments.initialization().data
    small, glorot = data[("tanh", "N(0, 0.01)")], data[("tanh", "Glorot")]
    # too small: the activations vanish forwards, the error δ backwards (×0.5 a layer),
    # and every layer's weight gradient is far smaller than under Glorot
    assert small["activation_var"][-1] < 1e-2 * small["activation_var"][0]
    assert small["delta_var"][0] < 1e-2 * small["delta_var"][-1]
    assert max(small["gradient_var"]) < 0.05 * min(glorot["gradient_var"])
    # too large: tanh saturates (and, 50 units wide, δ grows towards the input); ReLU explodes
    large = data[("tanh", "N(0, 1)")]
    assert large["saturated"] > 0.5 and large["delta_var"][0] > 100 * large["delta_var"][-1]
    relu_large = data[("relu", "N(0, 1)")]["activation_var"]
    assert relu_large[-1] > 1e10 * relu_large[0]
    # Glorot on tanh and He on ReLU keep the variance of activations and weight gradients
    for key in (("tanh", "Glorot"), ("relu", "He")):
        for measure in ("activation_var", "gradient_var"):
            variances = data[key][measure]
            assert max(variances) / min(variances) < 10, (key, measure)


def test_learning_rate_too_small_right_too_big():
    result = rp.experiments.learning_rate(epochs=30)
    curves = [np.array(curve) for _, curve in result.panels[0].curves.values()]
    small, right, big = curves
    assert np.all(np.diff(small) < 0) and small[-1] > 0.9 * small[0]  # slow progress
    assert np.all(np.diff(right) < 0) and right[-1] < 0.2 * right[0]  # steady descent
    # too big: E moves away from the minimum, rising far above its start and swinging
    assert big[-1] > 10 * big[0] and np.all(big[1:] > right[1:])
    assert np.sum(np.diff(big) > 0) >= 5 and np.sum(np.diff(big) < 0) >= 5
    assert [row[4] for row in result.rows] == [0, 0, np.sum(np.diff(big) > 0)]


def test_batch_norm_experiment():
    rows = rp.experiments.batch_norm(epochs=3).rows
    assert rows[1][2] < 0.5 < 2.0 < rows[0][2]


def test_activity_perturbation_beside_weight_perturbation():
    result = rp.experiments.weight_perturbation(epochs=100)
    weight, activity, backprop = (row[3] for row in result.rows)
    assert [row[1] for row in result.rows] == [200, 200, 200]  # the same passes
    # "demasiado ineficiente" < "una alternativa menos mala" < backpropagation
    assert backprop < 0.5 * activity and activity < weight - 0.1
    curves = result.data["curves"]
    assert all(len(curve) == 200 for curve in curves.values())
    assert np.all(np.diff(curves["weight perturbation"]) <= 0)  # only improvements kept


def test_activity_perturbation_reads_the_backpropagated_derivative():
    from retroprop.experiments import perturbation

    X, y, _, _ = rp.experiments.digits.flat_digits(np.float64)
    model = perturbation._network(0)
    layer = model[0]
    base, _ = perturbation._example_losses(model, X[:50], y[:50], layer, 3, 0.0)
    moved, _ = perturbation._example_losses(model, X[:50], y[:50], layer, 3, 1e-6)
    loss = rp.nn.CrossEntropyLoss(reduction="sum")(model(rp.Tensor(X[:50], dtype=np.float64)),
                                                   y[:50])
    loss.backward()
    # dE/db_j sums dE_n/dz_j over the examples: the finite differences of the activity
    assert ((moved - base) / 1e-6).sum() == pytest.approx(layer.bias.grad[3], rel=1e-4)


def test_optimizer_paths(tmp_path):
    result = rp.experiments.optimizer_paths(steps=60)
    final = {(row[0], row[1]): row[4] for row in result.rows}
    assert final[("elongated bowl", "newton")] < 1e-10
    # Newton seeks any point of zero gradient: it lands on the saddle point (0, 0) itself
    saddle = next(row for row in result.rows if row[:2] == ["saddle", "newton"])
    assert saddle[2:] == [0, 0, 0]
    assert final[("rosenbrock", "l-bfgs")] < 1e-3
    # momentum escapes the saddle point faster than plain gradient descent
    assert final[("saddle", "momentum")] < 0 < final[("saddle", "gradient descent")]
    assert final[("rosenbrock", "gradient descent")] < 24.2  # a stable rate: progress
    result.plot(tmp_path / "paths.png")
    assert (tmp_path / "paths.png").stat().st_size > 10_000


def test_unknown_experiments_list_the_known_ones():
    with pytest.raises(ValueError, match="known: gradient-descent, delta-rule"):
        rp.experiments.run("backprop-magic")
    result = subprocess.run([sys.executable, "-m", "retroprop.cli", "experiment", "nope"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "unknown experiment 'nope'" in result.stderr


def test_command_line_experiment(tmp_path):
    result = subprocess.run([sys.executable, "-m", "retroprop.cli", "experiment",
                             "delta-rule", "--output", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "880" in result.stdout and (tmp_path / "delta-rule.png").is_file()


def test_epochs_reach_every_experiment_that_trains():
    for name in rp.experiments.EXPERIMENTS:
        parameter = rp.experiments.trains(name)
        if parameter is None:
            with pytest.raises(ValueError, match=f"experiment '{name}' does not train"):
                rp.experiments.run(name, epochs=3)
        else:  # the count is passed on under the experiment's own name, and validated
            with pytest.raises(ValueError, match=f"{parameter} must be a positive integer"):
                rp.experiments.run(name, epochs=-1)
    assert rp.experiments.trains("perceptron") == "max_epochs"
    assert rp.experiments.run("delta-rule", epochs=7).rows[-1][0] == "after 7 weeks"


def test_command_line_epochs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "retroprop.cli", "experiment",
                             "perceptron", "--epochs", "3", "--output", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "not linearly separable within 3 epochs" in result.stdout
    result = subprocess.run([sys.executable, "-m", "retroprop.cli", "experiment",
                             "convolution", "--epochs", "3", "--output", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "'convolution' does not train" in result.stderr


@pytest.mark.parametrize(("name", "options", "message"), [
    ("gradient-descent", {"lr": -0.1}, "lr must be a positive finite number, got -0.1"),
    ("delta-rule", {"weeks": 0}, "weeks must be a positive integer, got 0"),
    ("vanishing-gradients", {"epochs": 0}, "epochs must be a positive integer"),
    ("optimizer-paths", {"steps": "many"}, "steps must be a positive integer, got 'many'"),
    # counts given as floats were a TypeError from deep inside NumPy or range()
    ("gradient-descent", {"steps": 2.5}, r"steps must be a positive integer, got 2.5"),
    ("delta-rule", {"weeks": 2.5}, "weeks must be a positive integer, got 2.5"),
    ("initialization", {"batch": 2.5}, "batch must be a positive integer, got 2.5"),
    ("initialization", {"depth": 1}, "depth must be an integer >= 2, got 1"),
    ("optimizer-paths", {"steps": 2.5}, "steps must be a positive integer, got 2.5"),
    ("weight-perturbation", {"epochs": 2.5}, "epochs must be a positive integer"),
    ("batch-norm", {"depth": 2.5}, "depth must be a positive integer, got 2.5"),
    ("denoising-autoencoder", {"epochs": 2.5}, "epochs must be a positive integer"),
    ("generative-pretraining", {"labelled": 2.5}, "labelled must be a positive integer"),
    ("rprop-mini-batches", {"rounds": 2.5}, "rounds must be a positive integer"),
    ("momentum-velocity", {"steps": 2.5}, "steps must be a positive integer"),
    ("momentum-velocity", {"momenta": ("fast",)}, "each momentum must be in"),
    ("quadratic-steps", {"size": 2.0}, "size must be an integer >= 2, got 2.0"),
    ("network-capacity", {"datasets": 1.5}, "datasets must be a positive integer"),
    ("input-normalization", {"max_steps": 2.5}, "max_steps must be a positive integer"),
    ("pca-compression", {"shown": 2.5}, "shown must be a positive integer"),
    ("vanishing-gradients", {"n": 2.5}, "n must be a positive integer, got 2.5"),
    ("activations", {"points": 2.5}, "points must be an integer >= 2, got 2.5"),
    # an infinite rate was an OverflowError from Fraction
    ("delta-rule", {"eta": float("inf")}, "eta must be a positive finite number, got inf"),
    ("gradient-descent", {"rates": (0.1, 0.6)}, "rates must be three learning rates"),
    # empty lists were an IndexError
    ("chain-rule", {"points": ()}, "points must hold at least one x > 0"),
    ("polynomial-fit", {"degrees": ()}, "degrees must be a non-empty sequence of integers"),
    ("pca-compression", {"components": ()}, "components must be a non-empty sequence"),
    ("vanishing-gradients", {"hidden_layers": ()}, "hidden_layers must be a non-empty"),
    ("network-capacity", {"widths": (2, 0)}, r"widths\[1\] must be a positive integer, got 0"),
    ("generative-pretraining", {"hidden": (100, 0)}, r"hidden\[1\] must be a positive integer"),
    ("bayesian-fitting", {"every": 2.5}, "every must be a positive integer, got 2.5"),
    ("bayesian-fitting", {"burn_in": 200}, "burn_in must be smaller than epochs"),
    ("bayesian-fitting", {"temperatures": ()}, "temperatures must be a non-empty sequence"),
    ("bayesian-fitting", {"n": 5000}, "n must be an integer <= 1438"),
    ("invariance", {"n": 5000}, "n must be an integer <= 1438"),
    ("invariance", {"max_shift": 8}, r"max_shift must be an integer in \[0, 7\].*got 8"),
    ("invariance", {"max_shift": 1.5}, "max_shift must be an integer >= 0, got 1.5"),
    ("invariance", {"max_degrees": -5}, r"max_degrees must be in \[0, 180\], got -5"),
    ("invariance", {"distorted": 1.5}, r"distorted must be in \[0, 1\], got 1.5"),
    ("invariance", {"channels": (8,)}, "channels must be two counts of feature maps"),
    ("invariance", {"hidden": ()}, "hidden must be a non-empty sequence"),
    ("invariance", {"shifts": (0, 9)}, r"shifts\[1\] must be an integer in \[0, 7\], got 9"),
    ("invariance", {"angles": (0, 200)}, r"angles must be a non-empty sequence.*\[0, 180\]"),
    ("invariance", {"angles": "10"}, "angles must be a non-empty sequence"),
    ("invariance", {"lr": 0}, "lr must be a positive finite number, got 0"),
])
def test_experiment_parameters_are_validated(name, options, message):
    with pytest.raises(ValueError, match=message):
        rp.experiments.run(name, **options)


@pytest.mark.parametrize(("name", "options"), [
    ("polynomial-fit", {"degrees": (np.int64(1), np.int64(3))}),
    ("pca-compression", {"components": np.array([2, 5])}),
    ("quadratic-steps", {"size": np.int64(3)}),
    ("perceptron", {"max_epochs": np.int64(5)}),
    ("delta-rule", {"weeks": np.int32(5)}),
    ("generative-pretraining", {"labelled": np.int64(20), "hidden": (np.int64(8),),
                                "epochs": np.int64(2), "pretrain_epochs": np.int64(1)}),
    ("invariance", {"epochs": np.int64(1), "n": np.int64(40), "hidden": (np.int64(8),),
                    "channels": np.array([2, 2]), "max_shift": np.int64(1),
                    "shifts": np.array([0, 1]), "angles": np.array([0, 10])}),
])
def test_numpy_integers_count_as_integers(name, options):
    result = rp.experiments.run(name, **options)
    assert result.rows


def test_bayesian_fitting_averages_beat_single_weight_vectors(tmp_path):
    """Berzal's "Bayesian fitting": the average of the predictive distributions of many
    SGLD weight vectors of one architecture predicts better than the vectors alone."""
    result = rp.experiments.bayesian_fitting(n=300, epochs=60, burn_in=20, every=2, hidden=32)
    for temperature in (1.0, 0.1):
        run = result.data[temperature]
        single, average = run["single"], run["average"]
        assert single.shape == average.shape == (20, 2)
        np.testing.assert_allclose(average[0], single[0], rtol=1e-6)  # the mean of one
        assert (average[-1] < single.mean(axis=0)).all()  # log-loss and error
        assert run["better"] >= 12, run["better"]  # of the 19 k >= 2
        np.testing.assert_allclose(run["all"], average[-1], rtol=1e-5)
    at_one = result.data[1.0]["average"][:, 0]
    assert at_one[-1] < 0.7 * at_one[0]  # at T = 1, 20 vectors: 0.41 against 0.68
    assert "SGD: one weight vector" in result.table()
    result.plot(tmp_path / "bayesian.png")
    assert (tmp_path / "bayesian.png").stat().st_size > 30_000


def test_bayesian_fitting_takes_the_command_lines_epochs():
    """``retroprop experiment bayesian-fitting --epochs 8`` runs: the burn-in defaults to a
    quarter of the epochs (50 of the default 200), not a fixed 50 that 8 epochs refuse."""
    result = rp.experiments.run("bayesian-fitting", epochs=8, n=40, hidden=4,
                                temperatures=(1.0,))
    assert result.data[1.0]["single"].shape == (2, 2)  # epochs 3 and 6 after 2
    assert "a weight vector every 3 epochs after 2" in result.notes[0]


@pytest.mark.parametrize(("options", "message"), [
    (dict(epochs=4, burn_in=3, every=3), r"epochs=4, burn_in=3 and every=3 keep no weight "
                                         r"vector \(\(4 - 3\) // 3 = 0\)"),
    (dict(epochs=2, every=3), r"epochs=2, burn_in=0 and every=3 keep no weight vector"),
])
def test_bayesian_fitting_refuses_settings_that_keep_no_weight_vector(options, message):
    with pytest.raises(ValueError, match=message):
        rp.experiments.bayesian_fitting(n=40, hidden=4, temperatures=(1.0,), **options)


def test_regularization_shows_overfitting_and_a_binding_max_norm(tmp_path):
    result = rp.experiments.regularization()
    data = result.data
    assert data["none"]["overfits"]
    none = data["none"]["validation"]
    assert none[-1] > 1.05 * none.min() and data["none"]["train"][-1] < 0.01
    assert any("none over-fits" in note for note in result.notes)
    # the plotted validation loss leaves the penalty out; the Trainer's val_loss keeps it
    np.testing.assert_allclose(none, data["none"]["val_loss_with_penalty"], rtol=1e-5)
    l2 = data["L2 (λ = 1e-3)"]
    assert np.all(l2["val_loss_with_penalty"] > l2["validation"] + 1e-3)
    bound = data["max-norm 1"]
    assert bound["largest_norm"] <= 1 + 1e-5 < data["none"]["largest_norm"]
    assert bound["at_bound"] > bound["units"] // 2  # the bound binds
    assert len(data["early stopping (patience 20)"]["validation"]) < 300
    # "dropout reduce significativamente el error": on the wide ReLU network, dropout 0.5
    # lowers the best and the final validation loss and the test error
    plain, dropped = data["none, ReLU 256"], data["dropout 0.5, ReLU 256"]
    assert dropped["validation"].min() < 0.85 * plain["validation"].min()
    assert dropped["validation"][-1] < plain["validation"][-1]
    assert dropped["test_error"] < plain["test_error"] - 0.01
    result.plot(tmp_path / "regularization.png")
    assert (tmp_path / "regularization.png").stat().st_size > 50_000


def test_experiments_that_train_report_their_progress():
    import io

    from retroprop.callbacks.progress import reporting_fits

    stream = io.StringIO()
    with reporting_fits("batch-norm", stream):
        rp.experiments.run("batch-norm", epochs=2)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("batch-norm: fit 1, epoch ") and "/2, loss " in lines[0]
    assert lines[-1].startswith("batch-norm: fit 2, epoch 2/2")
    assert not rp.callbacks.progress.reporting_callbacks()  # outside the block: nothing
