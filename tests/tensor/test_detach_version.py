"""``x.detach()`` shares ``x``'s version counter, as PyTorch's: a write in place into the
detached tensor changes ``x``'s values and makes ``backward`` through a graph that saved
``x`` raise, in both libraries; ``x.data`` shares no counter: both use the new values.
Each against PyTorch."""

from __future__ import annotations

import copy
import gc
import pickle
import weakref
from typing import Any

import numpy as np
import pytest
import torch

import retroprop as rp

#: name: a write in place, given the library's module and the tensor to write into
WRITES = {
    "add_": lambda lib, y: y.add_(1.0),
    "sub_": lambda lib, y: y.sub_(y, alpha=0.5),
    "mul_": lambda lib, y: y.mul_(3.0),
    "div_": lambda lib, y: y.div_(2.0),
    "zero_": lambda lib, y: y.zero_(),
    "fill_": lambda lib, y: y.fill_(7.0),
    "copy_": lambda lib, y: y.copy_(lib.ones(y.shape)),
    "clamp_": lambda lib, y: y.clamp_(-1.0, 1.0),
    "iadd": lambda lib, y: y.__iadd__(1.0),
    "imul": lambda lib, y: y.__imul__(2.0),
    "init.constant_": lambda lib, y: lib.nn.init.constant_(y, 0.5),
    "setitem": lambda lib, y: y.__setitem__(0, 5.0),
    "setitem_mask": lambda lib, y: y.__setitem__(y > 0, 0.0),
}

#: name: from x (a leaf that requires grad), the tensor the graph saves and the tensor
#: that is written into, which shares its memory
SOURCES = {
    "leaf": lambda x: (x, x.detach()),
    "computed": lambda x: (h := x * 2, h.detach()),
    "detached_twice": lambda x: (x, x.detach().detach()),
    "view_of_detached": lambda x: (x, x.detach()[1:]),
    "detached_view": lambda x: (x, x[1:].detach()),
    "detached_of_a_view_kept": lambda x: (v := x.reshape(2, 2), v.detach()),
}


def _after_write(lib: Any, source: str, write: str) -> tuple[Any, Any, Any]:
    """x, the values x holds after the write, and what backward did: the gradient, or
    the error it raised."""
    x = lib.tensor([0.5, -2.0, 1.5, 3.0], requires_grad=True)
    saved, written = SOURCES[source](x)
    loss = (saved * saved).sum()
    with lib.no_grad():
        WRITES[write](lib, written)
    values = np.array(x.detach().numpy())
    try:
        loss.backward()
    except RuntimeError as error:
        return x, values, error
    return x, values, x.grad


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_through_detach_makes_backward_raise_as_torch(write, source):
    _, theirs, torch_outcome = _after_write(torch, source, write)
    _, mine, outcome = _after_write(rp, source, write)
    assert isinstance(torch_outcome, RuntimeError)
    assert "modified by an inplace operation" in str(torch_outcome)
    np.testing.assert_allclose(mine, theirs, rtol=1e-6)  # the write reached x's values
    assert isinstance(outcome, RuntimeError)
    assert "was modified in place after the forward pass" in str(outcome)


@pytest.mark.parametrize("write", ["add_", "zero_", "iadd"])
def test_a_write_into_x_data_is_not_counted_as_torch(write):
    """``x.data`` shares memory but no version counter, in both: backward runs and uses
    the new values (in retroprop ``x.data`` is the NumPy array; its in-place writes)."""
    array_writes = {"add_": lambda a: np.add(a, 1.0, out=a),
                    "zero_": lambda a: a.fill(0.0),
                    "iadd": lambda a: a.__iadd__(1.0)}
    outcomes = []
    for lib, do in ((torch, lambda y: WRITES[write](torch, y)), (rp, array_writes[write])):
        x = lib.tensor([0.5, -2.0, 1.5], requires_grad=True)
        loss = (x * x).sum()
        do(x.data)
        loss.backward()
        grad = x.grad.numpy() if isinstance(x.grad, torch.Tensor) else x.grad
        outcomes.append((np.array(x.detach().numpy()), np.array(grad)))
    np.testing.assert_allclose(outcomes[1][0], outcomes[0][0])
    np.testing.assert_allclose(outcomes[1][1], outcomes[0][1])
    np.testing.assert_allclose(outcomes[1][1], 2 * outcomes[1][0])  # the new values


def test_backward_runs_when_the_detached_tensor_is_only_read():
    x = rp.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    y = x.detach()
    _ = y * 2  # reading, and making new tensors from it, writes nothing
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_the_detached_tensor_does_not_keep_the_graph_alive():
    x = rp.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    kept = weakref.ref(h)
    y = h.detach()
    del h
    gc.collect()
    assert kept() is None
    y.add_(1.0)  # its source is gone: nothing else to count
    assert y._version == 1 and x._version == 0


def test_a_detached_tensor_copies_and_pickles():
    x = rp.tensor([1.0, 2.0], requires_grad=True)
    y = x.detach()
    for twin in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        np.testing.assert_array_equal(twin.numpy(), y.numpy())
        twin.add_(1.0)  # its own memory now: x is neither changed nor counted
        assert x._version == 0 and x.tolist() == [1.0, 2.0]
