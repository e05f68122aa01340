"""A write through a view (``v = t[0]; v += 1``, ``t.view(...)``, ``t.T``, a reshaped slice)
raises the version of the tensor it views, so that ``backward`` refuses a node that saved
that tensor, as PyTorch's views share their base's version counter."""

import numpy as np
import pytest
import torch

import retroprop as rp

VIEWS = {
    "row": lambda t: t[0],
    "view": lambda t: t.view(6),
    "transpose": lambda t: t.T,
    "slice of a reshape": lambda t: t.reshape(3, 2)[1:],
    "view of a view": lambda t: t[1:].view(3)[::2],
}


@pytest.mark.parametrize("view", VIEWS.values(), ids=list(VIEWS))
@pytest.mark.parametrize("saved", ["input", "parameter"])
def test_backward_refuses_a_saved_tensor_written_through_a_view_as_torch(view, saved):
    rng = np.random.default_rng(0)
    w_values, x_values = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    for lib in (rp, torch):
        make = (lambda v, g: rp.Tensor(v, requires_grad=g, dtype=np.float64)) if lib is rp \
            else (lambda v, g: torch.tensor(v, requires_grad=g))
        w, x = make(w_values, True), make(x_values, saved == "parameter")
        loss = (w * x).sum()  # saves x for dL/dw, and w for dL/dx where x requires grad
        target = x if saved == "input" else w
        with rp.no_grad(), torch.no_grad():
            v = view(target)
            v += 1.0
        with pytest.raises(RuntimeError, match="modified"):
            loss.backward()


def test_a_view_made_while_recording_and_written_later_is_seen_too():
    w = rp.Tensor(np.ones((2, 2)), requires_grad=True, dtype=np.float64)
    h = w * 2.0
    v = h[0]  # recorded
    loss = (h * h).sum()  # saves h
    with rp.no_grad():
        v += 1.0
    with pytest.raises(RuntimeError, match=r"input 0 of Mul .* modified in place"):
        loss.backward()


def test_a_copy_is_no_view_and_writing_it_leaves_the_tensor_alone():
    x = rp.Tensor(np.ones((2, 3)), dtype=np.float64)
    w = rp.Tensor(np.ones((2, 3)), requires_grad=True, dtype=np.float64)
    loss = (w * x).sum()
    with rp.no_grad():
        for copy in (x[[0, 1]], x.clone(), x[0] * 1.0):
            copy += 1.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, np.ones((2, 3)))
    assert x._version == 0


def test_copies_and_pickles_of_a_view_leave_its_base_behind():
    """A copied view owns its values: it neither carries the whole tensor it viewed nor
    raises that tensor's version when written."""
    import copy
    import pickle

    x = rp.Tensor(np.ones((200, 100)), dtype=np.float64)
    row = x[0]
    assert len(pickle.dumps(row)) < 2 * len(pickle.dumps(x[0].clone()))
    for copied in (copy.deepcopy(row), pickle.loads(pickle.dumps(row))):
        np.testing.assert_array_equal(copied.numpy(), row.numpy())
        with rp.no_grad():
            copied += 1.0
        assert x._version == 0 and x.numpy().sum() == 200 * 100
    with rp.no_grad():
        row += 1.0
    assert x._version == 1
