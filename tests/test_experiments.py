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
    result.plot(tmp_path / "gd.png")
    assert (tmp_path / "gd.png").read_bytes()[:4] == b"\x89PNG"


def test_delta_rule_cafeteria():
    result = rp.experiments.delta_rule()
    assert result.data["before"] == 500 and result.data["after"] == pytest.approx(880)
    assert result.data["residual"] == pytest.approx(-30)
    np.testing.assert_allclose(result.data["weights"], [150, 50, 100], atol=1.0)


def test_perceptron_converges_on_separable_and_fails_on_xor_and_eq():
    outcome = rp.experiments.perceptron().data["converged"]
    assert outcome == {"AND": True, "OR": True, "XOR": False, "EQ": False}


def test_initialization_claims():
    data = rp.experiments.initialization().data
    tanh_small = data[("tanh", "N(0, 0.01)")]["activation_var"]
    assert tanh_small[-1] < 1e-2 * tanh_small[0]  # vanishes
    assert data[("tanh", "N(0, 1)")]["saturated"] > 0.5  # saturates
    for key in (("tanh", "Glorot"), ("relu", "He")):
        variances = data[key]["activation_var"]
        assert max(variances) / min(variances) < 10, key


def test_learning_rate_too_small_right_too_big():
    rows = rp.experiments.learning_rate(epochs=8).rows
    small, right, big = (row[2] for row in rows)
    assert right < small and right < big


def test_batch_norm_experiment():
    rows = rp.experiments.batch_norm(epochs=3).rows
    assert rows[1][2] < 0.5 < 2.0 < rows[0][2]


def test_weight_perturbation_is_too_inefficient():
    rows = rp.experiments.weight_perturbation(evaluations=200).rows
    assert rows[1][2] < rows[0][2]  # backprop reaches a lower loss with the same passes


def test_optimizer_paths(tmp_path):
    result = rp.experiments.optimizer_paths(steps=60)
    final = {(row[0], row[1]): row[4] for row in result.rows}
    assert final[("elongated bowl", "newton")] < 1e-10
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


@pytest.mark.parametrize(("name", "options", "message"), [
    ("gradient-descent", {"lr": -0.1}, "lr must be a positive number, got -0.1"),
    ("delta-rule", {"weeks": 0}, "weeks must be a positive number"),
    ("vanishing-gradients", {"epochs": 0}, "epochs must be a positive number"),
    ("optimizer-paths", {"steps": "many"}, "steps must be a positive number"),
])
def test_experiment_parameters_are_validated(name, options, message):
    with pytest.raises(ValueError, match=message):
        rp.experiments.run(name, **options)
