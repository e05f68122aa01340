"""``retroprop train --resume RUN_DIR`` after SIGKILL and after Ctrl-C, end to end."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import retroprop as rp

SETTINGS = ["--epochs", "4", "--hidden", "16", "--checkpoint-every", "7", "--verbose", "0",
            "--dropout", "0.2"]


def command(*args):
    environment = os.environ | {"OPENBLAS_NUM_THREADS": "1",
                                "PYTHONPATH": str(Path(rp.__file__).parents[1])}
    return [sys.executable, "-m", "retroprop.cli", *args], environment


def run(*args):
    line, environment = command(*args)
    return subprocess.run(line, capture_output=True, text=True, timeout=300, env=environment)


def stopped(folder, how):
    """A run into ``folder`` stopped by ``how`` once its first checkpoint is on disk."""
    line, environment = command("train", *SETTINGS, "--output", str(folder))
    process = subprocess.Popen(line, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=environment)
    while not (folder / "checkpoint.rpz").exists():
        assert process.poll() is None, process.communicate()
        time.sleep(0.002)
    process.send_signal(how)
    _, errors = process.communicate(timeout=120)
    assert not (folder / "model.rpz").exists()  # it stopped before the end
    return process.returncode, errors


def weights(folder):
    return rp.load(folder / "model.rpz").state_dict()


def assert_same_run(a, b):
    first, second = weights(a), weights(b)
    assert first.keys() == second.keys()
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert (a / "history.csv").read_text() == (b / "history.csv").read_text()


def test_resume_after_sigkill_and_after_ctrl_c_ends_as_the_uninterrupted_run(tmp_path):
    reference = tmp_path / "reference"
    assert run("train", *SETTINGS, "--output", str(reference)).returncode == 0
    assert (reference / "checkpoint.rpz").is_file()

    killed = tmp_path / "killed"
    returncode, _ = stopped(killed, signal.SIGKILL)
    assert returncode == -signal.SIGKILL
    resumed = run("train", "--resume", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(reference, killed)

    interrupted = tmp_path / "interrupted"
    returncode, errors = stopped(interrupted, signal.SIGINT)
    assert returncode == 130
    assert f"retroprop train --resume {interrupted}" in errors
    resumed = run("train", "--resume", str(interrupted), "--verbose", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert "Epoch 4/4" in resumed.stdout
    assert_same_run(reference, interrupted)


def test_resume_refuses_other_settings_and_folders_without_a_run(tmp_path):
    refused = run("train", "--resume", str(tmp_path), "--epochs", "3")
    assert refused.returncode == 2 and "--epochs cannot be changed" in refused.stderr
    missing = run("train", "--resume", str(tmp_path))
    assert missing.returncode == 2 and "config.json" in missing.stderr
