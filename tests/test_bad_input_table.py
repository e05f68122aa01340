"""docs/bad_input.md is true: every bad input in its table still gets the answer it shows.

Run ``python tests/test_bad_input_table.py > docs/bad_input.md`` to rebuild the table after
changing a message (inside a scratch folder: the cases write small files).
"""

import contextlib
import gzip
import io
import json
import os
import pickle
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

import retroprop as rp
from retroprop import nn, optim

DOC = Path(__file__).resolve().parent.parent / "docs" / "bad_input.md"


# ---------------------------------------------------------------------- files the cases use
def model_file(name="model.rpz"):
    rp.save(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), name)
    return name


def rewritten(name, change):
    """A copy of a valid model file whose header ``change(header)`` edited."""
    with np.load(model_file()) as archive:
        arrays = dict(archive)
    header = json.loads(arrays.pop("__retroprop__").tobytes())
    change(header)
    arrays["__retroprop__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with open(name, "wb") as handle:
        np.savez(handle, **arrays)
    return name


def write(name, data):
    Path(name).write_bytes(data)
    return name


def truncated(name):
    return write(name, Path(model_file()).read_bytes()[:300])


def flipped(name):
    data = bytearray(Path(model_file()).read_bytes())
    data[100] ^= 0x10
    return write(name, bytes(data))


def npz(name, **arrays):
    with open(name, "wb") as handle:
        np.savez(handle, **arrays)
    return name


def state_naming_twice(name, times):
    """A state file whose tree names its one array ``times`` times (each name a copy)."""
    header = {"format": "retroprop-state", "format_version": 1,
              "state": [{"__array__": "state/0"}] * times}
    return npz(name, __retroprop__=np.frombuffer(json.dumps(header).encode(), np.uint8),
               **{"state/0": np.zeros(1 << 20, np.float32)})


def npy_claiming(name, shape):
    header = repr({"descr": "<f4", "fortran_order": False, "shape": shape}).encode()
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("X.npy", npy)
    return write(name, buffer.getvalue())


def zip_bomb(name):
    """A deflated member of 1 MB whose sizes claim 4 GB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.npy", bytes(2**20))
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        data[start + offset:start + offset + 4] = (2**32 - 1).to_bytes(4, "little")
    return write(name, bytes(data))


def idx(name, magic=b"\x00\x00\x08\x02", shape=(2, 3), data=bytes(6), compress=False):
    raw = magic + np.array(shape, ">u4").tobytes() + data
    return write(name, gzip.compress(raw) if compress else raw)


def corrupt_gzip(name):
    data = bytearray(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 60]) + bytes(range(60))))
    data[14] ^= 0xFF
    return write(name, bytes(data))


def trainer(model=None, loss=None):
    model = model or nn.Sequential(nn.Linear(4, 3))
    return rp.Trainer(model, loss=loss or nn.CrossEntropyLoss(),
                      optimizer=optim.SGD(model.parameters(), lr=0.1))


def cli(*args):
    """The ``retroprop`` command's exit status and error line."""
    from retroprop.cli import main

    error = io.StringIO()
    with contextlib.redirect_stderr(error), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(list(args))
        except SystemExit as exit:
            status = exit.code
    raise SystemExit(f"exit status {status}: {error.getvalue().strip().splitlines()[-1]}")


X4 = np.ones((5, 4), np.float32)
LABELS = np.array([0, 1, 2, 0, 1])

# ---------------------------------------------------------------------- the table
CASES = [
    ("model file", "missing file", "rp.load('missing.rpz')"),
    ("model file", "a text file", "rp.load(write('notes.rpz', b'just some text'))"),
    ("model file", "a pickle", "rp.load(write('evil.rpz', pickle.dumps({'w': [1, 2]})))"),
    ("model file", "an object array inside the archive",
     "rp.load(npz('evil2.rpz', __retroprop__=np.array([{'a': 1}], dtype=object)))"),
    ("model file", "truncated to 300 bytes", "rp.load(truncated('cut.rpz'))"),
    ("model file", "one bit flipped", "rp.load(flipped('flip.rpz'))"),
    ("model file", "a NumPy archive without retroprop header",
     "rp.load(npz('foreign.npz', weights=np.zeros(3)))"),
    ("model file", "written by a newer retroprop (format version 99)",
     "rp.load(rewritten('newer.rpz', lambda h: h.update(format_version=99)))"),
    ("model file", "format version 0", "rp.load(rewritten('v0.rpz', "
     "lambda h: h.update(format_version=0)))"),
    ("model file", "dtype field 'int8'",
     "rp.load(rewritten('dtype.rpz', lambda h: h.update(dtype='int8')))"),
    ("model file", "a class that is not defined in the program ('os.system')",
     "rp.load(rewritten('class.rpz', lambda h: h['architecture'].update({'class': "
     "'os.system'})))"),
    ("model file", "a reference to a shared layer described after it",
     "rp.load(rewritten('later.rpz', lambda h: h.update(format_version=2) or "
     "h['architecture']['args']['modules'].insert(0, {'__same_module__': 3})))"),
    ("model file", "architecture claiming Linear(100000, 100000) with 23 weights stored",
     "rp.load(rewritten('big.rpz', lambda h: h.update(architecture={'class': "
     "'retroprop.nn.linear.Linear', 'args': {'in_features': 100000, "
     "'out_features': 100000}})))"),
    ("model file", "architecture with Linear(in_features=-2)",
     "rp.load(rewritten('neg.rpz', lambda h: h['architecture']['args']['modules'][0]"
     "['__module__']['args'].update(in_features=-2)))"),
    ("model file", "optimizer state asked of a file saved without one",
     "rp.load_optimizer_state(model_file())"),
    ("model file", "a module inside a checkpoint dict",
     "rp.save({'model': nn.Linear(2, 2), 'epoch': 3}, 'checkpoint.rpz')"),
    ("model file", "a checkpoint dict given where a model file is read",
     "rp.load_model(rp.save({'epoch': 3}, 'c.rpz') or 'c.rpz')"),
    ("model file", "a checkpoint naming its one 4 MB array 10⁵ times (400 GB as copies)",
     "rp.load(state_naming_twice('twice.rpz', 100000))"),
    ("NPZ/NPY file", "an array header claiming shape (10⁹,) with no data",
     "rp.safe_npz.read_npz(npy_claiming('claims.npz', (10**9,)))"),
    ("NPZ/NPY file", "a zip bomb: 1 MB deflated, sizes claiming 4 GB",
     "rp.safe_npz.read_npz(zip_bomb('bomb.npz'))"),
    ("IDX file", "wrong magic number", "rp.datasets.read_idx(idx('m.idx', magic=b'\\x01\\x00"
     "\\x08\\x02'))"),
    ("IDX file", "header claiming 2³⁰ × 2³⁰ bytes, 6 present",
     "rp.datasets.read_idx(idx('huge.idx', shape=(2**30, 2**30)))"),
    ("IDX file", "header claiming 0 × (2³²-1) × (2³²-1) bytes",
     "rp.datasets.read_idx(idx('empty.idx', magic=b'\\x00\\x00\\x08\\x03', "
     "shape=(0, 2**32 - 1, 2**32 - 1), data=b''))"),
    ("IDX file", "two bytes more than the header says",
     "rp.datasets.read_idx(idx('long.idx', data=bytes(8)))"),
    ("IDX file", "corrupt gzip stream", "rp.datasets.read_idx(corrupt_gzip('c.idx.gz'))"),
    ("data set", "unknown name", "rp.datasets.load('cifar')"),
    ("data set", "MNIST from a folder that does not exist",
     "rp.datasets.load_mnist('nowhere', download=False)"),
    ("argument", "Linear(0, 3)", "nn.Linear(0, 3)"),
    ("argument", "Linear(3.5, 2)", "nn.Linear(3.5, 2)"),
    ("argument", "Conv2d(3, 4, kernel_size=0)", "nn.Conv2d(3, 4, kernel_size=0)"),
    ("argument", "Conv2d(3, 4, 3, groups=2)", "nn.Conv2d(3, 4, 3, groups=2)"),
    ("argument", "MaxPool2d(2, padding=2)", "nn.MaxPool2d(2, padding=2)"),
    ("argument", "Dropout(1.0)", "nn.Dropout(1.0)"),
    ("argument", "Dropout(0.5, scale='test')", "nn.Dropout(0.5, scale='test')"),
    ("argument", "LeakyReLU(-1)", "nn.LeakyReLU(-1)"),
    ("argument", "BatchNorm1d(4, momentum=2)", "nn.BatchNorm1d(4, momentum=2)"),
    ("argument", "activation='relux'", "nn.Linear(2, 2, activation='relux')"),
    ("argument", "init='gloriot'", "nn.Linear(2, 2, init='gloriot')"),
    ("argument", "init=nn.init.kaiming_normal_ (fills a tensor in place)",
     "nn.Linear(2, 2, init=nn.init.kaiming_normal_)"),
    ("argument", "init.trunc_normal_(std=0), its mean outside [a, b] (hung)",
     "nn.init.trunc_normal_(np.zeros(3), mean=5.0, std=0.0)"),
    ("argument", "SGD(lr=-1)", "optim.SGD(nn.Linear(2, 2).parameters(), lr=-1)"),
    ("argument", "SGD(nesterov=True) without momentum",
     "optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, nesterov=True)"),
    ("argument", "Adam(betas=(0.9, 1.0))",
     "optim.Adam(nn.Linear(2, 2).parameters(), betas=(0.9, 1.0))"),
    ("argument", "Adam(betas=0.9)", "optim.Adam(nn.Linear(2, 2).parameters(), betas=0.9)"),
    ("argument", "Adagrad(eps=0)", "optim.Adagrad(nn.Linear(2, 2).parameters(), eps=0)"),
    ("argument", "StepLR(gamma=0)",
     "optim.lr_scheduler.StepLR(optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), "
     "step_size=1, gamma=0)"),
    ("argument", "CosineAnnealingLR(eta_min=-1)",
     "optim.lr_scheduler.CosineAnnealingLR(optim.SGD(nn.Linear(2, 2).parameters(), "
     "lr=0.1), T_max=5, eta_min=-1)"),
    ("argument", "VSGD(overestimate=nan)",
     "optim.VSGD(nn.Linear(2, 2).parameters(), overestimate=float('nan'))"),
    ("argument", "LBFGS(tolerance_grad=-1)",
     "optim.LBFGS(nn.Linear(2, 2).parameters(), tolerance_grad=-1)"),
    ("argument", "ConjugateGradient(max_iter=True)",
     "optim.ConjugateGradient(nn.Linear(2, 2).parameters(), max_iter=True)"),
    ("argument", "EarlyStopping(start_from_epoch='a')",
     "rp.callbacks.EarlyStopping(start_from_epoch='a')"),
    ("argument", "SGD on no parameters", "optim.SGD([], lr=0.1)"),
    ("argument", "n_jobs=0", "rp.ensemble.Bagging(lambda: nn.Linear(4, 3), n_jobs=0)"),
    ("argument", "kaiming_normal_ of a vector", "rp.init.kaiming_normal_(nn.Linear(2, 3).bias)"),
    ("shape", "Linear(4, 3) on (5, 6)", "nn.Linear(4, 3)(np.ones((5, 6)))"),
    ("shape", "Conv2d on a 3-D input", "nn.Conv2d(1, 2, 3)(np.ones((1, 8, 8)))"),
    ("shape", "Conv2d(1, …) on 3 channels", "nn.Conv2d(1, 2, 3)(np.ones((1, 3, 8, 8)))"),
    ("shape", "MaxPool2d(5) on 4×4 images", "nn.MaxPool2d(5)(np.ones((1, 1, 4, 4)))"),
    ("shape", "BatchNorm1d(3) on 5 features", "nn.BatchNorm1d(3)(np.ones((4, 5)))"),
    ("shape", "BatchNorm1d on one example in training",
     "nn.BatchNorm1d(3)(np.ones((1, 3)))"),
    ("shape", "Residual whose inner layer changes the shape",
     "nn.Residual(nn.Linear(3, 2))(np.ones((2, 3)))"),
    ("shape", "the error names the layer inside a Sequential",
     "nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(4, 2))(np.ones((2, 4)))"),
    ("shape", "adding tensors of shapes (2, 3) and (4,)",
     "rp.Tensor(np.ones((2, 3))) + rp.Tensor(np.ones(4))"),
    ("dtype", "float32 weights times a float64 tensor",
     "nn.Linear(2, 2)(rp.Tensor(np.ones((1, 2)), dtype=np.float64))"),
    ("engine", "backward() of a non-scalar without a gradient",
     "(rp.Tensor(np.ones(3), requires_grad=True) * 2).backward()"),
    ("engine", "a tensor sent to a GPU, as in PyTorch code", "rp.ones(2).to('cuda')"),
    ("dtype", "a cast to float16 (PyTorch's half)", "rp.ones(2).to('half')"),
    ("shape", "unsqueeze past the last axis", "rp.zeros(2, 3).unsqueeze(3)"),
    ("shape", "size(dim) of an axis the tensor lacks", "rp.zeros(2, 3).size(2)"),
    ("shape", "gather with an index of another number of dimensions",
     "rp.zeros(2, 3).gather(1, np.array([0, 1]))"),
    ("shape", "gather with an index out of range", "rp.zeros(2, 3).gather(1, np.array([[3]]))"),
    ("argument", "topk with k larger than the axis", "rp.zeros(2, 3).topk(4)"),
    ("labels", "class 3 with 3 outputs",
     "nn.CrossEntropyLoss()(rp.Tensor(np.zeros((2, 3))), np.array([0, 3]))"),
    ("labels", "NLLLoss with class 5 of 3", "nn.NLLLoss()(rp.Tensor(np.zeros((2, 3))), "
     "np.array([0, 5]))"),
    ("labels", "negative class", "nn.CrossEntropyLoss()(rp.Tensor(np.zeros((2, 3))), "
     "np.array([0, -1]))"),
    ("labels", "float labels 0.5", "nn.CrossEntropyLoss()(rp.Tensor(np.zeros((2, 3))), "
     "np.array([0.5, 1.0]))"),
    ("labels", "MSELoss with targets of another shape",
     "nn.MSELoss()(rp.Tensor(np.zeros((2, 3))), np.zeros((3, 2)))"),
    ("labels", "BCELoss with targets outside [0, 1] (refused, as PyTorch does)",
     "nn.BCELoss()(rp.Tensor(np.full((2, 1), 0.5)), np.array([[0.0], [2.0]]))"),
    ("labels", "BCELoss with inputs outside [0, 1]",
     "nn.BCELoss()(rp.Tensor(np.full((2, 1), 1.5)), np.array([[0.0], [1.0]]))"),
    ("training", "X and y of different lengths", "trainer().fit(X4, LABELS[:3], verbose=0)"),
    ("training", "validation_split=1.5",
     "trainer().fit(X4, LABELS, validation_split=1.5, verbose=0)"),
    ("training", "batch_size=0", "trainer().fit(X4, LABELS, batch_size=0, verbose=0)"),
    ("training", "a NaN in X", "trainer().fit(np.full((5, 4), np.nan, np.float32), LABELS, "
     "verbose=0)"),
    ("training", "resume_from a model file that holds no training state",
     "trainer().fit(X4, LABELS, verbose=0, resume_from=model_file())"),
    ("training", "resume_from a file that does not exist",
     "trainer().fit(X4, LABELS, verbose=0, resume_from='no-run.rpz')"),
    ("training", "divergence_factor=0.5",
     "trainer().fit(X4, LABELS, verbose=0, divergence_factor=0.5)"),
    ("training", "gradient clipping with a closure method (L-BFGS)",
     "rp.Trainer(nn.Linear(4, 3), nn.CrossEntropyLoss(), optim.LBFGS(nn.Linear(4, 3)."
     "parameters()), clip_grad_norm=1.0)"),
    ("training", "an L1 penalty with L-BFGS",
     "rp.Trainer(m := nn.regularize(nn.Sequential(nn.Linear(4, 3)), l1=0.01), "
     "nn.CrossEntropyLoss(), optim.LBFGS(m.parameters())).fit(X4, LABELS, verbose=0)"),
    ("training", "a schedule function that returns a negative rate",
     "trainer().fit(X4, LABELS, verbose=0, callbacks=[rp.callbacks.LearningRateScheduler("
     "lambda epoch, lr: -lr)])"),
    ("training", "callbacks= one callback, not a list",
     "trainer().fit(X4, LABELS, verbose=0, callbacks=rp.callbacks.EarlyStopping())"),
    ("training", "a schedule of the learning rate for vSGD (it has none)",
     "optim.lr_scheduler.StepLR(optim.VSGD(nn.Linear(2, 2).parameters()), step_size=1)"),
    ("training", "EarlyStopping on val_loss without validation data",
     "trainer().fit(X4, LABELS, verbose=0, callbacks=[rp.callbacks.EarlyStopping()])"),
    ("training", "a generator for 2 epochs without steps_per_epoch",
     "trainer().fit(((X4[i:i + 2], LABELS[i:i + 2]) for i in (0, 2)), epochs=2, verbose=0)"),
    ("training", "steps_per_epoch with arrays",
     "trainer().fit(X4, LABELS, steps_per_epoch=2, verbose=0)"),
    ("training", "a batch of the wrong form from a generator",
     "trainer().fit(iter([X4]), verbose=0)"),
    ("ONNX export", "a layer without an ONNX form", "rp.onnx.export(nn.Sequential(nn.Linear("
     "3, 3), nn.MultiTask(nn.Linear(3, 3), nn.Linear(3, 1))), 'm.onnx', 3)"),
    ("ONNX export", "an input shape the model does not take",
     "rp.onnx.export(nn.Sequential(nn.Linear(3, 2)), 'm.onnx', (4,))"),
    ("command line", "retroprop train --dataset cifar",
     "cli('train', '--dataset', 'cifar', '--epochs', '1')"),
    ("command line", "retroprop train --optimizer sgld",
     "cli('train', '--optimizer', 'sgld', '--epochs', '1')"),
    ("command line", "retroprop evaluate on a missing model",
     "cli('evaluate', 'missing.rpz')"),
    ("command line", "retroprop export a convnet without --input-shape",
     "cli('export', rp.save(rp.models.lenet5(), 'lenet.rpz') or 'lenet.rpz', "
     "'--onnx', 'l.onnx')"),
]


def answer(code: str) -> str:
    """``Type: message`` of what ``code`` raises (run in the current folder)."""
    names = {"rp": rp, "nn": nn, "optim": optim, "np": np, "pickle": pickle, "X4": X4,
             "LABELS": LABELS, **{f.__name__: f for f in (
                 model_file, rewritten, write, truncated, flipped, npz, state_naming_twice,
                 npy_claiming, zip_bomb, idx, corrupt_gzip, trainer, cli)}}
    rp.manual_seed(0)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = eval(code, names)
    except SystemExit as exit:
        return str(exit)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return f"no error (returned {type(result).__name__})"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    lines = [
        "# Bad input and what retroprop answers",
        "",
        "Every row was run for real: `tests/test_bad_input_table.py` runs each input again and",
        "checks that the answer is still the one shown (rebuild this page with",
        "`python tests/test_bad_input_table.py > docs/bad_input.md` from a scratch folder).",
        "Malformed files raise `rp.FileFormatError` subclasses: `rp.ModelFileError` for model",
        "files, `rp.DataFileError` (and its `IDXError`) for data files; all are `ValueError`s.",
        "A missing file is a `FileNotFoundError`.",
        "",
        "| what | bad input | code | answer |",
        "|---|---|---|---|",
    ]
    for area, what, code in CASES:
        lines.append(f"| {area} | {cell(what)} | `{cell(code)}` | {cell(answer(code))} |")
    return "\n".join(lines) + "\n"


def test_every_row_of_the_table_is_still_true(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert DOC.read_text() == table()


if __name__ == "__main__":
    os.chdir(tempfile.mkdtemp())
    sys.stdout.write(table())
