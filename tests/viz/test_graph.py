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
    np.testing.assert_allclose(w.grad, [[-0.25, -0.5]])  # dL/dw = -1 · σ'(0) · x
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
