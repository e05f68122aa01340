"""``Tensor.register_hook`` and ``Tensor.retain_grad`` against PyTorch on the same small
networks, in float64: the gradients the hooks see, replaced gradients, order, removal,
accumulation, ``retain_graph``, ``no_grad``, copies, and bad input."""

import copy
import gc
import pickle

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop.tensor import hooks as tensor_hooks


def network(lib, x, weights):
    """A two-layer tanh network's intermediates on x: (h1, a1, h2, loss)."""
    if lib is rp:
        w1, w2 = (rp.Tensor(w, requires_grad=True, dtype=np.float64) for w in weights)
        x = rp.Tensor(x, dtype=np.float64)
    else:
        w1, w2 = (torch.tensor(w, requires_grad=True) for w in weights)
        x = torch.tensor(x)
    h1 = x @ w1
    a1 = h1.tanh()
    h2 = a1 @ w2
    loss = (h2 * h2).sum() + a1.sum()  # a1 used twice: its hook sees the sum
    return (w1, w2), (h1, a1, h2), loss


def data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(4, 3)), [rng.normal(size=(3, 5)), rng.normal(size=(5, 2))]


def values(array):
    return array.detach().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)


def test_hooks_see_and_replace_the_gradients_torch_computes():
    x, weights = data()
    seen, grads = {}, {}
    for lib in (rp, torch):
        params, (h1, a1, h2), loss = network(lib, x, weights)
        log = seen[lib] = []
        h2.register_hook(lambda g, log=log: log.append(("h2", values(g).copy())))
        a1.register_hook(lambda g, log=log: log.append(("a1", values(g).copy())) or g * 3)
        a1.register_hook(lambda g, log=log: log.append(("a1 again", values(g).copy())))
        h1.register_hook(lambda g, log=log: log.append(("h1", values(g).copy())))
        params[0].register_hook(lambda g, log=log: log.append(("w1", values(g).copy())) or -g)
        loss.backward()
        grads[lib] = [values(p.grad) for p in params]
    assert [name for name, _ in seen[rp]] == [name for name, _ in seen[torch]] == [
        "h2", "a1", "a1 again", "h1", "w1"]
    for (_, ours), (_, theirs) in zip(seen[rp], seen[torch], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(grads[rp], grads[torch], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_retain_grad_on_several_intermediates_accumulates_as_torch():
    x, weights = data(1)
    kept = {}
    for lib in (rp, torch):
        params, inter, loss = network(lib, x, weights)
        for tensor in inter:
            tensor.retain_grad()
        inter[1].register_hook(lambda g: g * 2)  # registered after retain_grad: still seen
        loss.backward(retain_graph=True)
        first = [values(t.grad).copy() for t in inter]
        loss.backward()
        kept[lib] = first + [values(t.grad) for t in inter] + [values(params[0].grad)]
        assert all(t.retains_grad for t in inter)
        assert not params[0].retains_grad
    for ours, theirs in zip(kept[rp], kept[torch], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kept[rp][3], 2 * kept[rp][0])  # accumulated over two calls


def test_hooks_fire_at_each_backward_through_a_retained_graph_and_stop_when_removed():
    counts = {}
    for lib, make in ((rp, lambda: rp.Tensor(np.ones(3), requires_grad=True, dtype=np.float64)),
                      (torch, lambda: torch.ones(3, dtype=torch.float64, requires_grad=True))):
        x = make()
        y = x * 2
        calls = []
        handle = y.register_hook(lambda g, calls=calls: calls.append(1))
        y.sum().backward(retain_graph=True)
        y.sum().backward(retain_graph=True)
        handle.remove()
        handle.remove()  # twice: nothing
        y.sum().backward()
        counts[lib] = (len(calls), values(x.grad).tolist())
    assert counts[rp] == counts[torch] == (2, [6.0, 6.0, 6.0])


def test_a_leaf_hook_runs_before_accumulation_and_a_kept_array_is_not_changed_later():
    w = rp.Tensor(np.ones(2), requires_grad=True, dtype=np.float64)
    seen = []
    w.register_hook(seen.append)
    (w * 3).sum().backward()
    (w * 5).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])  # not the accumulated .grad
    np.testing.assert_array_equal(seen[1], [5.0, 5.0])
    np.testing.assert_array_equal(w.grad, [8.0, 8.0])


def test_hook_results_may_be_tensors_and_none_keeps_the_gradient():
    x = rp.Tensor(np.ones(2), requires_grad=True, dtype=np.float64)
    y = x * 1.0
    y.register_hook(lambda g: rp.Tensor(g * 4, dtype=np.float64))
    y.register_hook(lambda g: None)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])



def test_a_hook_on_a_scalar_may_return_numpy_arithmetic_as_torch():
    """``grad * 3`` on a 0-d gradient is a NumPy scalar, not an array: taken as one."""
    grads = []
    for lib in (rp, torch):
        x = (rp.Tensor(np.ones(3), requires_grad=True, dtype=np.float64) if lib is rp
             else torch.ones(3, dtype=torch.float64, requires_grad=True))
        loss = (x * 2.0).sum()
        loss.register_hook(lambda g: g * 3)
        loss.backward()
        grads.append(values(x.grad))
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0].tolist() == [6.0, 6.0, 6.0]

def test_no_grad_interaction_as_torch():
    """A tensor computed under no_grad requires no grad: hooks and retain_grad are refused
    there, as torch refuses them; hooks registered before fire for the recorded uses only."""
    x = rp.Tensor(np.ones(2), requires_grad=True, dtype=np.float64)
    calls = []
    x.register_hook(lambda g: calls.append(g.copy()))
    with rp.no_grad():
        y = x * 2
        x.register_hook(lambda g: calls.append("inside"))  # registering is fine inside
    assert not y.requires_grad
    for method in ("register_hook", "retain_grad"):
        args = (print,) if method == "register_hook" else ()
        with pytest.raises(RuntimeError, match=r"does not require grad \(shape \(2,\)"):
            getattr(y, method)(*args)
        with pytest.raises(RuntimeError):
            getattr(torch.ones(2), method)(*args)
    (x * 3).sum().backward()
    assert len(calls) == 2 and calls[1] == "inside"
    np.testing.assert_array_equal(calls[0], [3.0, 3.0])


def test_wrong_results_are_refused_by_name():
    x = rp.Tensor(np.ones((2, 3)), requires_grad=True, dtype=np.float64)
    cases = [(lambda g: np.ones(2), RuntimeError, r"shape \(2,\) for the tensor of shape \(2, 3\)"),
             (lambda g: g.astype(np.float32), RuntimeError, "dtype float32 for the tensor of "
              "dtype float64"),
             (lambda g: [1.0], TypeError, r"returned \[1.0\] \(list\)")]
    for hook, kind, message in cases:
        y = x * 2
        y.register_hook(hook)
        with pytest.raises(kind, match=message):
            y.sum().backward()
    with pytest.raises(TypeError, match=r"hook must be callable, got 3 \(int\)"):
        x.register_hook(3)


def test_retain_grad_on_a_leaf_does_nothing_as_torch():
    ours = rp.Tensor(np.ones(2), requires_grad=True, dtype=np.float64)
    theirs = torch.ones(2, dtype=torch.float64, requires_grad=True)
    for t in (ours, theirs):
        t.retain_grad()
        (t * 2).sum().backward()
    assert ours.retains_grad is theirs.retains_grad is False
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_copies_and_pickles_leave_the_hooks_behind_as_torch():
    calls = {}
    for lib, make in ((rp, lambda: rp.nn.Parameter(np.ones(2))),
                      (torch, lambda: torch.nn.Parameter(torch.ones(2)))):
        p = make()
        log = calls[lib] = []
        p.register_hook(lambda g, log=log: log.append(1))
        for other in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
            (other * 1).sum().backward()
        assert log == []
        (p * 1).sum().backward()
        assert log == [1]


def test_the_registry_forgets_tensors_that_are_gone_and_hooks_that_are_removed():
    before = len(tensor_hooks.HOOKED)
    x = rp.Tensor(np.ones(2), requires_grad=True)
    handle = x.register_hook(print)
    y = x * 2
    y.retain_grad()
    assert len(tensor_hooks.HOOKED) == before + 2
    handle.remove()
    assert len(tensor_hooks.HOOKED) == before + 1
    del y
    gc.collect()
    assert len(tensor_hooks.HOOKED) == before


def test_draw_graph_neither_fires_hooks_nor_fills_retained_gradients(tmp_path):
    """Its backward pass leaves every ``.grad`` as it was, and is no backward of the user's."""
    x = rp.Tensor(np.ones(2), requires_grad=True)
    y = x * 2
    y.retain_grad()
    calls = []
    y.register_hook(lambda g: calls.append(1))
    loss = (y * y).sum()
    rp.viz.draw_graph(loss, tmp_path / "graph.svg")
    assert calls == [] and y.grad is None
    loss.backward()
    assert calls == [1]
    np.testing.assert_array_equal(y.grad, [4.0, 4.0])
