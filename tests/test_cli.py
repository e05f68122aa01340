"""The command line, end to end, in subprocesses."""

import subprocess
import sys

import pytest

from retroprop.cli import main


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "retroprop.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_train_then_evaluate(tmp_path):
    trained = run("train", "--epochs", "2", "--output", str(tmp_path / "run"))
    assert trained.returncode == 0, trained.stderr
    assert "test accuracy" in trained.stdout
    for name in ("model.rpz", "history.csv", "learning_curves.png", "config.json"):
        assert (tmp_path / "run" / name).is_file()
    assert (tmp_path / "run" / "learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    evaluated = run("evaluate", str(tmp_path / "run" / "model.rpz"))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "digits: test loss" in evaluated.stdout and "confusion matrix" in evaluated.stdout
    assert len(evaluated.stdout.strip().splitlines()) == 2 + 1 + 10


def test_default_training_on_digits_reaches_095(tmp_path, capsys):
    assert main(["train", "--output", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert accuracy >= 0.95


def test_config_file_and_flag_precedence(tmp_path, capsys):
    config = tmp_path / "train.toml"
    config.write_text('[train]\nepochs = 1\nhidden = "16"\nlr = 0.1\n')
    assert main(["train", "--config", str(config), "--epochs", "2", "--quiet",
                 "--output", str(tmp_path / "run")]) == 0
    lines = (tmp_path / "run" / "history.csv").read_text().strip().splitlines()
    assert len(lines) == 1 + 2
    assert '"hidden": "16"' in (tmp_path / "run" / "config.json").read_text()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("args", "message"), [
    (["train", "--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["train", "--hidden", "a,b"], "--hidden must be comma-separated integers"),
    (["train", "--optimizer", "adamx", "--epochs", "1"], "unknown optimizer 'adamx'"),
    (["evaluate", "missing.rpz"], "no model file"),
])
def test_errors_are_reported_without_traceback(tmp_path, args, message):
    result = run(*args, "--output", str(tmp_path / "r")) if args[0] == "train" else run(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_help_documents_every_flag():
    result = run("train", "--help")
    for flag in ("--dataset", "--hidden", "--activation", "--optimizer", "--lr", "--epochs",
                 "--batch-size", "--dropout", "--validation-split", "--seed", "--output",
                 "--config", "--patience"):
        assert flag in result.stdout
