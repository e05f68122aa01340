"""``Module.register_full_backward_hook`` and ``register_full_backward_pre_hook`` against
PyTorch's on the same networks, in float64: what the hooks see, in which order, what
their results replace, removal, ``prepend``, ``retain_graph``, ``no_grad``, copies and
saving, and bad results."""

import copy
import gc
import pickle
import warnings

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn
from retroprop.tensor import hooks as tensor_hooks


def pair():
    """The same nested network in retroprop and in PyTorch (float64, PyTorch's weights)."""
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(4, 4)),
        torch.nn.Sigmoid(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Tanh(), nn.Linear(4, 4)),
                         nn.Sigmoid(), nn.Linear(4, 2)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def values(grads):
    return [None if g is None else (g.detach().numpy() if isinstance(g, torch.Tensor)
                                    else np.asarray(g)).copy() for g in grads]


def record(model, log):
    """A backward pre-hook and a full backward hook on every module, logging what they see."""
    for name, module in model.named_modules():
        module.register_full_backward_pre_hook(
            lambda m, go, name=name: log.append(("pre", name, values(go))))
        module.register_full_backward_hook(
            lambda m, gi, go, name=name: log.append(("full", name, values(gi), values(go))))


def inputs(lib, requires_grad, seed=0):
    x = np.random.default_rng(seed).normal(size=(5, 3))
    if lib is rp:
        return rp.Tensor(x, requires_grad=requires_grad, dtype=np.float64)
    return torch.tensor(x, requires_grad=requires_grad)


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        if isinstance(a, list | tuple):
            assert_same(a, b)
        elif a is None or b is None or isinstance(a, str):
            assert (a is None and b is None) or a == b
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_hooks_see_torchs_gradients_in_torchs_order(requires_grad):
    """Without an input that requires grad, the first layer's and the network's full hooks
    run with grad_input (None,) and a warning, as PyTorch's."""
    logs = {}
    for lib, model in zip((rp, torch), pair(), strict=True):
        log = logs[lib] = []
        record(model, log)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (model(inputs(lib, requires_grad)) ** 2).sum().backward()
        warned = [str(w.message) for w in caught if "grad_input" in str(w.message)
                  or "no inputs require" in str(w.message)]
        assert len(warned) == (0 if requires_grad else 2)
    assert [entry[:2] for entry in logs[rp]] == [entry[:2] for entry in logs[torch]]
    assert len(logs[rp]) == 2 * 7
    assert_same(logs[rp], logs[torch])


def test_results_replace_grad_output_and_grad_input_as_torch():
    grads = {}
    for lib, model in zip((rp, torch), pair(), strict=True):
        model[1].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        model[1].register_full_backward_pre_hook(lambda m, go: None)  # keeps the first's
        model[1][1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + go[0].sum(),))
        model[2].register_full_backward_hook(lambda m, gi, go: None)
        x = inputs(lib, True)
        model(x).sum().backward()
        grads[lib] = [x.grad] + [p.grad for p in model.parameters()]
    assert_same(values(grads[rp]), values(grads[torch]))


def test_prepend_removal_and_retain_graph_as_torch():
    logs = {}
    for lib, model in zip((rp, torch), pair(), strict=True):
        layer = model[3]
        log = logs[lib] = []
        layer.register_full_backward_hook(lambda m, gi, go, log=log: log.append("a"))
        second = layer.register_full_backward_hook(lambda m, gi, go, log=log: log.append("b"))
        layer.register_full_backward_hook(lambda m, gi, go, log=log: log.append("c"),
                                          prepend=True)
        layer.register_full_backward_pre_hook(lambda m, go, log=log: log.append("p"))
        layer.register_full_backward_pre_hook(lambda m, go, log=log: log.append("q"),
                                              prepend=True)
        loss = model(inputs(lib, True)).sum()
        loss.backward(retain_graph=True)
        second.remove()  # the hooks of the call already made fire still, as in PyTorch
        loss.backward()
        model(inputs(lib, True)).sum().backward()
        with layer.register_full_backward_hook(lambda m, gi, go, log=log: log.append("w")):
            model(inputs(lib, True)).sum().backward()
        model(inputs(lib, True)).sum().backward()
    assert logs[rp] == logs[torch] == list("qpcab" * 2 + "qpca" + "qpcaw" + "qpca")


def test_no_hook_fires_for_calls_made_under_no_grad_or_before_registering():
    for lib, model in zip((rp, torch), pair(), strict=True):
        calls = []
        x = inputs(lib, True)
        out = model(x)  # before the hooks: not set up for them
        model[0].register_full_backward_hook(lambda m, gi, go, calls=calls: calls.append(1))
        model[3].register_full_backward_pre_hook(lambda m, go, calls=calls: calls.append(2))
        with rp.no_grad(), torch.no_grad():
            assert not model(x).requires_grad
        out.sum().backward()
        assert calls == []
        model(x).sum().backward()
        assert calls == [2, 1]


class Two(nn.Module):
    def forward(self, a, k, b, c):
        return a * k + b.sum(), a * 2


class TorchTwo(torch.nn.Module):
    def forward(self, a, k, b, c):
        return a * k + b.sum(), a * 2


@pytest.mark.parametrize("use_second", [False, True])
def test_several_inputs_and_outputs_as_torch(use_second):
    """A number among the arguments and an output without gradient give None; an input
    the forward pass did not use gets zeros, as in PyTorch; an input that needs no gradient
    gives None."""
    logs, grads = {}, {}
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=3) for _ in range(3)]
    for lib, module in ((rp, Two()), (torch, TorchTwo())):
        log = logs[lib] = []
        module.register_full_backward_pre_hook(lambda m, go, log=log: log.append(values(go)))
        module.register_full_backward_hook(
            lambda m, gi, go, log=log: log.append((values(gi), values(go)))
            or (gi[0] * 2, None, gi[2], gi[3]))
        if lib is rp:
            a, b, c = (rp.Tensor(v, requires_grad=True, dtype=np.float64) for v in arrays)
        else:
            a, b, c = (torch.tensor(v, requires_grad=True) for v in arrays)
        first, second = module(a, 3.0, b, c.detach() if use_second else c)
        loss = (first * first).sum() + (second.sum() if use_second else 0.0)
        loss.backward()
        grads[lib] = values([a.grad, b.grad])
    if use_second:  # c needs no gradient: None here; PyTorch gives None or zeros there,
        # depending on how the gradient of the outputs was made
        assert logs[rp][1][0][3] is None
        np.testing.assert_array_equal(logs[torch][1][0][3], np.zeros(3))
        logs[torch][1][0][3] = None
    assert_same(logs[rp], logs[torch])
    assert_same(grads[rp], grads[torch])


@pytest.mark.parametrize("kind", ["full", "pre"])
def test_wrong_results_are_refused_naming_what_was_expected(kind):
    layer = nn.Linear(3, 2).double()
    x = inputs(rp, True)
    bad = [(lambda g: (g, g), r"returned 2 values; expected None or a tuple of 1"),
           (lambda g: g, r"returned an ndarray of shape \((5, [23])\); expected None or a tuple"),
           (lambda g: (g[:1],), r"\[0\]\) returned a gradient of shape \(1, [23]\) for the "
                                r"(input|output) of shape \(5, [23]\)")]
    for make, message in bad:
        if kind == "full":
            handle = layer.register_full_backward_hook(lambda m, gi, go, make=make: make(gi[0]))
        else:
            handle = layer.register_full_backward_pre_hook(lambda m, go, make=make: make(go[0]))
        with pytest.raises(RuntimeError, match=message):
            layer(x).sum().backward()
        handle.remove()


def test_a_full_hook_may_not_replace_gradients_of_inputs_without_any():
    layer = nn.Linear(3, 2).double()
    layer.register_full_backward_hook(lambda m, gi, go: (np.ones((5, 3)),))
    with pytest.warns(UserWarning, match="none of its inputs requires grad"), \
            pytest.raises(RuntimeError, match="none requires grad: return None"):
        layer(inputs(rp, False)).sum().backward()


@pytest.mark.parametrize("register", ["register_full_backward_hook",
                                      "register_full_backward_pre_hook"])
def test_registering_refuses_non_callables(register):
    with pytest.raises(TypeError, match=r"full backward (pre-)?hook must be callable, got 3"):
        getattr(nn.ReLU(), register)(3)
    with pytest.raises(TypeError, match="prepend must be True or False, got 'yes'"):
        getattr(nn.ReLU(), register)(print, prepend="yes")


def test_deepcopy_keeps_backward_hooks_as_torch():
    for lib, model in zip((rp, torch), pair(), strict=True):
        calls = []
        handle = model[0].register_full_backward_hook(
            lambda m, gi, go, calls=calls: calls.append(m))
        clone = copy.deepcopy(model)
        handle.remove()  # removes the original's hook only
        model(inputs(lib, True)).sum().backward()
        clone(inputs(lib, True)).sum().backward()
        assert calls == [clone[0]]


def test_a_model_with_backward_hooks_saves_and_loads_without_them(tmp_path):
    model, _ = pair()
    calls = []
    for module in model.modules():
        module.register_full_backward_hook(lambda m, gi, go: calls.append(1))
        module.register_full_backward_pre_hook(lambda m, go: calls.append(2))
    keys = list(model.state_dict())
    rp.save(model, tmp_path / "hooked.rp")
    loaded = rp.load(tmp_path / "hooked.rp")
    loaded(inputs(rp, True)).sum().backward()
    assert calls == []  # runtime state, not saved
    assert list(loaded.state_dict()) == keys
    model(inputs(rp, True)).sum().backward()
    assert len(calls) == 14


def test_the_trainer_fires_the_hooks_once_per_batch():
    """The vanishing-gradient picture of FAMAF (Córdoba), "Redes neuronales", clase 21:
    the norm of dL/dh of each hidden layer, recorded while training."""
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(),
                          nn.Linear(8, 1))
    norms = {1: [], 3: []}
    for index, log in norms.items():
        model[index].register_full_backward_hook(
            lambda m, gi, go, log=log: log.append(float(np.linalg.norm(go[0]))))
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y = X.sum(axis=1, keepdims=True)
    trainer = rp.Trainer(model, loss=nn.MSELoss(), optimizer=rp.optim.SGD(
        model.parameters(), lr=0.1))
    trainer.fit(X, y, epochs=2, batch_size=10, verbose=0)
    assert len(norms[1]) == len(norms[3]) == 8
    assert np.mean(norms[1]) < np.mean(norms[3])  # smaller nearer the input


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_fitted_estimator_with_backward_hooks_copies_and_pickles_without_them(digits_flat):
    """An estimator copies (and pickles) its network as architecture and weights, as
    ``rp.save`` does, so the copy has no hooks, as with the forward hooks."""
    X, y = digits_flat
    est = rp.sklearn.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    est.fit(X[:100], y[:100])
    calls = []
    est.model_[0].register_full_backward_pre_hook(lambda m, go: calls.append(go[0].shape))
    copies = [copy.deepcopy(est), pickle.loads(pickle.dumps(est))]
    for estimator in [est, *copies]:
        x = rp.Tensor(X[:3].astype(estimator.model_.dtype), requires_grad=True)
        estimator.model_(x).sum().backward()
        np.testing.assert_array_equal(estimator.predict_proba(X[:5]), est.predict_proba(X[:5]))
    assert calls == [(3, 8)]


def test_the_nodes_of_a_hooked_call_go_with_its_graph():
    """The hooks' gathering tensors leave the registry of hooked tensors once the backward
    pass has freed the graph, so that later backward passes make no check per node."""
    before = len(tensor_hooks.HOOKED)
    layer = nn.Linear(3, 2).double()
    layer.register_full_backward_hook(lambda m, gi, go: None)
    out = layer(inputs(rp, True))
    assert len(tensor_hooks.HOOKED) == before + 2  # inputs and outputs
    out.sum().backward()
    gc.collect()
    assert len(tensor_hooks.HOOKED) == before


def test_tensor_hooks_on_the_output_run_before_the_modules_as_torch():
    """The output's own hooks and ``retain_grad`` see dL/d(output) before a backward
    pre-hook replaces what goes into the module."""
    results = {}
    for lib, model in zip((rp, torch), pair(), strict=True):
        layer, log = model[0], []
        layer.register_full_backward_pre_hook(lambda m, go, log=log: log.append("pre")
                                              or (go[0] * 2,))
        x = inputs(lib, True)
        out = layer(x)
        out.retain_grad()
        out.register_hook(lambda g, log=log: log.append("tensor"))
        (out * 3).sum().backward()
        results[lib] = (log, values([out.grad, x.grad]))
    assert results[rp][0] == results[torch][0] == ["tensor", "pre"]
    assert_same(results[rp][1], results[torch][1])
