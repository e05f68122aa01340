"""PyTorch idioms that ported code uses, run as written: ``x.size(0)``, ``rp.float32`` /
``rp.long``, ``rp.sum`` and the other top-level functions, ``gather`` and ``topk``,
``torch.max(x, dim)``'s values and indices,
``nn.Sequential(OrderedDict(...))``, ``nn.ReLU(inplace=True)`` and
``nn.Dropout(p, inplace=True)``; each against PyTorch. The gradients of ``gather``,
``topk`` and ``amax``/``amin`` are in the op registry (``tests/ops/test_registry.py``)."""

from __future__ import annotations

import builtins
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn

SHAPES = [(), (5,), (3, 4), (2, 0, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_size_is_numpy_count_and_torch_method(shape):
    x, t = rp.zeros(shape), torch.zeros(shape)
    assert x.size == int(np.prod(shape)) == t.numel()
    assert x.size() == tuple(t.size())
    for dim in range(-len(shape), len(shape)):
        assert x.size(dim) == t.size(dim) == x.size(np.int64(dim)) == x.size(dim=dim)
    if not shape:
        with pytest.raises(IndexError, match=r"a 0-d tensor has no dimensions\) for a tensor "
                                             r"of shape \(\), got 0"):
            x.size(0)
    assert isinstance(x.size, int) and x.size + 1 == t.numel() + 1
    assert pickle.loads(pickle.dumps(x.size)) == t.numel()


def test_a_layer_sized_by_x_size_saves_and_loads(tmp_path):
    """``x.size`` is callable, but it is a number: model files keep it as one."""
    images = rp.zeros((5, 2, 3))
    model = nn.Sequential(nn.Flatten(), nn.Linear(images[0].size, 4), nn.ReLU())
    rp.save(model, tmp_path / "sized.rpm")
    loaded = rp.load_model(tmp_path / "sized.rpm")
    assert loaded[1].in_features == 6 and repr(loaded) == repr(model)
    np.testing.assert_array_equal(loaded(images).numpy(), model(images).numpy())

@pytest.mark.parametrize("dim", [2, -3, 1.0, True, np.True_, "0", np.int64(2)])
def test_size_of_a_missing_dim_is_refused(dim):
    with pytest.raises(IndexError, match=r"size: dim must be an integer from -2 to 1 for a "
                                         r"tensor of shape \(3, 4\), got"):
        rp.zeros((3, 4)).size(dim)


TORCH_DTYPES = ["float32", "float", "float64", "double", "int8", "uint8", "int16", "short",
                "int32", "int", "int64", "long", "bool"]


@pytest.mark.parametrize("name", TORCH_DTYPES)
def test_dtype_names_are_torchs(name):
    expected = str(getattr(torch, name)).removeprefix("torch.")
    assert np.dtype(getattr(rp, name)) == np.dtype(expected)
    values = rp.tensor([1, 0, 2]).to(getattr(rp, name))
    assert values.dtype == getattr(rp, name)
    assert values.numpy().tolist() == torch.tensor([1, 0, 2]).to(getattr(torch, name)).tolist()



@pytest.mark.parametrize("name", TORCH_DTYPES)
def test_factories_take_the_dtype_names_as_torch(name):
    """``rp.zeros(3, dtype=rp.long)``, ``rp.tensor(labels, dtype=rp.long)`` as written."""
    ours, theirs = getattr(rp, name), getattr(torch, name)
    for make in ("zeros", "ones"):
        made = getattr(rp, make)(2, 3, dtype=ours)
        expected = getattr(torch, make)(2, 3, dtype=theirs)
        assert made.dtype == ours and made.numpy().tolist() == expected.tolist()
    values = [[1.7, -0.0], [3.0, 0.5]] if name != "uint8" else [[1.7, 0.0], [3.0, 0.5]]
    made, expected = rp.tensor(values, dtype=ours), torch.tensor(values, dtype=theirs)
    assert made.dtype == ours and made.numpy().tolist() == expected.tolist()


def test_factories_refuse_a_gradient_for_an_integer_dtype():
    with pytest.raises(TypeError, match="zeros: only floating tensors can require a "
                                        "gradient, got dtype int64"):
        rp.zeros(3, dtype=rp.long, requires_grad=True)

def test_star_import_keeps_python_builtins():
    namespace: dict = {}
    exec("from retroprop import *", namespace)
    assert not {"float", "int", "bool", "long"} & set(namespace)
    assert not [name for name in namespace if name in dir(builtins)
                and not name.startswith("__")]  # sum(losses), abs(-1) as Python's
    assert rp.sum(rp.tensor([1, 2])).item() == 3 and rp.abs(rp.tensor([-1])).item() == 1
    assert rp.max(rp.tensor([1, 2])).item() == 2 and rp.min(rp.tensor([1, 2])).item() == 1
    assert {"mean", "gather", "topk", "Tensor"} <= set(namespace)


TOP_LEVEL = {
    "sum": ((), {"dim": 1}), "mean": ((), {"dim": 0}), "amax": ((), {"dim": 1}),
    "amin": ((), {"dim": (0, 1)}), "argmax": ((), {"dim": 1}), "argmin": ((), {"dim": 0}),
    "abs": ((), {}), "softmax": ((), {"dim": 1}), "log_softmax": ((), {"dim": -1}),
    "clamp": ((), {"min": -0.5, "max": 0.5}), "flatten": ((), {}),
    "reshape": (((4, 3),), {}),
    "sin": ((), {}), "cos": ((), {}),  # torch.sin(x) of the tutorials
}


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_top_level_functions_are_torchs(name):
    args, kwargs = TOP_LEVEL[name]
    data = np.random.default_rng(0).normal(size=(3, 4))
    ours = getattr(rp, name)(rp.from_numpy(data), *args, **kwargs)
    theirs = getattr(torch, name)(torch.from_numpy(data), *args, **kwargs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_sqrt_log1p_gather_topk_at_top_level():
    data = np.random.default_rng(1).uniform(0.5, 2, (3, 4))
    x, t = rp.from_numpy(data), torch.from_numpy(data)
    np.testing.assert_allclose(rp.sqrt(x).numpy(), torch.sqrt(t).numpy())
    np.testing.assert_allclose(rp.log1p(x).numpy(), torch.log1p(t).numpy(), rtol=1e-12)
    index = np.array([[3], [0], [1]])
    np.testing.assert_array_equal(rp.gather(x, 1, index).numpy(),
                                  torch.gather(t, 1, torch.from_numpy(index)).numpy())
    values, indices = rp.topk(x, 2)
    expected = torch.topk(t, 2)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())


NAN = float("nan")
EXTREMES = {  # ties along both axes, NaN alone, twice and beside ties, integers, booleans
    "ties": np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 0.0], [5.0, -2.0, 4.0, 5.0]]),
    "nan": np.array([[1.0, NAN, NAN, 5.0], [NAN, 1.0, 2.0, 3.0], [2.0, 2.0, NAN, 2.0]]),
    "int": np.array([[4, 1, 4], [-3, 7, 7]]),
    "bool": np.array([[True, False, True], [False, False, True]]),
    "0-d": np.array(2.5),
    "empty_rows": np.zeros((0, 3)),
}


#: every dim of each input, but the empty one (refused: tested below)
ALONG = [(data, dim) for data, array in sorted(EXTREMES.items())
         for dim in range(-builtins.max(array.ndim, 1), builtins.max(array.ndim, 1))
         if array.ndim == 0 or array.shape[dim]]


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(("data", "dim"), ALONG)
def test_max_and_min_along_a_dim_give_values_and_indices_as_torch(data, dim, keepdim, name):
    """``x.max(dim)``, ``x.max(dim=...)`` and ``rp.max(x, dim)`` give torch's named tuple:
    the same values and the same indices (the first of ties, the first NaN), int64."""
    array = EXTREMES[data]
    x, t = rp.from_numpy(array), torch.from_numpy(array)
    expected = getattr(torch, name)(t, dim, keepdim)
    for result in (getattr(x, name)(dim, keepdim), getattr(x, name)(dim=dim, keepdim=keepdim),
                   getattr(rp, name)(x, dim, keepdim=keepdim)):
        values, indices = result
        assert type(result).__name__ == f"{name.capitalize()}Dim" and len(result) == 2
        assert values is result.values and indices is result.indices
        assert values.dtype == array.dtype and indices.dtype == np.int64
        assert values.shape == tuple(expected.values.shape)
        assert indices.shape == tuple(expected.indices.shape)
        np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
        np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())


def test_the_predicted_class_idiom_runs_as_in_torch():
    """``_, predicted = torch.max(outputs, 1)``: with two rows the old values-only result
    unpacked into the two rows' maxima, silently."""
    outputs = np.array([[0.1, 2.0, 0.3], [1.5, -1.0, 1.7]])
    _, predicted = rp.max(rp.from_numpy(outputs), 1)
    _, expected = torch.max(torch.from_numpy(outputs), 1)
    assert predicted.tolist() == expected.tolist() == [1, 2]
    assert (predicted == rp.tensor([1, 2])).sum().item() == 2


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_without_dim_or_with_axis_give_the_values(name):
    """No axis: a tensor, as torch.max(x); NumPy's ``axis=``: the values, as np.max."""
    data = EXTREMES["ties"]
    x, t = rp.from_numpy(data), torch.from_numpy(data)
    whole = getattr(x, name)()
    assert type(whole) is rp.Tensor and whole.item() == getattr(torch, name)(t).item()
    for kwargs in ({"axis": 1}, {"axis": (0, 1)}, {"axis": 0, "keepdims": True},
                   {"axis": 0, "keepdim": True}):
        values = getattr(rp, name)(x, **kwargs)
        axis, keep = kwargs["axis"], kwargs.get("keepdims", kwargs.get("keepdim", False))
        assert type(values) is rp.Tensor
        np.testing.assert_array_equal(
            values.numpy(), getattr(np, name)(data, axis=axis, keepdims=keep))


def test_max_along_a_dim_refuses_an_empty_dim_and_both_spellings():
    with pytest.raises(IndexError):
        torch.zeros(0, 3).max(0)
    with pytest.raises(IndexError, match="max: axis 0 of the tensor of shape"):
        rp.zeros((0, 3)).max(0)
    with pytest.raises(TypeError, match="got both axis=0 and dim=1"):
        rp.zeros((2, 3)).min(1, axis=0)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("other", [lambda: rp.ones((2, 3)), lambda: np.ones((2, 3))],
                         ids=["tensor", "array"])
def test_max_of_two_tensors_points_to_maximum(name, other):
    """``torch.max(a, b)`` is the element-wise maximum; retroprop's is ``rp.maximum``,
    which the TypeError names, without printing the values of b."""
    assert torch.equal(getattr(torch, name)(torch.zeros(2, 3), torch.ones(2, 3)),
                       torch.zeros(2, 3) if name == "min" else torch.ones(2, 3))
    with pytest.raises(TypeError, match=rf"{name}: dim must be an integer .* got a "
                       rf"{'Tensor' if other().__class__ is rp.Tensor else 'ndarray'} of "
                       rf"shape \(2, 3\); for the element-wise {name}imum of two tensors "
                       rf"\(torch\.{name}\(a, b\)\) use rp\.{name}imum\(a, b\)"):
        getattr(rp, name)(rp.zeros((2, 3)), other())


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_topk_with_ties_and_nan(largest, dim):
    """Ties: the lower index first (PyTorch's order is unspecified, so compare values and
    that the indices pick them); NaN counts as the largest, as in PyTorch."""
    data = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 0.0], [5.0, -2.0, 4.0, 5.0]])
    values, indices = rp.from_numpy(data).topk(2, dim=dim, largest=largest)
    expected = torch.from_numpy(data).topk(2, dim=dim, largest=largest)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(np.take_along_axis(data, indices.numpy(), dim),
                                  values.numpy())
    assert indices.dtype == np.int64
    if largest and dim == 1:
        assert indices.numpy().tolist() == [[1, 2], [0, 1], [0, 3]]
    nan = data.copy()
    nan[0, 0] = np.nan
    got = rp.from_numpy(nan).topk(1, dim=1, largest=largest).values.numpy()
    want = torch.from_numpy(nan).topk(1, dim=1, largest=largest).values.numpy()
    np.testing.assert_array_equal(got, want)


def test_topk_of_integer_labels_and_k_zero():
    labels = rp.tensor(np.array([3, 0, 7, 7], dtype=np.uint8))
    assert labels.topk(2).values.numpy().tolist() == [7, 7]
    assert labels.topk(2).indices.numpy().tolist() == [2, 3]
    assert rp.zeros((2, 3)).topk(0, dim=1).values.shape == (2, 0)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_gather_and_topk_keep_an_integer_dtype_as_torch(dtype):
    """Picking labels or indices gives them back as they were, not as floats."""
    data = np.array([[3, 0, 7], [1, 1, 0]]).astype(dtype)
    index = np.array([[2, 0], [0, 2]])
    picked = rp.from_numpy(data).gather(1, index)
    expected = torch.from_numpy(data).gather(1, torch.from_numpy(index))
    assert picked.dtype == np.dtype(dtype)
    assert picked.numpy().tolist() == expected.tolist()
    if dtype != "bool":  # PyTorch has no topk of booleans
        values = rp.from_numpy(data).topk(2).values
        assert values.dtype == np.dtype(dtype)
        assert values.numpy().tolist() == torch.from_numpy(data).topk(2).values.tolist()


def test_topk_of_the_extreme_integers_and_of_nan_beside_infinity_as_torch():
    """The smallest int64, which has no negative, is the smallest; NaN comes before +inf."""
    low = np.array([np.iinfo(np.int64).min, 0, 5, np.iinfo(np.int64).max])
    floats = np.array([[np.inf, np.nan, 1.0, -np.inf], [-np.inf, 2.0, np.inf, np.nan]])
    for data in (low, floats):
        for largest in (True, False):
            values, indices = rp.from_numpy(data).topk(3, largest=largest)
            expected = torch.from_numpy(data).topk(3, largest=largest)
            np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
            np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
            values, indices = rp.from_numpy(data).sort(descending=largest)
            expected = torch.from_numpy(data).sort(descending=largest, stable=True)
            np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
            np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "flatten", "softmax",
                                  "log_softmax", "gather", "topk", "sort", "argsort"])
@pytest.mark.parametrize("given", [[[1.0, 2.0]], np.ones((1, 2), np.float32)])
def test_top_level_functions_name_an_input_that_is_not_a_tensor(name, given):
    """``rp.sum(list)`` is told to make a tensor (it failed on the list's missing .ndim)."""
    args = {"gather": (1, np.zeros((1, 1), dtype=np.int64)), "topk": (1,)}.get(name, ())
    with pytest.raises(TypeError, match=rf"expected a Tensor as input, got "
                                        rf"{type(given).__name__}; make it one with "
                                        r"rp.tensor\(...\)"):
        getattr(rp, name)(given, *args)

BAD_GATHER = [
    (lambda x: rp.gather([[1.0, 2.0]], 1, np.array([[0]])), TypeError,
     r"gather: expected a Tensor as input, got list; make it one with rp.tensor\(...\)"),
    (lambda x: rp.topk(x.numpy(), 1), TypeError,
     "topk: expected a Tensor as input, got ndarray"),
    (lambda x: x.gather(1, np.array([[-1]])), IndexError,
     r"index holds values from -1 to -1, out of range for dim 1 of size 4 \(expected 0 to "
     r"3: negative indices are refused, as in PyTorch\)"),
    (lambda x: x.gather(1, np.array([[0.5]])), TypeError, "gather: index must hold integers"),
    (lambda x: x.gather(1, np.array([0, 1])), ValueError,
     r"gather: index must have as many dimensions as the input \(2, shape \(3, 4\)\), got "
     r"shape \(2,\)"),
    (lambda x: x.gather(1, np.zeros((4, 1), dtype=int)), ValueError,
     r"index of shape \(4, 1\) is larger than the input of shape \(3, 4\) on an axis other "
     r"than dim=1"),
    (lambda x: x.gather(1, np.array([[4]])), IndexError,
     "index holds values from 4 to 4, out of range for dim 1 of size 4"),
    (lambda x: x.gather(2, np.array([[0]])), IndexError, "gather: dim 2 is out of range"),
    (lambda x: x.topk(5, dim=1), ValueError,
     r"topk: k must be an integer from 0 to 4 \(the size of dim 1 of the input of shape "
     r"\(3, 4\)\), got 5"),
    (lambda x: x.topk(1.5), ValueError, "topk: k must be an integer"),
    (lambda x: x.topk(1, dim=-3), IndexError, "topk: dim -3 is out of range"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_GATHER)
def test_gather_and_topk_refuse_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(rp.zeros((3, 4)))


def named_layers(library):
    return OrderedDict([("hidden", library.nn.Linear(3, 5)), ("act", library.nn.ReLU()),
                        ("drop", library.nn.Dropout(0.1)), ("out", library.nn.Linear(5, 2))])


def test_sequential_from_ordered_dict_names_its_layers_as_torch(tmp_path):
    ours, theirs = nn.Sequential(named_layers(rp)), torch.nn.Sequential(named_layers(torch))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_modules()] == \
        [name for name, _ in theirs.named_modules()]
    assert isinstance(ours.out, nn.Linear) and ours[-1] is ours.out
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    data = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    ours.eval(), theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(data)).numpy()
    np.testing.assert_allclose(ours(rp.tensor(data)).numpy(), expected, rtol=1e-5, atol=1e-6)
    rp.save(ours, tmp_path / "named.rpm")
    loaded = rp.load_model(tmp_path / "named.rpm")
    assert list(loaded.state_dict()) == list(ours.state_dict())
    np.testing.assert_array_equal(loaded(rp.tensor(data)).numpy(), ours(rp.tensor(data)).numpy())



def test_slices_and_appends_of_a_sequential_name_layers_as_torch(tmp_path):
    """A slice keeps the layers' names and ``append`` names a layer by the count, so that
    state dicts of the two libraries have the same keys."""
    named = [nn.Sequential(named_layers(rp)), torch.nn.Sequential(named_layers(torch))]
    plain = [nn.Sequential(*named_layers(rp).values()),
             torch.nn.Sequential(*named_layers(torch).values())]
    for ours, theirs in (named, plain):
        for part in (slice(1, None), slice(None, 2), slice(None, None, -1)):
            assert list(ours[part].state_dict()) == list(theirs[part].state_dict())
            assert list(ours[part]._modules) == list(theirs[part]._modules)
        ours.append(nn.Linear(2, 2)), theirs.append(torch.nn.Linear(2, 2))
        assert list(ours.state_dict()) == list(theirs.state_dict())
    for ours, theirs in (named, plain):
        del ours[1::2], theirs[1::2]
        assert list(ours.state_dict()) == list(theirs.state_dict())
    piece = plain[0][2:]
    rp.save(piece, tmp_path / "piece.rpm")
    assert list(rp.load_model(tmp_path / "piece.rpm").state_dict()) == \
        list(piece.state_dict()) == ["2.weight", "2.bias"]

def test_sequential_from_a_mapping_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="Sequential: layer 'act' must be a Module, got str"):
        nn.Sequential({"fc": nn.Linear(2, 2), "act": "relu"})


def test_inplace_flags_run_as_in_torch_with_the_same_outputs_and_gradients(tmp_path):
    rng = np.random.default_rng(3)
    data = rng.normal(size=(6, 4)).astype(np.float32)
    relu, relu_flag = nn.ReLU(), nn.ReLU(inplace=True)
    assert repr(relu_flag) == repr(torch.nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Dropout(0.2, inplace=True)) == repr(torch.nn.Dropout(0.2, inplace=True))
    x, y = (rp.tensor(data, requires_grad=True) for _ in range(2))
    (relu(x) * 3).sum().backward()
    (relu_flag(y) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, y.grad)
    assert np.array_equal(y.numpy(), data)  # the input is kept for the backward pass
    rp.manual_seed(0)
    dropped = nn.Dropout(0.5)(rp.tensor(data))
    rp.manual_seed(0)
    dropped_flag = nn.Dropout(0.5, inplace=True)(rp.tensor(data))
    np.testing.assert_array_equal(dropped.numpy(), dropped_flag.numpy())
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(True), nn.Dropout(0.1, inplace=True))
    rp.save(model, tmp_path / "flags.rpm")
    assert repr(rp.load_model(tmp_path / "flags.rpm")) == repr(model)


def test_dropout_with_torchs_positional_inplace_says_to_name_it():
    with pytest.raises(ValueError, match=r"Dropout: scale must be one of \('train', "
                                         r"'inference'\), got True; PyTorch's second "
                                         r"argument, inplace, is keyword-only here: "
                                         r"Dropout\(p, inplace=True\)"):
        nn.Dropout(0.3, True)
