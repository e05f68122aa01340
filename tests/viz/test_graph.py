import numpy as np
import pytest

import retroprop as rp


def test_draw_graph_shows_every_gradient(tmp_path):
    w = rp.Tensor([[0.5, -0.3]], requires_grad=True, dtype=np.float64)
    b = rp.Tensor([0.1], requires_grad=True, dtype=np.float64)
    x = rp.Tensor([1.0, 2.0], dtype=np.float64)
    hidden = (w @ x + b).sigmoid()
    loss = ((hidden - 1.0) ** 2).sum()
    grads = rp.viz.draw_graph(loss, tmp_path / "graph.svg", names={"w": w, "b": b})
    svg = (tmp_path / "graph.svg").read_text()
    assert svg.startswith("<?xml") and "MatMul" in svg and "Sigmoid" in svg
    # dL/dh = 2 (h - 1) = -1 at h = σ(0) = 0.5: the interior node's gradient is recorded
    assert grads[id(hidden)][0] == pytest.approx(-1.0)
    np.testing.assert_allclose(grads[id(w)], [[-0.25, -0.5]])  # dL/dw = -1 · σ'(0) · x
    rp.viz.draw_graph(((w * 2).sum()), tmp_path / "small.png")
    assert (tmp_path / "small.png").read_bytes()[:4] == b"\x89PNG"


def test_draw_graph_errors(tmp_path):
    w = rp.Tensor([1.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        rp.viz.draw_graph(loss, tmp_path / "g.svg")
    with pytest.raises(ValueError, match=r"\.svg or \.png"):
        rp.viz.draw_graph((w * 1).sum(), tmp_path / "g.pdf")


def _network():
    w = rp.Tensor([[0.5, -0.3], [0.2, 0.7]], requires_grad=True, dtype=np.float64)
    b = rp.Tensor([0.1, -0.2], requires_grad=True, dtype=np.float64)
    x = rp.Tensor([1.0, 2.0], dtype=np.float64)
    return w, b, (((w @ x + b).tanh() - 1.0) ** 2).sum()


def test_drawing_before_backward_leaves_gradients_untouched(tmp_path):
    w, b, loss = _network()
    grads = rp.viz.draw_graph(loss, tmp_path / "graph.svg")
    assert w.grad is None and b.grad is None
    loss.backward()
    w_ref, b_ref, reference = _network()
    reference.backward()
    np.testing.assert_array_equal(w.grad, w_ref.grad)  # not doubled
    np.testing.assert_array_equal(b.grad, b_ref.grad)
    np.testing.assert_array_equal(grads[id(w)], w_ref.grad)


def test_drawing_after_backward_leaves_gradients_untouched(tmp_path):
    w, b, loss = _network()
    loss.backward(retain_graph=True)
    before = w.grad.copy(), b.grad.copy()
    rp.viz.draw_graph(loss, tmp_path / "graph.svg")
    np.testing.assert_array_equal(w.grad, before[0])
    np.testing.assert_array_equal(b.grad, before[1])
