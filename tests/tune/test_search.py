"""rp.tune: searches beat a poor default, bad input, failed trials, storage and resume."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import retroprop as rp
from retroprop.model_selection import fit_and_score, is_estimator
from retroprop.parallel import connect
from retroprop.sklearn import MLPClassifier
from tests.tune.problems import build, digits, failing_build

SPACE = {"hidden": rp.tune.choice([4, 16, 64]), "lr": rp.tune.log_uniform(1e-4, 0.5)}
POOR = {"hidden": 4, "lr": 1e-4}


@pytest.fixture(scope="module")
def data():
    return digits()


def _poor_default_score(data):
    (X, y), (X_val, y_val) = data
    X_all, y_all = np.concatenate([X, X_val]), np.concatenate([y, y_val])
    train, test = np.arange(len(X)), np.arange(len(X), len(X_all))
    scores, _ = fit_and_score(build, X_all, y_all, train, test, {"lr": POOR["lr"], "epochs": 3},
                              seed=0, build_args={"hidden": POOR["hidden"]})
    return scores["accuracy"]


@pytest.mark.parametrize("method", ["random", "bayesian", "genetic"])
def test_search_beats_a_poor_default_on_the_digits(data, method):
    (X, y), validation = data
    result = rp.tune(build, SPACE, X, y, method=method, n_trials=8, validation_data=validation,
                     epochs=3, seed=1)
    poor = _poor_default_score(data)
    assert poor < 0.5
    assert result.best_score > poor + 0.3
    assert len(result.trials) == 8 and all(r["state"] == "COMPLETE" for r in result.trials)
    assert result.best_score == max(r["score"] for r in result.trials)
    (_, _), (X_val, y_val) = data
    refit = rp.Trainer(result.best_model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(
        result.best_model.parameters())).evaluate(X_val, y_val)["accuracy"]
    assert refit > poor + 0.3  # retrained on train + validation


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_tries_every_point_once_with_an_estimator(data):
    (X, y), _ = data
    estimator = MLPClassifier(max_iter=5, learning_rate_init=0.01)
    space = {"hidden_layer_sizes": rp.tune.choice([(2,), (32,)]),
             "alpha": rp.tune.choice([1e-4, 1e-2])}
    result = rp.tune(estimator, space, X[:600], y[:600], method="grid", cv=3)
    points = {(r["hidden_layer_sizes"], r["alpha"]) for r in result.trials}
    assert len(result.trials) == 4 and len(points) == 4
    assert result.best_params["hidden_layer_sizes"] == (32,)
    assert isinstance(result.best_model, MLPClassifier) and result.best_model.n_iter_ == 5


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_same_seed_same_trials_serial_or_local_processes(data, n_jobs):
    (X, y), validation = data
    options = dict(method="random", n_trials=4, validation_data=validation, epochs=1, seed=3)
    serial = rp.tune(build, SPACE, X, y, **options)
    parallel = rp.tune(build, SPACE, X, y, n_jobs=n_jobs, **options)
    assert [r["score"] for r in serial.trials] == [r["score"] for r in parallel.trials]
    assert [r["lr"] for r in serial.trials] == [r["lr"] for r in parallel.trials]


def test_bad_search_input(data):
    (X, y), _ = data
    with pytest.raises(ValueError, match="non-empty dict"):
        rp.tune(build, {}, X, y, n_trials=2)
    with pytest.raises(ValueError, match="finite low < high"):
        rp.tune.uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="0 < low"):
        rp.tune.log_uniform(0.0, 1.0)
    with pytest.raises(ValueError, match="non-empty list"):
        rp.tune.choice([])
    with pytest.raises(TypeError, match="'hidden' must be choice"):
        rp.tune(build, {"hidden": [4, 8]}, X, y, n_trials=2)
    with pytest.raises(ValueError, match="'width' is neither an argument of build"):
        rp.tune(build, {"width": rp.tune.choice([4])}, X, y, n_trials=2)
    with pytest.raises(ValueError, match="MLPClassifier has no parameter 'width'"):
        rp.tune(MLPClassifier(), {"width": rp.tune.choice([4])}, X, y, n_trials=2)
    with pytest.raises(ValueError, match=r"n_trials .* positive integer, got 0"):
        rp.tune(build, SPACE, X, y, n_trials=0)
    with pytest.raises(ValueError, match="grid search needs a finite set of values for 'lr'"):
        rp.tune(build, SPACE, X, y, method="grid")


def test_missing_optional_packages_name_the_extra(data, monkeypatch):
    (X, y), _ = data
    monkeypatch.setitem(sys.modules, "optuna", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"rp.tune needs Optuna: pip install retroprop\[tune\]"):
        rp.tune(build, SPACE, X, y, n_trials=1)
    with pytest.raises(ImportError, match=r"dask.distributed: pip install retroprop\[tune\]"):
        connect("tcp://127.0.0.1:9")


def test_a_failing_trial_is_recorded_and_the_search_goes_on(data):
    (X, y), validation = data
    space = {"hidden": rp.tune.choice([4, 16, 32])}
    result = rp.tune(failing_build, space, X, y, method="grid", validation_data=validation,
                     epochs=1)
    failed = [r for r in result.trials if r["state"] == "FAIL"]
    assert len(failed) == 1 and failed[0]["hidden"] == 16
    assert "no 16 today" in failed[0]["error"] and failed[0]["score"] is None
    assert result.best_params["hidden"] in (4, 32)
    with pytest.raises(RuntimeError, match=r"every trial failed.*no 16 today"):
        rp.tune(failing_build, {"hidden": rp.tune.choice([16])}, X, y, method="grid",
                validation_data=validation, epochs=1)


def test_results_csv_and_plots(data, tmp_path):
    (X, y), validation = data
    result = rp.tune(build, SPACE, X, y, n_trials=3, validation_data=validation, epochs=1)
    lines = result.to_csv(tmp_path / "trials.csv").read_text().splitlines()
    assert lines[0] == "number,state,score,hidden,lr,seconds,error" and len(lines) == 4
    paths = result.plot(tmp_path / "plots")
    assert [p.name for p in paths] == ["best_score.png", "parameters.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    np.testing.assert_array_equal(result.running_best(),
                                  np.maximum.accumulate(result.scores()))


def test_storage_refuses_to_overwrite_and_resume_needs_a_file(data, tmp_path):
    (X, y), validation = data
    options = dict(n_trials=2, validation_data=validation, epochs=1,
                   storage=tmp_path / "search.db")
    rp.tune(build, SPACE, X, y, **options)
    with pytest.raises(FileExistsError, match="resume=True"):
        rp.tune(build, SPACE, X, y, **options)
    more = rp.tune(build, SPACE, X, y, **{**options, "n_trials": 3}, resume=True)
    assert [r["number"] for r in more.trials] == [0, 1, 2]
    with pytest.raises(FileNotFoundError, match="no search storage"):
        rp.tune(build, SPACE, X, y, **{**options, "storage": tmp_path / "none.db"},
                resume=True)


def test_resume_reruns_a_trial_left_running_with_its_parameters(data, tmp_path):
    import optuna

    (X, y), validation = data
    options = dict(validation_data=validation, epochs=1, storage=tmp_path / "s.db")
    rp.tune(build, SPACE, X, y, n_trials=2, **options)
    study = optuna.load_study(study_name="retroprop", storage=f"sqlite:///{tmp_path / 's.db'}")
    crashed = study.ask()  # as a search killed while trial 2 ran leaves it
    for name, domain in SPACE.items():
        domain.suggest(crashed, name)
    result = rp.tune(build, SPACE, X, y, n_trials=4, resume=True, **options)
    assert [r["number"] for r in result.trials] == [0, 1, 2, 3]
    assert all(r["state"] == "COMPLETE" for r in result.trials)
    assert result.trials[2]["lr"] == crashed.params["lr"]
    assert result.trials[2]["hidden"] == crashed.params["hidden"]


def _finished(storage):
    import optuna

    try:
        study = optuna.load_study(study_name="retroprop", storage=f"sqlite:///{storage}")
    except Exception:  # not created yet
        return []
    return [t for t in study.trials if t.state.name == "COMPLETE"]


def test_a_killed_search_resumes_without_rerunning_finished_trials(tmp_path):
    storage, n_trials = tmp_path / "killed.db", 8
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    process = subprocess.Popen([sys.executable, "-m", "tests.tune.problems", str(storage),
                                str(n_trials)], cwd=root, env=env)
    deadline = time.monotonic() + 120
    while len(_finished(storage)) < 3 and process.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = {t.number: (t.value, t.user_attrs["pid"]) for t in _finished(storage)}
    assert 3 <= len(before) < n_trials

    from tests.tune.problems import slow_build

    (X, y), (X_val, y_val) = digits(300, 100)
    space = {"hidden": rp.tune.choice([4, 8, 16]), "lr": rp.tune.log_uniform(1e-3, 0.5)}
    result = rp.tune(slow_build, space, X, y, validation_data=(X_val, y_val), n_trials=n_trials,
                     storage=storage, epochs=1, round_size=1, resume=True)
    numbers = [r["number"] for r in result.trials]
    assert numbers == list(range(n_trials))
    after = {t.number: (t.value, t.user_attrs["pid"]) for t in _finished(storage)}
    for number, (value, pid) in before.items():
        assert after[number] == (value, pid) and pid == process.pid  # not rerun
    assert all(after[n][1] == os.getpid() for n in after if n not in before)


def _regression_net(hidden=4):
    return rp.models.mlp([4, hidden, 1])


def test_a_regression_search_refits_the_best_configuration():
    X = np.random.default_rng(0).normal(size=(90, 4)).astype(np.float32)
    y = 2 * X[:, 0]  # 1-D float target: one output per example
    result = rp.tune(_regression_net, {"hidden": rp.tune.choice([2, 8])}, X, y,
                     method="grid", epochs=3)
    assert all(r["state"] == "COMPLETE" for r in result.trials)
    assert result.metric == "loss"
    assert result.best_model(rp.tensor(X)).shape == (90, 1)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_bad_input_is_refused_before_any_trial_runs(data, tmp_path):
    (X, y), (X_val, y_val) = data
    space = {"hidden": rp.tune.choice([4, 8])}
    storage = tmp_path / "search.db"
    cases = [
        (build, X, y, dict(epoch=3), r"tune: unknown training options \['epoch'\]"),
        (build, X, y[:50], {}, "tune: X has 1000 examples but y has 50"),
        (build, X, y, dict(cv=1), r"cv \(the number of folds\) must be an integer >= 2, got 1"),
        (build, X, y, dict(cv=0), r"cv \(the number of folds\) must be an integer >= 2, got 0"),
        (build, X, y, dict(validation_data=(X_val, y_val[:10])),
         "tune: validation_data: X has 500 examples but y has 10"),
        (MLPClassifier(max_iter=5), X, y, dict(epochs=1000, lr=123.0, bogus=1),
         r"tune: training options \['bogus', 'epochs', 'lr'\] are for a model-building "
         "function; set an estimator's parameters on it"),
    ]
    for model, X_given, y_given, options, message in cases:
        searched = {"hidden_layer_sizes": rp.tune.choice([(4,)])} if is_estimator(model) \
            else space
        with pytest.raises(ValueError, match=message):
            rp.tune(model, searched, X_given, y_given, method="grid", storage=storage,
                    **options)
        assert not storage.exists()  # refused before the search was stored


def test_numpy_integers_are_taken_wherever_an_integer_is(data):
    (X, y), _ = data
    assert rp.tune.integer(np.int64(1), np.int64(5)) == rp.tune.integer(1, 5)
    assert rp.tune.integer(np.int64(1), 3).grid("n") == [1, 2, 3]
    space = {"hidden": rp.tune.choice(list(np.arange(4, 6)))}
    result = rp.tune(build, space, X[:300], y[:300], method="random", n_trials=np.int64(2),
                     cv=np.int64(2), round_size=np.int64(2), epochs=1)
    assert [r["state"] for r in result.trials] == ["COMPLETE", "COMPLETE"]
    with pytest.raises(ValueError, match="integer needs integers low <= high"):
        rp.tune.integer(True, 3)
    with pytest.raises(ValueError, match="round_size must be a positive integer, got True"):
        rp.tune(build, space, X, y, n_trials=1, round_size=True)
