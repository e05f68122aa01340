"""PyTorch idioms, third round, each against PyTorch: ``nn.Sequential``'s ``insert``,
``extend``, ``pop``, ``+`` and ``+=`` (the names of the layers afterwards, the model file
and the inference plan), ``flatten(start_dim, end_dim)``, ``sum``/``mean`` with ``dtype=``,
and ``argmax``/``argmin`` refusing a list. The gradients of ``flatten`` with ``end_dim``
are in the op registry (``tests/ops/test_registry.py``)."""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
import torch

import retroprop as rp

NAMES = ["hidden", "squash", "middle", "act", "out"]


def _layers(nn: Any) -> list[Any]:
    return [nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2)]


def _sequential(nn: Any, named: bool) -> Any:
    layers = _layers(nn)
    if named:
        return nn.Sequential(OrderedDict(zip(NAMES, layers, strict=True)))
    return nn.Sequential(*layers)


#: name: the layers an operation adds (built before it: building a layer alone would end
#: every inference plan), given a library's ``nn``, and the operation on a Sequential of
#: that library, which returns the Sequential to compare and what the operation returned
OPERATIONS = {
    "insert_1": (lambda nn: [nn.Linear(4, 4)], lambda s, new: (s, s.insert(1, *new))),
    "insert_0": (lambda nn: [nn.Linear(3, 3)], lambda s, new: (s, s.insert(0, *new))),
    "insert_-1": (lambda nn: [nn.Linear(4, 4)], lambda s, new: (s, s.insert(-1, *new))),
    "insert_-len": (lambda nn: [nn.Linear(3, 3)],
                    lambda s, new: (s, s.insert(-len(s), *new))),
    "insert_len": (lambda nn: [nn.Linear(2, 2)], lambda s, new: (s, s.insert(len(s), *new))),
    "insert_relu": (lambda nn: [nn.ReLU()], lambda s, new: (s, s.insert(2, *new))),
    "extend_list": (lambda nn: [nn.Tanh(), nn.Linear(2, 3)],
                    lambda s, new: (s, s.extend(new))),
    "extend_sequential": (lambda nn: [nn.Sequential(nn.Sigmoid(), nn.Linear(2, 3))],
                          lambda s, new: (s, s.extend(*new))),
    "extend_empty": (lambda nn: [], lambda s, new: (s, s.extend(new))),
    "pop_1": (lambda nn: [], lambda s, new: (s, s.pop(1))),
    "pop_-1": (lambda nn: [], lambda s, new: (s, s.pop(-1))),
    "pop_slice": (lambda nn: [], lambda s, new: (s, s.pop(slice(1, 3)))),
    "pop_0_of_a_prefix": (lambda nn: [nn.Linear(3, 3)],
                          lambda s, new: (s, (s.insert(0, *new), s.pop(0)))),
    "add": (lambda nn: [nn.Sequential(nn.Tanh(), nn.Linear(2, 3))],
            lambda s, new: (s + new[0], None)),
    "iadd": (lambda nn: [nn.Sequential(nn.Tanh(), nn.Linear(2, 3))],
             lambda s, new: (_iadd(s, *new), None)),
    "pop_append_insert": (lambda nn: [nn.Linear(4, 2), nn.Linear(4, 4)],
                          lambda s, new: (s, (s.pop(-1), s.append(new[0]),
                                              s.insert(4, new[1])))),
}


def _operate(name: str, nn: Any, named: bool, before: Any = None) -> tuple[Any, Any]:
    """Operation ``name`` on a new Sequential of ``nn``'s; ``before`` is called with the
    Sequential once the new layers are built."""
    build, act = OPERATIONS[name]
    model, new = _sequential(nn, named), build(nn)
    if before is not None:
        before(model)
    return act(model, new)


def _iadd(s: Any, other: Any) -> Any:
    s += other
    return s


def _described(result: Any) -> Any:
    """What an operation returned, comparable between the libraries."""
    if isinstance(result, tuple):
        return tuple(_described(r) for r in result)
    if isinstance(result, rp.nn.Sequential | torch.nn.Sequential):
        return [type(layer).__name__ for layer in result]
    return None if result is None else type(result).__name__


def _torch_after(name: str, named: bool) -> tuple[Any, Any]:
    """PyTorch's Sequential after the operation. PyTorch's ``insert`` before the end of a
    Sequential of named layers raises ``KeyError``; retroprop numbers the layers again there,
    which is PyTorch's result for the same layers numbered."""
    try:
        return _operate(name, torch.nn, named)
    except KeyError:
        assert named and name not in ("insert_len", "pop_append_insert")
        return _operate(name, torch.nn, False)


@pytest.mark.parametrize("named", [False, True], ids=["numbered", "named"])
@pytest.mark.parametrize("name", list(OPERATIONS))
def test_sequential_operation_names_layers_as_torch(name, named, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3)).astype(np.float32)

    def plan(model: Any) -> None:  # for this input, which the change must end
        with rp.no_grad():
            model.eval()(rp.tensor(x))

    model, returned = _operate(name, rp.nn, named, plan)
    expected, torch_returned = _torch_after(name, named)
    assert [n for n, _ in model.named_children()] == [n for n, _ in expected.named_children()]
    assert list(model.state_dict()) == list(expected.state_dict())
    assert [type(m).__name__ for m in model] == [type(m).__name__ for m in expected]
    assert _described(returned) == _described(torch_returned)

    expected.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    with torch.no_grad():
        wanted = expected(torch.tensor(x)).numpy()
    with rp.no_grad():  # the plan's path sees the new layers (nothing else changed since)
        np.testing.assert_allclose(model(rp.tensor(x)).numpy(), wanted, rtol=1e-5, atol=1e-6)

    rp.save(model, tmp_path / "model.rpm")
    loaded = rp.load_model(tmp_path / "model.rpm")
    assert [n for n, _ in loaded.named_children()] == [n for n, _ in model.named_children()]
    assert loaded.get_config().keys() == model.get_config().keys()
    with rp.no_grad():
        np.testing.assert_array_equal(loaded.eval()(rp.tensor(x)).numpy(),
                                      model(rp.tensor(x)).numpy())


def test_insert_in_the_middle_of_named_layers_numbers_them_again():
    model = _sequential(rp.nn, named=True)
    tanh = model.squash
    model.insert(2, rp.nn.Sigmoid())
    assert [n for n, _ in model.named_children()] == ["0", "1", "2", "3", "4", "5"]
    assert model[1] is tanh and type(model[2]).__name__ == "Sigmoid"


def test_pop_gives_the_layer_itself():
    model = _sequential(rp.nn, named=False)
    second = model[2]
    assert model.pop(2) is second and second not in list(model)


@pytest.mark.parametrize("call, error, match", [
    (lambda s: s.insert(6, rp.nn.ReLU()), IndexError,
     r"Sequential.insert: index 6 out of range for 5 layers \(expected -5 to 5\)"),
    (lambda s: s.insert(-6, rp.nn.ReLU()), IndexError, "index -6 out of range"),
    (lambda s: s.insert(1.0, rp.nn.ReLU()), IndexError, "index 1.0 out of range"),
    (lambda s: s.insert(1, "relu"), TypeError,
     "Sequential.insert: module must be a Module, got str"),
    (lambda s: s.pop(5), IndexError, "Sequential: index 5 out of range for 5 layers"),
    (lambda s: s.pop(-6), IndexError, "index -6 out of range"),
    (lambda s: s.extend([rp.nn.ReLU(), np.tanh]), TypeError,
     "Sequential.extend: item 1 must be a Module, got ufunc"),
    (lambda s: s.extend(rp.nn.ReLU()), TypeError, "not iterable"),
    (lambda s: operator.add(s, [rp.nn.ReLU()]), ValueError,
     r"Sequential \+: the other operand must be a Sequential, got list"),
    (lambda s: operator.iadd(s, rp.nn.ModuleList([rp.nn.ReLU()])), ValueError,
     r"Sequential \+=: the other operand must be a Sequential, got ModuleList"),
])
def test_bad_sequential_operations_are_refused_and_change_nothing(call, error, match):
    model = _sequential(rp.nn, named=True)
    before = list(model.named_children())
    with pytest.raises(error, match=match):
        call(model)
    assert list(model.named_children()) == before


FLATTEN_DIMS = [(), (1,), (1, 2), (1, -2), (-3, -2), (2, 2), (0, 0), (3, 3), (0, 1)]


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (0, 3, 4, 1)])
@pytest.mark.parametrize("dims", FLATTEN_DIMS)
def test_flatten_end_dim_as_torch(shape, dims):
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    expected = torch.tensor(values).flatten(*dims).numpy()
    for result in (rp.tensor(values).flatten(*dims), rp.flatten(rp.tensor(values), *dims)):
        assert result.shape == expected.shape
        np.testing.assert_array_equal(result.numpy(), expected)
    if len(dims) == 2:
        assert rp.flatten(rp.tensor(values), end_dim=dims[1], start_dim=dims[0]).shape == \
            torch.flatten(torch.tensor(values), end_dim=dims[1], start_dim=dims[0]).shape


@pytest.mark.parametrize("dims", [(0, 0), (0, -1), (-1, 0), (-1, -1)])
def test_flatten_of_a_0d_tensor_is_one_element_as_torch(dims):
    assert rp.tensor(2.0).flatten(*dims).shape == tuple(torch.tensor(2.0).flatten(*dims).shape)


@pytest.mark.parametrize("dims, error, match", [
    ((2, 1), ValueError, r"flatten: start_dim 2 comes after end_dim 1 for a tensor with 4 "
                         r"dimensions \(expected start_dim <= end_dim\)"),
    ((-1, 1), ValueError, "start_dim -1 comes after end_dim 1"),
    ((0, 4), IndexError, r"flatten: end_dim 4 is out of range for a tensor with 4 dimensions "
                         r"\(expected -4 to 3\)"),
    ((-5, 0), IndexError, "flatten: start_dim -5 is out of range"),
    ((0, 1.0), TypeError, "flatten: end_dim must be an integer, got 1.0"),
    ((0, None), TypeError, "flatten: end_dim must be an integer, got None"),
])
def test_bad_flatten_dims_are_refused_as_torch(dims, error, match):
    x = rp.zeros((2, 3, 4, 5))
    with pytest.raises(error, match=match):
        x.flatten(*dims)
    with pytest.raises((RuntimeError, IndexError, TypeError)):  # PyTorch refuses them too
        torch.zeros(2, 3, 4, 5).flatten(*dims)


INPUTS = {"int64": [[1, 2, 3], [4, 5, 7]], "int32": [[1, -2, 3], [4, 5, 6]],
          "bool": [[True, False, True], [True, True, False]],
          "float32": [[1.5, 2.7, -3.2], [0.25, 9.5, 1.0]],
          "float64": [[1.5, 2.7, -3.2], [0.25, 9.5, 1.0]]}
REDUCED = [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}, {"dim": 0}]


@pytest.mark.parametrize("kwargs", REDUCED)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
@pytest.mark.parametrize("given", list(INPUTS))
def test_sum_with_dtype_as_torch(given, dtype, kwargs):
    values = np.array(INPUTS[given], dtype=given)
    expected = torch.tensor(values).sum(**kwargs, dtype=getattr(torch, dtype))
    x = rp.tensor(values, dtype=given)
    for result in (x.sum(**kwargs, dtype=dtype), rp.sum(x, **kwargs, dtype=getattr(rp, dtype))):
        assert str(result.dtype) == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("kwargs", REDUCED)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("given", list(INPUTS))
def test_mean_with_dtype_as_torch(given, dtype, kwargs):
    values = np.array(INPUTS[given], dtype=given)
    expected = torch.tensor(values).mean(**kwargs, dtype=getattr(torch, dtype))
    result = rp.mean(rp.tensor(values, dtype=given), **kwargs, dtype=getattr(rp, dtype))
    assert str(result.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("given, dtype", [("float32", "float64"), ("float64", "float32")])
def test_the_gradient_through_dtype_comes_back_in_the_input_dtype(reduction, given, dtype):
    values = np.array(INPUTS[given], dtype=given)
    x = rp.tensor(values, dtype=given, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    (getattr(x, reduction)(dim=1, dtype=dtype) * rp.tensor([2.0, -1.0], dtype=dtype)).sum() \
        .backward()
    (getattr(t, reduction)(dim=1, dtype=getattr(torch, dtype))
     * torch.tensor([2.0, -1.0], dtype=getattr(torch, dtype))).sum().backward()
    assert x.grad.dtype == values.dtype
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.mean(dtype=rp.int64), TypeError,
     "mean: dtype must be a floating dtype .* got int64"),
    (lambda x: x.sum(dtype="float16"), TypeError,
     r"sum\(dtype=...\): expected a dtype, one of float32, .* got 'float16'"),
    (lambda x: rp.mean(x, dtype=3), TypeError, r"mean\(dtype=...\): expected a dtype"),
])
def test_bad_reduction_dtypes_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call(rp.tensor([[1, 2], [3, 4]]))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("given", [[3.0, 1.0, 2.0], np.array([3.0, 1.0, 2.0]), (3, 1, 2)])
def test_argmax_and_argmin_ask_for_a_tensor(name, given):
    with pytest.raises(TypeError, match=rf"{name}: expected a Tensor as input, got "
                                        rf"{type(given).__name__}; make it one with "
                                        r"rp.tensor\(...\)"):
        getattr(rp, name)(given)
    assert getattr(rp, name)(rp.tensor(given)).item() == \
        getattr(torch, name)(torch.tensor(given)).item()


def test_an_integer_sum_of_a_tensor_that_requires_grad_is_refused_as_torch():
    """An integer sum has no gradient: PyTorch refuses it for an input that requires one
    (it dropped the gradient silently); without a gradient, or under no_grad, it runs."""
    x = rp.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"sum: dtype=int64 has no gradient, and the "
                                           r"input requires one"):
        x.sum(dtype=rp.int64)
    with pytest.raises(RuntimeError):
        torch.ones(3, requires_grad=True).sum(dtype=torch.int64)
    with rp.no_grad():
        assert x.sum(dtype=rp.int64).item() == 3
    assert x.detach().sum(dtype=rp.int64).item() == 3
    assert x.sum(dtype=rp.float64).requires_grad
