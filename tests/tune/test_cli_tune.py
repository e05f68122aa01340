"""``retroprop tune CONFIG.toml`` and ``retroprop train --cv K``."""

import csv
import json

import joblib
import numpy as np
import pytest

from retroprop.cli import main
from retroprop.cli.tune import check_search

CONFIG = """
[search]
method = "random"
trials = {trials}
validation_fraction = 0.25
seed = 0

[data]
dataset = "digits"

[estimator]
kind = "MLPClassifier"
max_iter = 5
learning_rate_init = 0.01

[space]
hidden_layer_sizes = {{ choice = [[8], [32]] }}
alpha = {{ log_uniform = [1e-5, 1e-2] }}
"""

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_tune_writes_results_and_resumes(tmp_path, capsys):
    config = tmp_path / "search.toml"
    config.write_text(CONFIG.format(trials=2))
    assert main(["tune", str(config), "--quiet"]) == 0
    output = tmp_path / "search-tune"
    for name in ("search.db", "trials.csv", "best_score.png", "parameters.png",
                 "best_model.rpz", "best.json"):
        assert (output / name).is_file(), name
    assert "test score" in capsys.readouterr().out
    assert main(["tune", str(config), "--quiet"]) == 2  # stored: --resume or another folder
    assert "--resume" in capsys.readouterr().err
    config.write_text(CONFIG.format(trials=3))
    assert main(["tune", str(config), "--quiet", "--resume"]) == 0
    with open(output / "trials.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["number"] for r in rows] == ["0", "1", "2"]
    assert json.loads((output / "best.json").read_text())["trials"] == 3


def test_tune_bad_config_and_unreachable_scheduler(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.format(trials=2).replace("choice = [[8], [32]]", "pick = [8]"))
    assert main(["tune", str(config)]) == 2
    assert "[space] hidden_layer_sizes: write" in capsys.readouterr().err
    config.write_text(CONFIG.format(trials=0))
    assert main(["tune", str(config), "--output", str(tmp_path / "zero")]) == 2
    assert "[search] trials must be a positive integer, got 0" in capsys.readouterr().err
    config.write_text(CONFIG.format(trials=1))
    assert main(["tune", str(config), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "no Dask scheduler answered at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_train_cv_prints_each_fold(capsys):
    assert main(["train", "--cv", "3", "--epochs", "1", "--hidden", "16"]) == 0
    out = capsys.readouterr().out
    assert "3-fold cross-validation of mlp on digits" in out
    assert out.count("\n") >= 6 and "accuracy" in out and "±" in out


def _first_label_csv(path):
    """A CSV file whose label (-1/+1) is its first column and whose features are floats."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    labels = np.where(X[:, 0] + X[:, 1] > 0, 1, -1)
    rows = ["label,a,b,c"] + [f"{v},{a:.4f},{b:.4f},{c:.4f}" for v, (a, b, c) in
                              zip(labels, X, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_train_cv_reads_the_label_column_and_encodes_labels_as_a_run(tmp_path, capsys):
    path = _first_label_csv(tmp_path / "first_label.csv")
    assert main(["train", "--dataset", str(path), "--label-column", "label", "--cv", "3",
                 "--epochs", "5", "--hidden", "8"]) == 0
    accuracy = float(capsys.readouterr().out.split("accuracy ")[-1].split()[0])
    assert accuracy > 0.8  # the labels, not the last feature column, were learned


def test_train_cv_checks_the_settings_as_a_run(capsys):
    assert main(["train", "--cv", "2", "--epochs", "0"]) == 2
    assert "--epochs must be at least 1, got 0" in capsys.readouterr().err
    assert main(["train", "--cv", "1", "--epochs", "1"]) == 2
    assert "--cv (the number of folds) must be an integer >= 2, got 1" in capsys.readouterr().err
    assert main(["train", "--cv", "2", "--epochs", "1", "--hidden", "8", "--patience", "3",
                 "--validation-split", "0"]) == 0
    err = capsys.readouterr().err
    assert "--patience is ignored: --cv" in err and "--validation-split is ignored" in err


def test_a_failed_search_or_fold_is_one_line_without_traceback(monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise RuntimeError("fold 0 failed: ValueError: bad\nTraceback (most recent call last)")

    monkeypatch.setattr("retroprop.cli.cross_validation.cross_validate_config", fail)
    assert main(["train", "--cv", "2"]) == 1
    assert capsys.readouterr().err == "retroprop: error: fold 0 failed: ValueError: bad\n"


def test_tune_reads_a_csv_file_as_train_does_with_label_column_and_missing(tmp_path,
                                                                           monkeypatch, capsys):
    path = _first_label_csv(tmp_path / "first_label.csv")
    lines = path.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ","  # a missing cell in the last feature
    path.write_text("\n".join(lines) + "\n")
    config = tmp_path / "search.toml"
    search = CONFIG.format(trials=1).replace('"digits"', repr(str(path)))
    config.write_text(search.replace(repr(str(path)), repr(str(path)) + "\nlabel_column = "
                                     '"label"\nmissing = "zero"'))
    assert main(["tune", str(config), "--quiet"]) == 2
    assert "missing must be one of ('error', 'mean', 'median', 'drop'), got 'zero'" in \
        capsys.readouterr().err
    assert not (tmp_path / "search-tune").exists()  # the data is loaded before any writing
    config.write_text(search.replace(repr(str(path)), repr(str(path)) + "\nlabel_column = "
                                     '"label"\nmissing = "mean"'))
    seen = _record_training_inputs(monkeypatch)
    assert main(["tune", str(config), "--quiet"]) == 0
    # the label column is not a feature; the missing cell is filled (a trial, the refit)
    assert len(seen) == 1 + 1 and all(X.shape[1] == 3 and np.isfinite(X).all() for X in seen)


@pytest.mark.parametrize(("change", "message"), [
    (('dataset = "digits"', 'datset = "digits"'),
     "unknown [data] keys ['datset']; known: ['dataset', 'label_column', 'missing']"),
    (('dataset = "digits"', 'dataset = "digits"\nlabel_column = 0'),
     "[data] gives label_column, which only a CSV file takes; dataset is 'digits'"),
    (('dataset = "digits"', 'dataset = "digits"\nmissing = 1'),
     "[data]: missing must be a string, got 1 (int)"),
    (("learning_rate_init = 0.01", "learning_rate_init = -1.0"),
     "tune: [estimator] The 'learning_rate_init' parameter of MLPClassifier must be a float "
     "in the range (0.0, inf). Got -1.0 instead."),
])
def test_tune_refuses_a_bad_data_or_estimator_table_before_searching(tmp_path, capsys, change,
                                                                     message):
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.format(trials=2).replace(*change))
    assert main(["tune", str(config), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "bad-tune").exists()


@pytest.mark.parametrize(("change", "message"), [
    (("seed = 0", "seed = 0\ncv = 3"), "[search] gives cv = 3 and validation_fraction = 0.25"),
    (("validation_fraction = 0.25", "validation_fraction = 1.5"),
     "[search] validation_fraction must be a fraction between 0 and 1 (exclusive), got 1.5"),
    (("seed = 0", 'seed = "x"'), "[search] seed must be an integer >= 0, got 'x'"),
    (("trials = 2", "trials = 2.5"), "[search] trials must be a positive integer, got 2.5"),
    (("trials = 2", ""), "[search] needs trials = N"),
    (("seed = 0", 'seed = 0\nmetric = "acc"'), "metric = \"score\" or none, got 'acc'"),
    (("seed = 0", "seed = 0\nworkers = 0"), "[search] workers must be a positive integer or a "
                                             "negative one counting from the CPUs"),
    (("seed = 0", "seed = 0\nworkers = -1000"), "[search] workers = -1000 leaves"),
    (("", ""), "tune: --workers must be a positive integer or a negative one counting from the "
               "CPUs (-1: every CPU, -2: all but one, ...), got 0"),
])
def test_tune_refuses_bad_search_values_by_their_names_before_writing(tmp_path, capsys,
                                                                      change, message):
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.format(trials=2).replace(*change))
    workers = ["--workers", "0"] if change == ("", "") else []
    assert main(["tune", str(config), "--quiet", *workers]) == 2
    err = capsys.readouterr().err
    assert f"retroprop: error: tune {config}: " in err or "--workers" in err
    assert message in err
    assert not (tmp_path / "bad-tune").exists()


def test_tune_workers_count_from_the_cpus_as_n_jobs(monkeypatch):
    """-1 is every CPU, -2 all but one, as rp.tune's n_jobs (joblib's rule)."""
    monkeypatch.setattr(joblib, "cpu_count", lambda: 4)
    check_search({"trials": 2, "workers": -1}, "search.toml", -4)
    with pytest.raises(ValueError, match=r"tune: --workers = -5 leaves 4 \+ 1 \+ \(-5\) = 0 "):
        check_search({"trials": 2}, "search.toml", -5)
    with pytest.raises(ValueError, match=r"\[search\] workers = -5 leaves"):
        check_search({"trials": 2, "workers": -5}, "search.toml", None)


def _record_training_inputs(monkeypatch):
    """The inputs of every network trained from now on (a fold's, a trial's or a refit's)."""
    import retroprop.model_selection as model_selection
    from retroprop.sklearn import MLPClassifier

    seen = []
    fit_module, fit = model_selection.fit_module, MLPClassifier.fit

    def recording_fit_module(build_model, X, *args, **kwargs):
        seen.append(np.array(X))
        return fit_module(build_model, X, *args, **kwargs)

    def recording_fit(self, X, *args, **kwargs):
        seen.append(np.array(X))
        return fit(self, X, *args, **kwargs)

    monkeypatch.setattr(model_selection, "fit_module", recording_fit_module)
    monkeypatch.setattr(MLPClassifier, "fit", recording_fit)
    return seen


def _standardized_on_themselves(X):
    return np.allclose(X.mean(axis=0), 0, atol=1e-5) and np.allclose(X.std(axis=0), 1,
                                                                       atol=1e-4)


def test_train_cv_standardizes_each_fold_with_its_training_rows(tmp_path, monkeypatch,
                                                                  capsys):
    path = _first_label_csv(tmp_path / "first_label.csv")
    seen = _record_training_inputs(monkeypatch)
    assert main(["train", "--dataset", str(path), "--label-column", "label", "--cv", "3",
                 "--epochs", "1", "--hidden", "8"]) == 0
    assert len(seen) == 3 and all(_standardized_on_themselves(X) for X in seen)


def test_tune_standardizes_a_table_with_the_rows_each_trial_trains_on(tmp_path, monkeypatch,
                                                                      capsys):
    path = tmp_path / "table.csv"  # the label is the last column, as [data] takes it
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(120, 3))
    path.write_text("a,b,c,label\n" + "".join(f"{a:.4f},{b:.4f},{c:.4f},{int(a > 3)}\n"
                                               for a, b, c in X))
    config = tmp_path / "search.toml"
    config.write_text(CONFIG.format(trials=1).replace('"digits"', repr(str(path)))
                      .replace("validation_fraction = 0.25", "cv = 3"))
    seen = _record_training_inputs(monkeypatch)
    assert main(["tune", str(config), "--quiet"]) == 0
    assert len(seen) == 3 + 1 and all(_standardized_on_themselves(X) for X in seen)
    assert "test score" in capsys.readouterr().out
