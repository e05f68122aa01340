"""nn.Flatten(start_dim, end_dim), as PyTorch's nn.Flatten: the function rp.flatten took
end_dim, the module did not (``nn.Flatten(1, 2)`` raised TypeError)."""

import numpy as np
import onnxruntime
import pytest
import torch

import retroprop as rp
from retroprop import nn

CASES = [(1, -1), (1, 2), (0, 1), (2, 3), (-3, -2), (0, -1), (3, 3)]


@pytest.mark.parametrize("start, end", CASES)
def test_forward_backward_and_inference_as_torch(start, end):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    theirs = torch.nn.Flatten(start, end)(torch.tensor(x, requires_grad=True))
    layer = nn.Flatten(start, end)
    ours = layer(rp.Tensor(x, requires_grad=True))
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    with rp.no_grad():  # the inference path (an array in, no graph)
        model = nn.Sequential(layer).eval()
        np.testing.assert_array_equal(model(rp.tensor(x)).data, theirs.detach().numpy())
    inputs = rp.Tensor(x, requires_grad=True)
    weights = np.random.default_rng(1).standard_normal(ours.shape).astype(np.float32)
    (layer(inputs) * rp.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(inputs.grad, weights.reshape(x.shape))
    shown = "" if end == -1 else f", end_dim={end}"
    assert repr(layer) == f"Flatten(start_dim={start}{shown})"


def test_start_after_end_is_refused_by_name():
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        nn.Flatten(2, 1)(rp.zeros(2, 3, 4))
    with rp.no_grad(), pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        nn.Sequential(nn.Flatten(2, 1)).eval()(rp.zeros(2, 3, 4))


def test_saved_and_loaded_and_exported(tmp_path):
    rp.manual_seed(0)
    model = nn.Sequential(nn.Flatten(1, 2), nn.Linear(5, 2), nn.Flatten(1, 2))
    x = np.random.default_rng(0).standard_normal((7, 3, 4, 5)).astype(np.float32)
    rp.save(model, tmp_path / "m.rpz")
    loaded = rp.load_model(tmp_path / "m.rpz")
    assert loaded[0].end_dim == 2 and loaded[2].end_dim == 2
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    rp.onnx.export(model, tmp_path / "m.onnx", (3, 4, 5))  # (N, 12, 5): 5 kept
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"),
                                           providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {"input": x})
    assert theirs.shape == (7, 24)
    np.testing.assert_allclose(theirs, model.eval()(x).data, rtol=0, atol=1e-6)
