"""The command line, end to end, in subprocesses."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

import retroprop as rp
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
    assert json.loads((tmp_path / "run" / "config.json").read_text())["hidden"] == [16]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("args", "message"), [
    (["train", "--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["train", "--hidden", "a,b"], "--hidden must be comma-separated integers"),
    (["train", "--optimizer", "adamx", "--epochs", "1"], "unknown optimizer 'adamx'"),
    (["train", "--optimizer", "sgld"], "--optimizer sgld draws weight vectors from the "
                                       "posterior, to be averaged, and retroprop train keeps one"),
    (["train", "--optimizer", "SGLD", "--cv", "3"], "--optimizer SGLD draws weight vectors"),
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
                 "--config", "--patience", "--label-column", "--missing", "--verbose",
                 "--overwrite"):
        assert flag in result.stdout


# ---------------------------------------------------------------------- data files
@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    """13 features, word labels, the label in the first column, a header."""
    from sklearn.datasets import load_wine

    wine = load_wine()
    path = tmp_path_factory.mktemp("data") / "wine.csv"
    names = np.array(["barolo", "grignolino", "barbera"])[wine.target]
    rows = [",".join(["cultivar", *wine.feature_names])]
    rows += [",".join([name, *(f"{v:g}" for v in row)]) for name, row in zip(names, wine.data,
                                                                              strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_with_word_labels_first_trains_evaluates_and_reports(wine_csv, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", "--dataset", str(wine_csv), "--label-column", "cultivar",
                 "--epochs", "30", "--output", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert float(out.split("test accuracy ")[1].split()[0]) >= 0.9
    metadata = rp.serialization.read_metadata(run_dir / "model.rpz")
    assert metadata["class_names"] == ["barbera", "barolo", "grignolino"]
    assert metadata["data_kind"] == "features" and metadata["input_shape"] == [13]
    page = (run_dir / "report.html").read_text()
    assert "Misclassified test examples" in page or "Misclassified" not in page
    assert main(["evaluate", str(run_dir)]) == 0  # a run folder, not only model.rpz
    out = capsys.readouterr().out
    header = out.splitlines()[2].split()
    assert header == ["barbera", "barolo", "grignolino"]
    (run_dir / "report.html").unlink()
    assert main(["report", str(run_dir)]) == 0 and (run_dir / "report.html").is_file()


def test_export_takes_a_run_folder_as_evaluate_does(tmp_path, capsys):
    pytest.importorskip("onnx")
    run_dir = tmp_path / "run"
    assert main(["train", "--epochs", "1", "--hidden", "8", "--verbose", "0",
                 "--output", str(run_dir)]) == 0
    assert main(["export", str(run_dir), "--onnx", str(tmp_path / "m.onnx")]) == 0
    assert "(N, 64)" in capsys.readouterr().out and (tmp_path / "m.onnx").is_file()
    assert main(["export", str(tmp_path), "--onnx", str(tmp_path / "n.onnx")]) == 2
    assert "no model file" in capsys.readouterr().err


def test_report_of_a_feature_table_shows_a_table_not_images(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 13))
    y = (X[:, 0] + 0.8 * rng.normal(size=200) > 0).astype(int)  # noisy: some mistakes
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt="%.5g")
    assert main(["train", "--dataset", str(path), "--epochs", "2", "--verbose", "0",
                 "--output", str(tmp_path / "run")]) == 0
    page = (tmp_path / "run" / "report.html").read_text()
    assert "<table>" in page and "Misclassified test examples" in page
    assert "Misclassified test images" not in page


def test_plus_minus_one_labels_become_named_classes(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([X, np.where(X.sum(1) > 0, 1, -1)]), delimiter=",",
               fmt="%g")
    assert main(["train", "--dataset", str(path), "--epochs", "3", "--verbose", "0",
                 "--output", str(tmp_path / "run")]) == 0
    metadata = rp.serialization.read_metadata(tmp_path / "run" / "model.rpz")
    assert metadata["class_names"] == ["-1", "1"]


def test_semicolon_csv_with_decimal_commas_and_missing_cells(tmp_path, capsys):
    rng = np.random.default_rng(2)
    rows = ["altura;peso;clase"] + [f"{a:.2f};{b:.1f};{'alto' if a > 1.7 else 'bajo'}".replace(
        ".", ",") for a, b in zip(rng.uniform(1.5, 1.9, 40), rng.uniform(50, 90, 40),
                                  strict=True)]
    rows[5] = "1,80;;alto"
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["train", "--dataset", str(path), "--epochs", "1",
                 "--output", str(tmp_path / "a")]) == 2
    assert "missing value in row 6, column 2 ('peso')" in capsys.readouterr().err
    assert main(["train", "--dataset", str(path), "--epochs", "1", "--missing", "mean",
                 "--output", str(tmp_path / "b"), "--verbose", "0"]) == 0


def test_evaluate_on_labels_the_model_does_not_know(wine_csv, tmp_path, capsys):
    assert main(["train", "--dataset", str(wine_csv), "--label-column", "0", "--epochs", "1",
                 "--verbose", "0", "--output", str(tmp_path / "run")]) == 0
    assert main(["evaluate", str(tmp_path / "run"), "--dataset", "digits"]) == 2
    err = capsys.readouterr().err
    assert "labels ['0', '1', '2', '3', '4'] are not among the classes" in err


def test_evaluate_on_data_of_another_size(tmp_path, capsys):
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([np.random.default_rng(0).random((50, 13)),
                                      np.arange(50) % 10]), delimiter=",", fmt="%g")
    assert main(["train", "--dataset", str(path), "--epochs", "1", "--verbose", "0",
                 "--output", str(tmp_path / "run")]) == 0
    assert main(["evaluate", str(tmp_path / "run" / "model.rpz"), "--dataset", "digits"]) == 2
    err = capsys.readouterr().err
    assert "the model takes examples of 13 values" in err and "(8, 8) (64 values)" in err


def test_word_labels_in_an_npz_file_become_class_names(tmp_path, capsys):
    path = tmp_path / "d.npz"
    X = np.random.default_rng(0).normal(size=(40, 3))
    np.savez(path, X=X, y=np.where(X[:, 0] > 0, "big", "small"))
    assert main(["train", "--dataset", str(path), "--epochs", "1", "--verbose", "0",
                 "--output", str(tmp_path / "run")]) == 0
    metadata = rp.serialization.read_metadata(tmp_path / "run" / "model.rpz")
    assert metadata["class_names"] == ["big", "small"]


def test_real_valued_labels_are_a_clear_error(tmp_path, capsys):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((10, 3)), y=np.linspace(0, 1, 10))
    assert main(["train", "--dataset", str(path), "--epochs", "1",
                 "--output", str(tmp_path / "run")]) == 2
    assert "the labels must be integers or words" in capsys.readouterr().err


# ---------------------------------------------------------------------- run folders
def test_two_runs_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("time.strftime", lambda *args: "20260101-000000")
    for _ in range(2):
        assert main(["train", "--epochs", "1", "--hidden", "8", "--verbose", "0"]) == 0
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert folders == ["digits-20260101-000000", "digits-20260101-000000-2"]
    for folder in folders:
        assert (tmp_path / "runs" / folder / "model.rpz").is_file()


def test_two_processes_started_together_do_not_share_a_folder(tmp_path):
    processes = [subprocess.Popen([sys.executable, "-m", "retroprop.cli", "train", "--epochs",
                                   "1", "--hidden", "8", "--verbose", "0"], cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    folders = list((tmp_path / "runs").iterdir())
    assert len(folders) == 2 and all((f / "report.html").is_file() for f in folders)


def test_existing_output_is_refused_unless_overwrite(tmp_path, capsys):
    args = ["train", "--epochs", "1", "--hidden", "8", "--verbose", "0",
            "--output", str(tmp_path / "run")]
    assert main(args) == 0
    before = (tmp_path / "run" / "model.rpz").stat().st_mtime_ns
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "run" / "model.rpz").stat().st_mtime_ns == before
    assert main([*args, "--overwrite"]) == 0


def test_overwrite_leaves_nothing_of_the_old_run_to_resume_or_evaluate(tmp_path, capsys,
                                                                       monkeypatch):
    folder = tmp_path / "run"
    args = ["train", "--epochs", "1", "--hidden", "8", "--verbose", "0", "--output",
            str(folder)]
    assert main(args) == 0

    def crash(*args, **kwargs):  # the new run dies before its first checkpoint
        raise RuntimeError("killed")

    monkeypatch.setattr(rp.Trainer, "fit", crash)
    assert main([*args, "--lr", "0.001", "--overwrite"]) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["config.json"]
    monkeypatch.undo()
    capsys.readouterr()
    assert main(["train", "--resume", str(folder)]) == 2
    assert "stopped before its first checkpoint" in capsys.readouterr().err


# ---------------------------------------------------------------------- settings
def test_patience_without_validation_is_refused_before_training(tmp_path, capsys):
    assert main(["train", "--validation-split", "0", "--patience", "2",
                 "--output", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "--validation-split" in err and len(err) < 300
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--validation-split", "1.5", "--validation-split must be a fraction in [0, 1), got 1.5"),
    ("--batch-size", "-1", "--batch-size must be a number of examples, or 0 for full-batch"),
])
def test_bad_settings_are_refused_before_the_run_folder_is_made(tmp_path, monkeypatch, capsys,
                                                                 flag, value, message):
    monkeypatch.chdir(tmp_path)
    assert main(["train", flag, value, "--epochs", "1"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("toml", "message"), [
    ('nesterov = "no"', "nesterov must be true or false, got 'no'"),
    ('epochs = "3"', "epochs must be an integer, got '3'"),
    ("lr = true", "lr must be a number, got True"),
    ('hidden = ["a"]', "hidden must be a list of integers"),
])
def test_toml_settings_are_type_checked(tmp_path, capsys, toml, message):
    config = tmp_path / "train.toml"
    config.write_text(f"[train]\n{toml}\n")
    assert main(["train", "--config", str(config), "--output", str(tmp_path / "run")]) == 2
    assert message in capsys.readouterr().err


def test_toml_settings_outside_the_train_table_are_refused(tmp_path, capsys):
    config = tmp_path / "train.toml"
    config.write_text("epochs = 1\n[train]\nhidden = [8]\n")
    assert main(["train", "--config", str(config), "--output", str(tmp_path / "run")]) == 2
    assert "found ['epochs'] outside it (before the [train] line)" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_scheduler_without_cv_is_refused(tmp_path, capsys):
    assert main(["train", "--scheduler", "tcp://127.0.0.1:1", "--epochs", "1", "--output",
                 str(tmp_path / "run")]) == 2
    assert "--scheduler tcp://127.0.0.1:1 trains the folds of --cv K" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_toml_lists_for_hidden(tmp_path, capsys):
    config = tmp_path / "train.toml"
    config.write_text("hidden = [16, 8]\nepochs = 1\nverbose = 0\n")
    assert main(["train", "--config", str(config), "--output", str(tmp_path / "run")]) == 0
    model = rp.load(tmp_path / "run" / "model.rpz")
    assert [p.shape for n, p in model.named_parameters() if n.endswith("weight")] == [
        (16, 64), (8, 16), (10, 8)]


def test_options_that_do_not_apply_are_reported_and_not_recorded(tmp_path, capsys):
    assert main(["train", "--optimizer", "adam", "--momentum", "0.5", "--nesterov",
                 "--epochs", "1", "--verbose", "0", "--output", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "--momentum is ignored" in err and "--nesterov is ignored" in err
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert "momentum" not in recorded and "nesterov" not in recorded
    assert recorded["optimizer"] == "adam"
    settings = rp.serialization.read_metadata(tmp_path / "run" / "model.rpz")["config"]
    assert "momentum" not in settings


def test_lenet5_ignores_hidden_and_dropout():
    from retroprop.cli.config import TrainConfig

    unused = TrainConfig(model="lenet5").unused(tabular=False)
    assert {"hidden", "dropout", "label_column"} <= set(unused)
    assert "hidden" not in TrainConfig().unused(tabular=False)


# ---------------------------------------------------------------------- console and files
def test_one_line_per_epoch_numbered_as_history_csv(tmp_path, capsys):
    assert main(["train", "--epochs", "3", "--hidden", "8",
                 "--output", str(tmp_path / "run")]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert all("grad_norm" not in line and line.endswith(" s)") for line in lines)
    with (tmp_path / "run" / "history.csv").open() as handle:
        epochs = [row["epoch"] for row in csv.DictReader(handle)]
    assert epochs == ["1", "2", "3"]


def test_verbose_2_shows_gradient_statistics(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--hidden", "8", "--verbose", "2",
                 "--output", str(tmp_path / "run")]) == 0
    assert "grad_norm/0.weight" in capsys.readouterr().out


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"retroprop {rp.__version__}"


def test_dataset_names_are_case_insensitive_and_paths_absolute(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "Digits", "--epochs", "1", "--hidden", "8",
                 "--verbose", "0", "--output", "run"]) == 0
    np.savetxt(tmp_path / "d.csv", np.column_stack([np.ones((20, 2)), np.arange(20) % 2]),
               delimiter=",", fmt="%g")
    assert main(["train", "--dataset", "d.csv", "--epochs", "1", "--verbose", "0",
                 "--output", "run2"]) == 0
    recorded = json.loads((tmp_path / "run2" / "config.json").read_text())
    assert recorded["dataset"] == str(tmp_path / "d.csv")
    assert recorded["output"] == str(tmp_path / "run2")


def test_bench_without_pytorch_names_the_package(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    for name in [m for m in sys.modules if m.startswith("retroprop.bench")]:
        monkeypatch.delitem(sys.modules, name)
    assert main(["bench", "step"]) == 2
    assert "pip install torch" in capsys.readouterr().err


def test_a_feature_table_is_standardized_with_the_rows_it_trains_on(tmp_path):
    """The validation rows (the last tenth, which fit takes from the end) are not in the
    mean and scale recorded for the table."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(90, 3)), rng.normal(50.0, 1.0, size=(10, 3))])
    np.savetxt(tmp_path / "d.csv", np.column_stack([X, np.arange(100) % 2]), delimiter=",")
    run_dir = tmp_path / "run"
    assert main(["train", "--dataset", str(tmp_path / "d.csv"), "--epochs", "1",
                 "--validation-split", "0.1", "--verbose", "0", "--output",
                 str(run_dir)]) == 0
    preprocessing = rp.serialization.read_metadata(run_dir / "model.rpz")["preprocessing"]
    rows = rp.datasets.load_dataset(str(tmp_path / "d.csv")).train[0]
    kept = rows[:len(rows) - int(len(rows) * 0.1)]
    np.testing.assert_allclose(preprocessing["mean"], kept.mean(axis=0), rtol=1e-5)


def test_evaluate_reads_a_csv_of_another_layout_with_label_column(wine_csv, tmp_path, capsys):
    """The CSV errors tell the user to pass --label-column, which evaluate did not have: a
    file with the label last could not be evaluated by a model trained with --label-column
    0."""
    run_dir, moved = tmp_path / "run", tmp_path / "label_last.csv"
    assert main(["train", "--dataset", str(wine_csv), "--label-column", "0", "--epochs", "20",
                 "--output", str(run_dir)]) == 0
    rows = [line.split(",") for line in wine_csv.read_text().splitlines()]
    moved.write_text("\n".join(",".join([*row[1:], row[0]]) for row in rows) + "\n")
    capsys.readouterr()
    assert main(["evaluate", str(run_dir), "--dataset", str(moved)]) != 0  # column 0 read
    capsys.readouterr()
    assert main(["evaluate", str(run_dir), "--dataset", str(moved), "--label-column",
                 "cultivar", "--missing", "error"]) == 0
    out = capsys.readouterr().out
    assert float(out.split("accuracy ")[1].split()[0]) >= 0.85


def test_evaluate_batch_size_bounds_the_memory_not_the_results(tmp_path, capsys,
                                                               monkeypatch):
    from retroprop.cli.train import evaluate

    run_dir = str(tmp_path / "run")
    assert main(["train", "--epochs", "1", "--hidden", "16", "--quiet", "--output",
                 run_dir]) == 0
    default = evaluate(run_dir, None)
    default_out = capsys.readouterr().out
    taken = []
    outputs = rp.Trainer._outputs

    def recording(self, X, batch_size, *hooks):
        taken.append(batch_size)
        return outputs(self, X, batch_size, *hooks)

    monkeypatch.setattr(rp.Trainer, "_outputs", recording)
    assert main(["evaluate", run_dir, "--batch-size", "7"]) == 0
    assert taken == [7, 7]  # the loss and accuracy, then the confusion matrix
    assert capsys.readouterr().out == default_out
    small = evaluate(run_dir, None, batch_size=7)
    assert small["loss"] == pytest.approx(default["loss"], rel=1e-5)
    assert small["accuracy"] == default["accuracy"]
    np.testing.assert_array_equal(small["confusion_matrix"], default["confusion_matrix"])
    capsys.readouterr()
    for bad in ("0", "-1"):
        assert main(["evaluate", run_dir, "--batch-size", bad]) == 2
        assert (f"evaluate: --batch-size must be a positive integer (examples at a time), "
                f"got {bad}") in capsys.readouterr().err
    for bad in ("2.5", "x"):
        with pytest.raises(SystemExit) as exited:
            main(["evaluate", run_dir, "--batch-size", bad])
        assert exited.value.code == 2
        assert f"argument --batch-size: invalid int value: '{bad}'" in capsys.readouterr().err
