"""Convolutional layers and LeNet-5 (seeds 001 and 002)."""

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn


def copy_into_torch(ours, theirs):
    for param, twin in zip(ours.parameters(), theirs.parameters(), strict=True):
        twin.data = torch.tensor(param.data.copy())


def torch_lenet5(dtype):
    t = torch.nn
    return t.Sequential(t.Conv2d(1, 6, 5, padding=2), t.Tanh(), t.AvgPool2d(2),
                        t.Conv2d(6, 16, 5), t.Tanh(), t.AvgPool2d(2), t.Flatten(),
                        t.Linear(400, 120), t.Tanh(), t.Linear(120, 84), t.Tanh(),
                        t.Linear(84, 10)).to(dtype)


@pytest.mark.parametrize(("dtype", "torch_dtype", "rtol"),
                         [(np.float64, torch.float64, 1e-10), (np.float32, torch.float32, 1e-4)])
def test_lenet5_matches_torch(dtype, torch_dtype, rtol):
    model = rp.models.lenet5(dtype=dtype)
    twin = torch_lenet5(torch_dtype)
    copy_into_torch(model, twin)
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 1, 28, 28)), rng.integers(0, 10, 8)
    loss = nn.CrossEntropyLoss()(model(rp.Tensor(x, dtype=dtype)), y)
    expected = torch.nn.functional.cross_entropy(twin(torch.tensor(x, dtype=torch_dtype)),
                                                 torch.tensor(y))
    loss.backward()
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=rtol)
    for (name, param), reference in zip(model.named_parameters(), twin.parameters(),
                                        strict=True):
        scale = float(np.abs(reference.grad.numpy()).max())
        np.testing.assert_allclose(param.grad, reference.grad.numpy(), rtol=rtol,
                                   atol=rtol * scale, err_msg=name)


def test_conv_module_with_every_option_matches_torch():
    layer = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2,
                      dtype=np.float64)
    twin = torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2),
                           groups=2).double()
    copy_into_torch(layer, twin)
    x = np.random.default_rng(0).standard_normal((3, 4, 9, 8))
    mine = rp.Tensor(x, requires_grad=True, dtype=np.float64)
    reference = torch.tensor(x, requires_grad=True)
    out, expected = layer(mine), twin(reference)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy(), rtol=1e-10)


def test_a_shared_weight_gets_the_sum_of_the_gradients_of_its_copies():
    """Seed 001: with w1 = w2 = w, dE/dw = dE/dw1 + dE/dw2. A 1×1-kernel convolution over
    a 1×3 image is three copies of one weight; its gradient is the sum over positions."""
    layer = nn.Conv2d(1, 1, 1, bias=False, dtype=np.float64)
    x = rp.Tensor(np.array([[[[1.0, 2.0, 3.0]]]]), dtype=np.float64)
    upstream = np.array([[[[0.5, -1.0, 2.0]]]])
    layer(x).backward(upstream)
    copies = x.data[0, 0, 0] * upstream[0, 0, 0]  # the gradient each copy would get alone
    assert layer.weight.grad.item() == pytest.approx(copies.sum())


def test_pooling_modules_and_adaptive_pooling():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 3, 3)
    assert nn.AvgPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 6, 6)
    pooled = nn.AdaptiveAvgPool2d(1)(x)
    np.testing.assert_allclose(pooled.data[..., 0, 0], x.mean(axis=(2, 3)), rtol=1e-6)


@pytest.mark.parametrize("output_size", [(5, 4), (7, 2), (3, 5), 1])
def test_adaptive_pooling_to_any_size_matches_torch(output_size):
    """An output larger than the input (windows that overlap) is PyTorch's too; it was
    refused."""
    x = np.random.default_rng(1).standard_normal((2, 3, 3, 4))
    theirs = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.adaptive_avg_pool2d(theirs, output_size)
    grad = np.random.default_rng(2).standard_normal(out.shape)
    (out * torch.tensor(grad)).sum().backward()
    ours = rp.Tensor(x, requires_grad=True, dtype=np.float64)
    (nn.AdaptiveAvgPool2d(output_size)(ours) * rp.Tensor(grad, dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(output_size)(x.astype(np.float32)).data,
                               out.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"shape \(2, 3, 0, 4\) has empty images"):
        nn.AdaptiveAvgPool2d(output_size)(np.zeros((2, 3, 0, 4)))


@pytest.mark.parametrize(("build", "data", "message"), [
    (lambda: nn.Conv2d(3, 4, 3), np.zeros((3, 8, 8)), r"4-D input \(N, C, H, W\)"),
    (lambda: nn.Conv2d(3, 4, 3), np.zeros((1, 2, 8, 8)),
     "the input has 2 channels .* in_channels=3"),
    (lambda: nn.Conv2d(1, 4, 7), np.zeros((1, 1, 5, 5)), "kernel .* is larger than the padded"),
    (lambda: nn.MaxPool2d(4), np.zeros((1, 1, 3, 3)), "does not fit the input"),
    (lambda: nn.Conv2d(1, 1, 3, stride=4), np.zeros((1, 1, 2, 9)), "kernel"),
])
def test_bad_inputs(build, data, message):
    with pytest.raises(ValueError, match=message):
        build()(data)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: nn.Conv2d(3, 4, 3, stride=0), "stride must be an integer >= 1"),
    (lambda: nn.Conv2d(3, 4, 3, dilation=-1), "dilation must be an integer >= 1"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "groups=2 must divide in_channels=3"),
    (lambda: nn.Conv2d(3, 4, 0), "kernel_size must be an integer >= 1"),
])
def test_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_max_norm_of_a_conv_layer_bounds_each_filter():
    layer = nn.Conv2d(2, 3, 3, max_norm=1.0)
    layer.weight.data *= 10
    layer.project_(lambda param: 0.1)
    norms = np.sqrt((layer.weight.data ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)


def test_lenet5_reaches_089_on_fashion_mnist():
    (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist(download=False)
    images = lambda a: rp.datasets.scale(a)[:, None]  # noqa: E731
    rp.manual_seed(0)
    model = rp.models.lenet5(activation="relu", pooling="max")
    optimizer = rp.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    schedule = rp.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), optimizer)
    trainer.fit(images(X), y, epochs=5, batch_size=128, verbose=0,
                callbacks=[rp.callbacks.LearningRateScheduler(schedule)])
    assert trainer.evaluate(images(X_test), y_test)["accuracy"] >= 0.89
