import numpy as np
import pytest

import retroprop as rp
from retroprop.tensor import Function


def test_default_dtype_is_float32_and_float64_on_request():
    assert rp.Tensor([1, 2]).dtype == np.float32
    assert rp.Tensor(np.ones(2)).dtype == np.float32
    assert rp.Tensor(np.ones(2), dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="float32 or float64"):
        rp.Tensor([1], dtype=np.int64)


def test_scalar_constants_take_the_tensor_dtype():
    x = rp.Tensor([1.0, 2.0], requires_grad=True)
    y = x * np.float64(3.0) + 1.5
    assert y.dtype == np.float32


def test_mixed_dtypes_raise_instead_of_upcasting():
    a = rp.Tensor([1.0], dtype=np.float32)
    b = rp.Tensor([1.0], dtype=np.float64)
    with pytest.raises(TypeError, match="float32 and float64"):
        a + b


def test_backward_accumulates_into_leaves_across_calls():
    x = rp.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3 + 2, 3 + 4])


def test_shared_gradient_arrays_are_not_aliased_between_leaves():
    a = rp.Tensor([1.0, 2.0], requires_grad=True)
    b = rp.Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad += 10
    np.testing.assert_allclose(b.grad, [1, 1])


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = rp.Tensor([3.0], requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [7.0])


def test_backward_on_non_scalar_needs_a_gradient():
    x = rp.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*gradient="):
        (x * 2).backward()
    (x * 2).backward(np.ones((2, 3)))
    np.testing.assert_allclose(x.grad, 2 * np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\)"):
        (x * 2).backward(np.ones(3))


def test_second_backward_through_freed_graph_raises_and_retain_graph_allows_it():
    x = rp.Tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad, [4.0 + 4.0 + 4.0])


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        rp.Tensor([1.0]).sum().backward()


def test_no_grad_records_nothing_and_detach_cuts_the_graph():
    w = rp.Tensor([1.0], requires_grad=True)
    with rp.no_grad():
        y = w * 2
    assert not y.requires_grad and y.is_leaf
    assert rp.is_grad_enabled()
    d = (w * 2).detach()
    assert not d.requires_grad
    z = (d * w).sum()
    z.backward()
    np.testing.assert_allclose(w.grad, [2.0])


def test_no_grad_works_as_decorator():
    @rp.no_grad()
    def double(t):
        return t * 2

    assert not double(rp.Tensor([1.0], requires_grad=True)).requires_grad


def test_item_repr_and_numpy_share_data():
    x = rp.Tensor([[1.5]], requires_grad=True)
    assert x.item() == 1.5
    assert "requires_grad=True" in repr(x)
    assert x.numpy() is x.data
    with pytest.raises(ValueError, match="one element"):
        rp.Tensor([1.0, 2.0]).item()


def test_ndarray_on_the_left_defers_to_tensor():
    x = rp.Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, rp.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        rp.Tensor(np.ones((2, 3))) @ rp.Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match="cannot reshape"):
        rp.Tensor(np.ones(6)).reshape(4, 2)


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, grad):
            return grad * self.a  # should be 2a

    x = rp.Tensor([0.3, -1.2], requires_grad=True, dtype=np.float64)
    with pytest.raises(rp.GradcheckError, match="disagrees"):
        rp.gradcheck(WrongSquare.apply, [x])
    with pytest.raises(TypeError, match="float64"):
        rp.gradcheck(lambda t: t * t, [rp.Tensor([1.0], requires_grad=True)])


def test_manual_seed_reproduces_draws():
    rp.manual_seed(3)
    first = rp.init.he_normal()((4, 4))
    rp.manual_seed(3)
    np.testing.assert_array_equal(first, rp.init.he_normal()((4, 4)))
    with pytest.raises(ValueError, match="non-negative integer"):
        rp.manual_seed(-1)


def test_each_node_runs_backward_once_after_all_its_consumers():
    """Creation order is a topological order: ``a`` feeds a long chain and, directly, the
    last node; its backward must wait for both."""
    calls = []

    class Double(Function):
        def forward(self, value):
            return value * 2

        def backward(self, grad):
            calls.append(grad.copy())
            return grad * 2

    x = rp.Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    a = Double.apply(x)
    chain = a
    for _ in range(5):
        chain = chain * 1.5
    loss = (chain * a).sum()
    loss.backward()
    # loss = 1.5^5 a², a = 2x: dloss/da = 2 · 1.5^5 a, dloss/dx = 2 dloss/da
    a_value = 2 * np.array([1.0, 2.0])
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], 2 * 1.5**5 * a_value)
    np.testing.assert_allclose(x.grad, 4 * 1.5**5 * a_value)
