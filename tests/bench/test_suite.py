"""``retroprop bench``: the quick run writes a valid table, the rows' ratios and targets
read the right way, the PyTorch twins compute what retroprop computes, and a missing
PyTorch gives a message instead of a traceback. No timing is asserted."""

import importlib
import json
import math
import os

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import retroprop as rp
from retroprop.bench import lbfgs, numpy_loop, suite
from retroprop.bench.cnn import recipe_convnet
from retroprop.bench.flops import epoch_flops
from retroprop.bench.mirror import torch_copy
from retroprop.bench.results import markdown, row
from retroprop.bench.threads import blas_threads, same_threads
from retroprop.cli import main


def test_bench_quick_runs_every_benchmark_and_writes_valid_json(tmp_path, capsys):
    assert main(["bench", "--quick", "--output", str(tmp_path)]) == 0
    saved = json.loads((tmp_path / "bench-results.json").read_text())
    assert saved["settings"] == {"quick": True, "rounds": None, "samples": None}
    assert saved["machine"]["threads"] >= 1
    assert saved["machine"]["blas_kernels"] == rp.openblas.kernels()
    assert saved["machine"]["OPENBLAS_CORETYPE"] == os.environ.get("OPENBLAS_CORETYPE")
    rows = saved["rows"]
    assert {r["benchmark"] for r in rows} == set(suite.TABLE)
    for r in rows:
        assert r["retroprop"] > 0 and r["reference_value"] > 0, r
        assert r["ratio_min"] <= r["ratio"] <= r["ratio_max"], r
        if r["rounds"] == 1:  # else the median ratio differs from the ratio of medians
            assert math.isclose(r["ratio"], r["retroprop"] / r["reference_value"]), r
        assert r["met"] in (True, False, None)
        assert len(r["per_round"]["retroprop"]) == len(r["per_round"]["reference"]) \
            == r["rounds"]
    cases = {(r["benchmark"], r["case"], r["reference"]) for r in rows}
    assert len(cases) == len(rows) == 20
    floors = [r for r in rows if r["reference"] == "scikit-learn"
              or (r["benchmark"] == "inference" and r["case"].startswith("MLP"))]
    assert len(floors) == 5 and all(r["numpy_loop"]["ratio"] > 0 for r in floors)
    assert sum(r["reference"] == "NumPy loop" for r in rows) == 2
    table = (tmp_path / "bench-results.md").read_text().splitlines()
    assert len(table) == 2 + len(rows)
    assert table == capsys.readouterr().out.splitlines()[:len(table)]


def test_bench_without_pytorch_names_the_install_command(monkeypatch, capsys, tmp_path):
    real_import = importlib.import_module

    def import_module(name, *args):
        if name == "torch":
            raise ModuleNotFoundError("No module named 'torch'")
        return real_import(name, *args)

    monkeypatch.setattr(suite.importlib, "import_module", import_module)
    assert main(["bench", "mlp", "--quick", "--output", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "pip install torch" in error and "Traceback" not in error
    assert not (tmp_path / "bench-results.json").exists()


def test_row_ratio_and_target_follow_the_direction_of_better():
    slower = row("b", "c", "s", [2.0, 3.0, 4.0], "ref", [1.0, 2.0, 4.0], target=1.0)
    assert (slower["ratio"], slower["ratio_min"], slower["ratio_max"]) == (1.5, 1.0, 2.0)
    assert slower["met"] is False
    faster = row("b", "c", "1/s", [3.0], "ref", [1.0], target=2.0, lower_is_better=False)
    assert faster["met"] is True
    assert row("b", "c", "s", [1.0], "ref", [1.0])["met"] is None
    lines = markdown([slower, faster]).splitlines()
    assert "1.50 (1.00–2.00) | ≤ 1 | no" in lines[2]
    assert "| ≥ 2 | yes" in lines[3]


def test_epoch_flops_counts_forward_weight_and_hidden_input_gradients():
    # 3-2-1 network, one sample: forward 2·(6 + 2), weight gradients as much, input
    # gradient of the second layer 2·2 (none for the data)
    assert epoch_flops(1, (3, 2, 1)) == 16 + 16 + 4
    assert epoch_flops(10, (3, 2, 1)) == 360


@pytest.mark.parametrize("network", [rp.models.lenet5, recipe_convnet,
                                     lambda: rp.models.mlp((784, 32, 10))])
def test_pytorch_twin_computes_the_same_outputs(network):
    rp.manual_seed(0)
    model = network()
    twin = torch_copy(model)
    model.eval()
    twin.eval()
    x = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    if isinstance(model[0], rp.nn.Linear):
        x = x.reshape(5, -1)
    with rp.no_grad():
        ours = model(rp.Tensor(x)).data
    with torch.no_grad():
        theirs = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_lbfgs_reaches_scipys_loss_after_the_same_iterations():
    X, y = lbfgs.data.digits()
    target = lbfgs.scipy_lbfgs(X, y, -np.inf, 20)
    assert lbfgs.scipy_lbfgs(X, y, target, 100) == target  # the objective stops there
    assert lbfgs.retroprop_lbfgs(X, y, target, 100) == target


def test_threadpool_limits_hold_for_numpy_and_pytorch():
    from threadpoolctl import threadpool_info, threadpool_limits

    before = torch.get_num_threads()
    with threadpool_limits(1, user_api="blas"), same_threads(None) as count:
        assert count == blas_threads() == 1
        assert torch.get_num_threads() == 1
    suite.require_references(["lbfgs"])  # loads SciPy's own OpenBLAS before the limit
    with same_threads(1) as count:
        assert count == 1 and torch.get_num_threads() == 1
        assert {pool["num_threads"] for pool in threadpool_info()
                if pool["user_api"] == "blas"} == {1}
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(("flag", "value"), [("--rounds", "0"), ("--samples", "-5"),
                                             ("--threads", "0")])
def test_bench_rejects_a_count_below_one_naming_it(flag, value, capsys, tmp_path):
    assert main(["bench", "step", flag, value, "--output", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert f"{flag[2:]} must be a positive integer, got {value}" in error
    assert not (tmp_path / "bench-results.json").exists()


@pytest.mark.parametrize("batch", [1, 32, 1797])
def test_numpy_loop_trains_what_the_trainer_trains(batch):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    rp.manual_seed(0)
    model = rp.models.mlp((64, 32, 16, 10))
    layers = [(m.weight.data.copy(order="K"), m.bias.data.copy()) for m in model
              if isinstance(m, rp.nn.Linear)]
    initial = [p.copy() for layer in layers for p in layer]
    rp.manual_seed(1)
    rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters(), lr=0.05,
                                                              momentum=0.9),
               metrics=[]).fit(X, y, epochs=1, batch_size=batch, verbose=0)
    rp.manual_seed(1)  # the same batches
    numpy_loop.train_epoch(layers, X, y, batch, lr=0.05, momentum=0.9)
    trained = [p.data for p in model.parameters()]
    assert len(trained) == 2 * len(layers)
    for ours, loop, before in zip(trained, [p for layer in layers for p in layer], initial,
                                  strict=True):
        assert ours.flags.f_contiguous == loop.flags.f_contiguous
        assert np.abs(ours - before).max() > 1e-3  # the epoch moved every parameter
        np.testing.assert_allclose(loop, ours, rtol=1e-4, atol=1e-5)
    model.eval()
    with rp.no_grad():
        outputs = model(rp.Tensor(X)).data
    np.testing.assert_allclose(numpy_loop.forward(layers, X)[-1], outputs, rtol=1e-5, atol=1e-5)


def test_numpy_loop_stops_where_the_loss_is_no_longer_finite():
    model = rp.models.mlp((4, 3, 2))
    layers = numpy_loop.linear_layers(model)
    X = np.full((8, 4), np.inf, dtype=np.float32)
    with np.errstate(invalid="ignore"), \
            pytest.raises(FloatingPointError, match="NumPy loop: the loss became nan"):
        numpy_loop.train_epoch(layers, X, np.zeros(8, dtype=np.int64), 4, lr=0.1,
                               momentum=0.9)


@pytest.mark.parametrize(("layers", "message"), [
    ([rp.nn.Linear(4, 3, bias=False), rp.nn.ReLU(), rp.nn.Linear(3, 2)], "needs a bias"),
    ([rp.nn.Linear(4, 3, activation="tanh"), rp.nn.Linear(3, 2)], "Linear, ReLU, ..., Linear"),
    ([rp.nn.Linear(4, 3, activation="tanh"), rp.nn.ReLU(), rp.nn.Linear(3, 2)],
     "no activation of its own"),
    ([rp.nn.Linear(4, 3), rp.nn.Tanh(), rp.nn.Linear(3, 2)], r"got \['Linear', 'Tanh'"),
    ([rp.nn.Linear(4, 3), rp.nn.ReLU()], "Linear, ReLU, ..., Linear"),
])
def test_numpy_loop_refuses_a_network_it_does_not_compute(layers, message):
    with pytest.raises(ValueError, match=message):
        numpy_loop.linear_layers(rp.nn.Sequential(*layers))
