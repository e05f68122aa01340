"""``retroprop tune CONFIG.toml`` and ``retroprop train --cv K``."""

import csv
import json

import pytest

from retroprop.cli import main

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
    assert "n_trials (the budget) must be a positive integer, got 0" in capsys.readouterr().err
    config.write_text(CONFIG.format(trials=1))
    assert main(["tune", str(config), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "no Dask scheduler answered at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_train_cv_prints_each_fold(capsys):
    assert main(["train", "--cv", "3", "--epochs", "1", "--hidden", "16"]) == 0
    out = capsys.readouterr().out
    assert "3-fold cross-validation of mlp on digits" in out
    assert out.count("\n") >= 6 and "accuracy" in out and "±" in out
