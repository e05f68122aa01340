"""``rp.autograd.Function``, PyTorch's form of a custom operation (static ``forward(ctx,
...)`` and ``backward(ctx, ...)``): what ``ctx`` tells, what ``apply`` records, and the
errors. Its gradients against finite differences and PyTorch are in the op registry
(``tests/ops/test_registry.py``, the tutorial's ``LegendrePolynomial3`` and ``MyReLU``)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import retroprop as rp


def seen_in_forward(base, grad_enabled):
    class Probe(base):
        @staticmethod
        def forward(ctx, a, k, b):
            Probe.needs = ctx.needs_input_grad
            Probe.recording = grad_enabled()
            return a * k + b

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, None, grad_output

    return Probe


@pytest.mark.parametrize("a_grad, b_grad", [(True, False), (False, True), (True, True)])
def test_ctx_needs_input_grad_and_forward_outside_the_graph_as_torch(a_grad, b_grad):
    results = []
    for lib, base in [(rp, rp.autograd.Function), (torch, torch.autograd.Function)]:
        probe = seen_in_forward(base, lib.is_grad_enabled)
        a = lib.ones(3, requires_grad=a_grad)
        b = lib.ones(3, requires_grad=b_grad)
        out = probe.apply(a, 2.0, b)
        out.sum().backward()
        results.append((probe.needs, probe.recording, out.requires_grad,
                        a.grad is None, b.grad is None))
    assert results[0] == results[1]


def test_apply_under_no_grad_records_nothing_as_torch():
    for lib, base in [(rp, rp.autograd.Function), (torch, torch.autograd.Function)]:
        probe = seen_in_forward(base, lib.is_grad_enabled)
        with lib.no_grad():
            out = probe.apply(lib.ones(2, requires_grad=True), 1.0, lib.ones(2))
        assert not out.requires_grad


def test_saved_tensors_and_ctx_attributes_reach_backward():
    class Square(rp.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.twice = 2.0
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * ctx.twice * x

    x = rp.tensor([1.0, -3.0], requires_grad=True)
    Square.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -6.0])


def returning(value, base=rp.autograd.Function):
    class Returning(base):
        @staticmethod
        def forward(ctx, x):
            return value(x) if callable(value) else x * 1

        @staticmethod
        def backward(ctx, grad_output):
            return value

    return Returning


@pytest.mark.parametrize("function, error, message", [
    (returning(lambda x: x.numpy()), TypeError,
     "Returning.forward must return one Tensor, got ndarray"),
    (returning(lambda x: (x, x)), TypeError, "Returning.forward must return one Tensor, got "
                                             "tuple; several outputs are not supported"),
    (returning((None, None)), RuntimeError, "Returning.backward returned 2 gradients for the 1 "
                                            "arguments of forward"),
    (returning(rp.ones(2, dtype=rp.float64)), TypeError,
     "Returning.backward: the gradient of argument 0 has dtype float64, its input float32"),
])
def test_a_function_that_breaks_the_contract_is_named(function, error, message):
    with pytest.raises(error, match=message):
        function.apply(rp.ones(2, requires_grad=True)).sum().backward()


def test_apply_without_a_tensor_is_refused():
    with pytest.raises(TypeError, match=r"Returning.apply: expected at least one Tensor "
                                        r"argument, got \['list'\]"):
        returning(None).apply([1.0, 2.0])


def test_the_base_class_asks_for_static_methods():
    with pytest.raises(NotImplementedError, match=r"define forward\(ctx, \*args\) as a "
                                                  "@staticmethod"):
        rp.autograd.Function.apply(rp.ones(2))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_a_gradient_of_the_wrong_shape_is_named_as_torch_refuses_it(shape):
    with pytest.raises(RuntimeError, match=rf"Returning.backward: the gradient of argument 0 "
                                           rf"has shape {re.escape(str(shape))}, its input "
                                           r"\(2,\)"):
        returning(rp.ones(shape)).apply(rp.ones(2, requires_grad=True)).sum().backward()
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        function = returning(torch.ones(shape), torch.autograd.Function)
        function.apply(torch.ones(2, requires_grad=True)).sum().backward()


def test_a_gradient_that_the_input_broadcasts_to_is_summed_as_torch():
    grads = []
    for lib, base in [(rp, rp.autograd.Function), (torch, torch.autograd.Function)]:
        x = lib.ones(2, requires_grad=True)
        returning(lib.ones(3, 2), base).apply(x).sum().backward()
        grads.append(np.asarray(x.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


def picking(base):
    """PyTorch's pattern of a custom gather: a float input and an integer index tensor."""

    class Pick(base):
        @staticmethod
        def forward(ctx, x, index):
            Pick.index_dtype = str(index.dtype)
            ctx.save_for_backward(index)
            ctx.x = x
            return x[index]

        @staticmethod
        def backward(ctx, grad_output):
            index, = ctx.saved_tensors
            grad = ctx.x * 0
            grad[index] += grad_output  # (no repeated index below)
            return grad, None

    return Pick


@pytest.mark.parametrize("first", ["x", "index"])
def test_arguments_of_several_dtypes_reach_forward_as_they_are_as_torch(first):
    """A float input with an integer index (either first), float32 with float64: the
    engine's own operations refuse operands of two dtypes, a user's forward takes them as
    PyTorch's does (it refused them, and would cast an integer first argument to floats)."""
    seen = []
    for lib, base in [(rp, rp.autograd.Function), (torch, torch.autograd.Function)]:
        pick = picking(base)
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        index = lib.tensor([2, 0])
        if first == "x":
            y = pick.apply(x, index)
        else:
            swapped = type("Swapped", (base,), {
                "forward": staticmethod(lambda ctx, i, x, p=pick: p.forward(ctx, x, i)),
                "backward": staticmethod(lambda ctx, g, p=pick: p.backward(ctx, g)[::-1])})
            y = swapped.apply(index, x)
        (y * lib.tensor([1.0, 10.0])).sum().backward()
        mixed = type("Mixed", (base,), {
            "forward": staticmethod(lambda ctx, a, b: a * 2),
            "backward": staticmethod(lambda ctx, g: (g * 2, None))})
        doubled = mixed.apply(x, x.double())
        doubled.sum().backward()
        seen.append((pick.index_dtype.endswith("int64"), str(doubled.dtype)[-7:],
                     np.asarray(x.grad).tolist()))
    assert seen[0] == seen[1]
    assert seen[0][0]


def test_an_integer_result_takes_no_gradient_as_torch():
    results = []
    for lib, base in [(rp, rp.autograd.Function), (torch, torch.autograd.Function)]:
        argmax = returning(lambda a: a.argmax(), base)
        results.append(argmax.apply(lib.tensor([1.0, 3.0, 2.0], requires_grad=True))
                       .requires_grad)
    assert results == [False, False]


def test_the_node_is_named_after_the_function_as_torch():
    """``grad_fn`` is a ``<Name>Backward`` node, as PyTorch's, and the engine's messages
    (a saved input written in place) name it (they named ``_Node``)."""
    names = []
    for lib, base in [(rp, rp.autograd.Function), (torch, torch.autograd.Function)]:
        function = returning(lambda a: a * 2, base)
        x = lib.ones(2, requires_grad=True)
        names.append(type(function.apply(x).grad_fn).__name__)
    assert names == ["ReturningBackward", "ReturningBackward"]
    x = rp.ones(2, requires_grad=True)
    y = returning(lambda a: a * 2).apply(x)
    with rp.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="input 0 of ReturningBackward"):
        y.sum().backward()
