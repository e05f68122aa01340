"""The commands besides ``retroprop train`` on bad input: one line on stderr, exit status
2 for a usage error or a file that cannot be used, 1 for a failure, never a traceback."""

import importlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

from retroprop.cli import main


def test_python_m_retroprop_is_the_command():
    result = subprocess.run([sys.executable, "-m", "retroprop", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("retroprop ")


def test_a_diverged_training_is_one_line_and_status_1(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--hidden", "8", "--lr", "1e6", "--verbose", "0",
                 "--output", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("retroprop: error: fit: training diverged") and err.count("\n") == 1


def _trained(folder):
    assert main(["train", "--epochs", "1", "--hidden", "8", "--verbose", "0",
                 "--output", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return _trained(tmp_path_factory.mktemp("runs") / "run")


@pytest.mark.parametrize(("content", "message"), [
    (lambda data: data[:300], "is corrupt or not a predictions file of retroprop train"),
    (lambda data: b"junk\n", "is corrupt or not a predictions file of retroprop train"),
    (None, "lacks ['wrong_images', 'wrong_index', 'y_pred']"),
])
def test_report_on_a_broken_predictions_file(run_dir, tmp_path, capsys, content, message):
    folder = tmp_path / "copy"
    shutil.copytree(run_dir, folder)
    if content is None:
        np.savez(folder / "predictions.npz", y_true=np.arange(3))
    else:
        path = folder / "predictions.npz"
        path.write_bytes(content(path.read_bytes()))
    capsys.readouterr()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("retroprop: error: report: ") and message in err
    assert err.count("\n") == 1


def test_export_refuses_to_write_over_the_model_it_exports(run_dir, tmp_path, capsys):
    pytest.importorskip("onnx")
    folder = tmp_path / "copy"
    shutil.copytree(run_dir, folder)
    before = (folder / "model.rpz").read_bytes()
    capsys.readouterr()
    assert main(["export", str(folder), "--onnx", str(folder / "model.rpz")]) == 2
    assert "--onnx" in (err := capsys.readouterr().err) and "is the model file being" in err
    assert (folder / "model.rpz").read_bytes() == before


def test_export_refuses_an_empty_input_shape(run_dir, tmp_path, capsys):
    pytest.importorskip("onnx")
    assert main(["export", str(run_dir), "--onnx", str(tmp_path / "m.onnx"),
                 "--input-shape", ""]) == 2
    assert "--input-shape must be integers separated by commas, got ''" in \
        capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("flags", [["--quick"], ["--output", "."], ["--rounds", "0"],
                                   ["--threads", "1"], ["--samples", "10"]])
def test_bench_outside_the_table_refuses_the_table_flags(flags, capsys, monkeypatch):
    def run():
        raise AssertionError("the full optimizers benchmark ran")

    # the module that `retroprop bench` imports (another test re-imports retroprop.bench)
    monkeypatch.setattr(importlib.import_module("retroprop.bench.optimizers"), "run", run)
    assert main(["bench", "optimizers", *flags]) == 2
    err = capsys.readouterr().err
    assert f"bench optimizers runs at its own fixed size and prints its report; {flags[0]}" in err


@pytest.mark.parametrize(("args", "message"), [
    (["delta_rul"], "unknown experiment 'delta_rul' (did you mean delta-rule?); known: "),
    (["Vanishing_Gradients"], "(did you mean vanishing-gradients?)"),
    (["delta-rule", "--epochs", "0"], "experiment delta-rule: --epochs must be at least 1, got 0"),
])
def test_experiment_names_close_names_and_checks_epochs(args, message, capsys, monkeypatch):
    def run(*args, **kwargs):
        raise AssertionError("the experiment ran")

    monkeypatch.setattr("retroprop.experiments.run", run)
    assert main(["experiment", *args]) == 2
    assert message in capsys.readouterr().err


def test_experiment_checks_its_output_folder_before_running(run_dir, capsys, monkeypatch):
    def run(*args, **kwargs):
        raise AssertionError("the experiment ran")

    monkeypatch.setattr("retroprop.experiments.run", run)
    assert main(["experiment", "delta-rule", "--output", str(run_dir / "model.rpz")]) == 2
    assert "model.rpz" in capsys.readouterr().err
