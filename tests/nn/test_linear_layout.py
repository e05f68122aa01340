"""nn.Linear stores W column-major; its gradient and SGD's momentum follow that layout, and
the results are those of a row-major W."""

import numpy as np

import retroprop as rp
from retroprop import nn


def test_weight_gradient_and_momentum_keep_the_column_major_layout():
    rng = np.random.default_rng(0)
    layer = nn.Linear(784, 256)
    twin = nn.Linear(784, 256)
    twin.weight.data = np.ascontiguousarray(layer.weight.data)  # the same W, row-major
    twin.bias.data[...] = layer.bias.data
    assert layer.weight.data.flags.f_contiguous and not layer.weight.data.flags.c_contiguous
    optimizers = [rp.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (layer, twin)]
    for _ in range(3):
        x = rng.random((128, 784)).astype(np.float32)
        target = rng.integers(0, 256, 128)
        for model, optimizer in zip((layer, twin), optimizers, strict=True):
            optimizer.zero_grad()
            nn.CrossEntropyLoss()(model(rp.Tensor(x)), target).backward()
            optimizer.step()
        assert layer.weight.grad.flags.f_contiguous
        assert twin.weight.grad.flags.c_contiguous
        np.testing.assert_allclose(layer.weight.grad, twin.weight.grad, rtol=1e-5, atol=1e-7)
    assert optimizers[0].state[layer.weight]["momentum_buffer"].flags.f_contiguous
    np.testing.assert_allclose(layer.weight.data, twin.weight.data, rtol=1e-5, atol=1e-6)


def test_loading_weights_keeps_the_layout():
    layer = nn.Linear(5, 3)
    state = {"weight": np.arange(15.0).reshape(3, 5), "bias": np.zeros(3)}
    layer.load_state_dict(state)
    assert layer.weight.data.flags.f_contiguous
    np.testing.assert_array_equal(layer.weight.data, state["weight"])
    layer.reset_parameters()
    assert layer.weight.data.flags.f_contiguous
