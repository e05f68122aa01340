"""The small PyTorch idioms that the ported tutorials (``test_torch_tutorials.py``) met,
each against PyTorch: ``f"{loss:.3f}"`` and ``classes[predicted[j]]`` of a 0-d tensor,
``loss.grad_fn.next_functions``, ``DataLoader(..., num_workers=2)`` and
``torch.load(path, map_location=..., weights_only=True)``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn

FORMATS = [(2.5, ".2f"), (2.5, ""), (3, ">4"), (True, ""), (-0.125, "+.1e"), (7, "d")]


@pytest.mark.parametrize("value, spec", FORMATS)
def test_a_0d_tensor_formats_as_its_number_as_torch(value, spec):
    assert format(rp.tensor(value), spec) == format(torch.tensor(value), spec)


def test_a_tensor_of_several_elements_takes_no_format_spec_as_torch():
    for lib in (rp, torch):
        with pytest.raises(TypeError, match=r"unsupported format string passed to "
                                            r"Tensor\.__format__"):
            format(lib.tensor([1.0, 2.0]), ".2f")
    assert f"{rp.tensor([1.0, 2.0])}" == str(rp.tensor([1.0, 2.0]))


@pytest.mark.parametrize("value, index", [(2, 2), ([2], 2), ([[2]], 2), (np.uint8(2), 2),
                                          (True, 1)])
def test_an_integer_tensor_of_one_element_is_an_index_as_torch(value, index):
    classes = ("plane", "car", "bird", "cat")
    assert classes[rp.tensor(value)] == classes[torch.tensor(value)] == classes[index]
    assert list(range(rp.tensor(value))) == list(range(index))


@pytest.mark.parametrize("value", [2.0, [1, 2], [True, False]])
def test_other_tensors_are_not_an_index_as_torch(value):
    for lib in (rp, torch):
        with pytest.raises(TypeError, match="only integer tensors of a single element can be "
                                            "converted to an index"):
            [0, 1, 2][lib.tensor(value)]


def test_an_array_indexed_by_tensors_is_unchanged():
    array = np.arange(10)
    np.testing.assert_array_equal(array[rp.tensor([1, 2])], [1, 2])
    np.testing.assert_array_equal(array[rp.tensor(np.arange(10) > 6)], [7, 8, 9])


def test_grad_fn_and_next_functions_walk_the_graph_as_torch():
    x = rp.randn(4, 3, requires_grad=True)
    hidden = rp.tanh(x * 2)
    loss = hidden.sum()
    assert loss.grad_fn is loss._ctx and x.grad_fn is None
    (node, index), = loss.grad_fn.next_functions
    assert node is hidden.grad_fn and index == 0
    (product, _), = node.next_functions
    # x, a leaf (PyTorch: AccumulateGrad), and the number 2
    assert product.next_functions == ((None, 0), (None, 0))
    with rp.no_grad():
        assert (x * 2).grad_fn is None
    loss.backward()
    with pytest.raises(RuntimeError, match="was freed by backward"):
        _ = loss.grad_fn.next_functions


def test_dataloader_takes_num_workers_and_gives_the_same_batches():
    data = rp.data.TensorDataset(np.arange(10.0), np.arange(10))
    rp.manual_seed(3)
    plain = [xb.tolist() for xb, _ in rp.data.DataLoader(data, batch_size=4, shuffle=True)]
    rp.manual_seed(3)
    workers = [xb.tolist() for xb, _ in rp.data.DataLoader(data, batch_size=4, shuffle=True,
                                                            num_workers=2)]
    assert plain == workers
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=rf"DataLoader: num_workers must be a "
                                             rf"non-negative integer, got {bad!r}"):
            rp.data.DataLoader(data, num_workers=bad)


@pytest.mark.parametrize("kwargs", [{}, {"map_location": "cpu"}, {"weights_only": True},
                                    {"weights_only": False}, {"map_location": "cpu:0"}])
def test_load_takes_torch_loads_arguments(tmp_path, kwargs):
    model = nn.Linear(3, 2)
    rp.save(model.state_dict(), tmp_path / "model.pth")
    loaded = rp.load(tmp_path / "model.pth", **kwargs)
    np.testing.assert_array_equal(loaded["weight"], model.weight.numpy())
    rp.save(model, tmp_path / "whole.pth")
    assert isinstance(rp.load(tmp_path / "whole.pth", **kwargs), nn.Linear)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"map_location": "cuda:0"}, ValueError,
     "load: retroprop computes with NumPy on the CPU only, got map_location 'cuda:0'"),
    ({"weights_only": "yes"}, TypeError,
     "load: weights_only must be True, False or None, got 'yes'"),
])
def test_load_refuses_another_device_or_a_weights_only_that_is_not_a_bool(
        tmp_path, kwargs, error, message):
    rp.save({"epoch": 1}, tmp_path / "state.rpz")
    with pytest.raises(error, match=message):
        rp.load(tmp_path / "state.rpz", **kwargs)


X = rp.zeros(2, 3)
FACTORIES = {
    "tensor": lambda **kw: rp.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda **kw: rp.as_tensor([1.0, 2.0], **kw),
    "zeros": lambda **kw: rp.zeros(2, 3, **kw),
    "ones": lambda **kw: rp.ones((2, 3), **kw),
    "empty": lambda **kw: rp.empty(2, **kw),
    "full": lambda **kw: rp.full((2,), 0.5, **kw),
    "zeros_like": lambda **kw: rp.zeros_like(X, **kw),
    "ones_like": lambda **kw: rp.ones_like(X, **kw),
    "full_like": lambda **kw: rp.full_like(X, 2.0, **kw),
    "randn_like": lambda **kw: rp.randn_like(X, **kw),
    "randn": lambda **kw: rp.randn((), **kw),
    "rand": lambda **kw: rp.rand(3, **kw),
    "randint": lambda **kw: rp.randint(0, 5, (4,), **kw),
    "randperm": lambda **kw: rp.randperm(5, **kw),
    "arange": lambda **kw: rp.arange(4, **kw),
    "linspace": lambda **kw: rp.linspace(-math.pi, math.pi, 5, **kw),
    "eye": lambda **kw: rp.eye(3, **kw),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_torchs_device_the_cpu_only(name):
    """``torch.linspace(..., device=device, dtype=dtype)`` of "Learning PyTorch with
    Examples", with ``device = "cpu"``: the same tensor as without."""
    rp.manual_seed(0)
    plain = FACTORIES[name]()
    rp.manual_seed(0)
    on_cpu = FACTORIES[name](device="cpu")
    np.testing.assert_array_equal(on_cpu.numpy(), plain.numpy())
    assert on_cpu.dtype == plain.dtype
    with pytest.raises(ValueError, match=rf"{name}: retroprop computes with NumPy on the CPU "
                                         r"only, got device 'cuda:0'"):
        FACTORIES[name](device="cuda:0")
