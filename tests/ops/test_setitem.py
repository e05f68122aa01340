"""``t[index] = value`` against PyTorch: basic and advanced indices (tensors too), numbers
and tensors or arrays that broadcast, other dtypes converted as PyTorch converts them; the
version counter (of the tensor, and of the tensor a view or a detached tensor shares its
memory with); the refusals while recording and of bad values. Outside the graph only, as
the in-place methods (``tests/ops/test_inplace.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import retroprop as rp


def _index(lib: Any, kind: str) -> Any:
    """Index ``kind`` in library ``lib`` (a tensor index made there)."""
    return {
        "int": 1, "negative": -1, "slice": slice(0, 3, 2), "column": (slice(None), 2),
        "ellipsis": (..., 0), "pair": (1, 3),
        "mask": lib.tensor([[True, False, True, False], [False, False, True, True],
                            [True, True, True, True]]),
        "row_mask": lib.tensor([True, False, True]),
        "long": lib.tensor([2, 0]), "long_pair": (lib.tensor([0, 2]), lib.tensor([1, 3])),
    }[kind]


INDICES = ["int", "negative", "slice", "column", "ellipsis", "pair", "mask", "row_mask",
           "long", "long_pair"]
#: value kinds: a float, an int (into the float tensor), a 0-d tensor, a broadcast row
VALUES = ["float", "int", "scalar_tensor", "broadcast"]


def _value(lib: Any, kind: str, shape: tuple[int, ...], dtype: str) -> Any:
    if kind == "float":
        return -2.5
    if kind == "int":
        return 7
    if kind == "scalar_tensor":
        return lib.from_numpy(np.array(4.25, dtype=dtype))
    # a row as long as the last axis of the picked elements: broadcast over the others
    return lib.from_numpy(np.arange(1.0, shape[-1] + 1 if shape else 2).astype(dtype))


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("index", INDICES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_setitem_writes_as_torch(dtype, index, value):
    data = np.arange(12.0).reshape(3, 4).astype(dtype)
    mine, theirs = rp.from_numpy(data.copy()), torch.from_numpy(data.copy())
    shape = tuple(theirs[_index(torch, index)].shape)
    theirs[_index(torch, index)] = _value(torch, value, shape, dtype)
    result = mine.__setitem__(_index(rp, index), _value(rp, value, shape, dtype))
    assert result is None and mine._version == 1 and mine.dtype == dtype
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_setitem_of_integer_and_boolean_tensors_as_torch(dtype):
    data = np.array([[0, 1, 1], [1, 0, 1]], dtype=dtype)
    mine, theirs = rp.from_numpy(data.copy()), torch.from_numpy(data.copy())
    for index, value in (((0, 1), 1), (rp.tensor([False, True]), 0)):
        mine[index] = value
        theirs[torch.tensor(index.numpy()) if isinstance(index, rp.Tensor) else index] = value
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("value", [[1.0, 2.0, 3.0], (1, 2, 3), np.array([1.0, 2.0, 3.0])])
def test_a_list_tuple_or_array_value_as_numpy_takes_it(value):
    """PyTorch takes tensors only; the values are those of the tensor made from them."""
    mine = rp.zeros((2, 3))
    mine[1] = value
    expected = torch.zeros(2, 3)
    expected[1] = torch.tensor(value)
    np.testing.assert_array_equal(mine.numpy(), expected.numpy())


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 3), (3,), (1,), ()])
def test_leading_axes_of_size_1_of_the_value_are_dropped_as_torch(shape):
    values = np.arange(1.0, 1 + int(np.prod(shape))).reshape(shape)
    mine, theirs = rp.zeros((2, 3), dtype=rp.float64), torch.zeros(2, 3, dtype=torch.float64)
    mine[0] = rp.from_numpy(values)
    theirs[0] = torch.from_numpy(values)
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_a_write_through_a_view_counts_as_a_write_of_its_base():
    x = rp.zeros((2, 3))
    row = x[1]
    row[0] = 5.0
    assert x.tolist() == [[0.0, 0.0, 0.0], [5.0, 0.0, 0.0]]
    assert (row._version, x._version) == (1, 1)


def test_setitem_of_a_parameter_under_no_grad():
    weight = rp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    reference = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with rp.no_grad():
        weight[0] = 0.0
    with torch.no_grad():
        reference[0] = 0.0
    np.testing.assert_array_equal(weight.detach().numpy(), reference.detach().numpy())
    assert weight.requires_grad and weight._version == 1


def test_setitem_while_recording_is_refused():
    """On a leaf that requires grad, as PyTorch; on a computed tensor, where PyTorch
    records a CopySlices node, too (retroprop records no in-place change)."""
    reference = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        reference[0] = 5.0
    x = rp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"t\[index\] = value: t is a leaf tensor that "
                                           "requires grad"):
        x[0] = 5.0
    with pytest.raises(RuntimeError, match="retroprop records no in-place methods.*use "
                                           r"rp.where\(mask, value, t\)"):
        (x * 2)[0] = 5.0
    plain = rp.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="records no in-place"):
        plain[0] = x.sum()
    assert x.tolist() == [1.0, 2.0] and plain.tolist() == [1.0, 2.0] and x._version == 0


@pytest.mark.parametrize("call, error, match, torch_error", [
    (lambda t: t.__setitem__(0, t.new_ones(2)), ValueError,
     r"t\[index\] = value: value of shape \(2,\) does not broadcast to t\[index\] of shape "
     r"\(3,\)", RuntimeError),
    (lambda t: t.__setitem__(0, t.new_ones((2, 1, 3))), ValueError,
     r"value of shape \(2, 1, 3\) does not broadcast to t\[index\] of shape \(3,\)",
     RuntimeError),
    (lambda t: t.__setitem__(5, 1.0), IndexError, "index 5 is out of bounds", IndexError),
    (lambda t: t.__setitem__(0, "a"), TypeError,
     r"t\[index\] = value: value must be a number, got 'a'", TypeError),
    (lambda t: t.__setitem__(t.new_tensor([0.5]), 1.0), IndexError,
     r"t\[index\] = value: an index tensor or array must hold integers or booleans, got "
     "dtype float", IndexError),
])
def test_bad_setitem_is_refused_as_torch(call, error, match, torch_error):
    theirs = torch.zeros(2, 3)
    with pytest.raises(torch_error):
        call(theirs)
    mine = rp.zeros((2, 3))
    with pytest.raises(error, match=match):
        call(mine)
    assert mine._version == 0 and not mine.numpy().any()


def test_a_fraction_into_an_integer_tensor_is_refused_where_torch_truncates():
    theirs = torch.zeros(3, dtype=torch.int64)
    theirs[0] = 2.7
    assert theirs.tolist() == [2, 0, 0]
    mine = rp.zeros(3, dtype=rp.long)
    with pytest.raises(ValueError, match=r"value=2.7 does not fit the dtype int64 exactly"):
        mine[0] = 2.7
