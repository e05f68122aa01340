"""A training process killed with SIGKILL at any moment (a checkpoint write included) or
stopped with Ctrl-C leaves a loadable checkpoint; the run resumed in a new process ends
with the weights of the uninterrupted run, bit for bit."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import retroprop as rp

SCRIPT = """
import os, sys, time
import numpy as np
import retroprop as rp

checkpoint, out, mode = sys.argv[1:4]
if os.environ.get("SLOW_WRITE"):  # hold every checkpoint write before its rename
    replace = os.replace

    def slow(source, target):
        print("writing", flush=True)
        time.sleep(float(os.environ["SLOW_WRITE"]))
        replace(source, target)

    os.replace = slow


class Report(rp.callbacks.Callback):
    def state_dict(self):
        return {}

    def on_train_batch_end(self, batch, logs=None):
        print("batch", flush=True)


(X, y), _ = rp.datasets.load_digits()
X = rp.datasets.scale(X, rp.datasets.DIGITS_MAXIMUM).reshape(len(X), -1)[:300]
rp.manual_seed(0)
model = rp.nn.Sequential(rp.nn.Linear(64, 32), rp.nn.BatchNorm1d(32), rp.nn.ReLU(),
                         rp.nn.Dropout(0.3), rp.nn.Linear(32, 10))
optimizer = rp.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)
callbacks = [rp.callbacks.ModelCheckpoint(checkpoint, resumable=True, every_batches=2),
             Report()]
trainer.fit(X, y[:300], epochs=3, batch_size=32, verbose=0, callbacks=callbacks,
            resume_from=checkpoint if mode == "resume" else None)
np.savez(out, **model.state_dict())
"""
BATCHES = 30  # 10 an epoch


def start(folder, mode, slow_write=None):
    script = folder / "train.py"
    script.write_text(SCRIPT)
    environment = os.environ | {"OPENBLAS_NUM_THREADS": "1",
                                "PYTHONPATH": str(Path(rp.__file__).parents[1])}
    if slow_write:
        environment["SLOW_WRITE"] = str(slow_write)
    return subprocess.Popen(
        [sys.executable, str(script), str(folder / "run.rpz"), str(folder / "final.npz"), mode],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def finish(folder, mode):
    process = start(folder, mode)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors
    with np.load(folder / "final.npz") as final:
        return dict(final)


def wait_for(process, line, count):
    """Read the process's output until ``line`` has appeared ``count`` times."""
    seen = 0
    while seen < count:
        text = process.stdout.readline()
        assert text, f"the training process ended early: {process.communicate()[1]}"
        seen += text.strip() == line


def assert_loadable(checkpoint):
    assert rp.load(checkpoint) is not None
    state = rp.serialization.load_training_state(checkpoint)
    assert state["format"] == "retroprop-training"


def same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_sigkill_at_random_points_then_resume_is_bit_identical(tmp_path):
    reference = finish(tmp_path, "fresh")
    picks = random.Random(15)
    for trial in range(3):
        folder = tmp_path / f"kill{trial}"
        folder.mkdir()
        process = start(folder, "fresh")
        wait_for(process, "batch", picks.randrange(3, BATCHES - 2))
        time.sleep(picks.uniform(0, 0.02))  # anywhere inside the next batch or write
        process.send_signal(signal.SIGKILL)
        process.communicate()
        assert_loadable(folder / "run.rpz")
        assert same(finish(folder, "resume"), reference)


def test_sigkill_during_a_checkpoint_write_keeps_the_previous_one(tmp_path):
    reference = finish(tmp_path, "fresh")
    process = start(tmp_path, "fresh", slow_write=1)
    wait_for(process, "writing", 2)  # the second checkpoint is being written
    temporary = list(tmp_path.glob(".run.rpz.*.tmp"))
    assert len(temporary) == 1 and temporary[0].stat().st_size > 0
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert_loadable(tmp_path / "run.rpz")
    assert rp.serialization.load_training_state(tmp_path / "run.rpz")["epoch_state"][
        "batch"] == 2  # the first checkpoint, after batch 2
    assert same(finish(tmp_path, "resume"), reference)
    assert not list(tmp_path.glob(".run.rpz.*.tmp"))  # the resumed run cleaned up


def test_ctrl_c_writes_a_checkpoint_says_how_to_resume_and_fails(tmp_path):
    reference = finish(tmp_path, "fresh")
    process = start(tmp_path, "fresh")
    wait_for(process, "batch", 13)
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Interrupted after batch" in errors and "resume_from=" in errors
    assert str(tmp_path / "run.rpz") in errors
    assert_loadable(tmp_path / "run.rpz")
    assert same(finish(tmp_path, "resume"), reference)
