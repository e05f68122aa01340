"""The array path of inference (``Module._infer``): under ``no_grad()`` in evaluation mode a
``Sequential`` passes NumPy arrays from layer to layer. It must give what the tensor path
gives, for every layer that has it, and step aside (with the tensor path's errors) where
it does not apply."""

import threading

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn
from retroprop.ops import conv as conv_ops
from retroprop.tensor.function import Function

IMAGE = (3, 2, 9, 8)


def tensor(x):
    return rp.Tensor(x, dtype=x.dtype)


def _trained_batch_norm(layer, shape, dtype):
    """A batch-norm layer whose running statistics, γ and β are not their initial values."""
    rng = np.random.default_rng(1)
    for _ in range(3):
        layer(rp.Tensor(rng.normal(2.0, 3.0, shape), dtype=dtype))
    if layer.weight is not None:
        layer.weight.data[...] = rng.normal(1.0, 0.5, layer.weight.shape)
        layer.bias.data[...] = rng.normal(0.0, 0.5, layer.bias.shape)
    return layer


LAYERS = {
    "linear": (lambda d: nn.Linear(5, 4, dtype=d), (6, 5)),
    "linear-no-bias": (lambda d: nn.Linear(5, 4, bias=False, dtype=d), (6, 5)),
    "linear-relu": (lambda d: nn.Linear(5, 4, activation="relu", dtype=d), (6, 5)),
    "linear-3d": (lambda d: nn.Linear(5, 4, dtype=d), (2, 3, 5)),
    "relu-small": (lambda d: nn.ReLU(), (3, 7)),
    "relu-large": (lambda d: nn.ReLU(), (40, 100)),
    "tanh": (lambda d: nn.Tanh(), (3, 7)),
    "sigmoid": (lambda d: nn.Sigmoid(), (3, 7)),
    "sigmoid-slope": (lambda d: nn.Sigmoid(2.5), (3, 7)),
    "leaky-relu": (lambda d: nn.LeakyReLU(0.2), (3, 7)),
    "elu": (lambda d: nn.ELU(0.7), (3, 7)),
    "step": (lambda d: nn.Step(), (3, 7)),
    "sign": (lambda d: nn.Sign(), (3, 7)),
    "identity": (lambda d: nn.Identity(), (3, 7)),
    "flatten": (lambda d: nn.Flatten(), IMAGE),
    "flatten-2": (lambda d: nn.Flatten(2), IMAGE),
    "dropout": (lambda d: nn.Dropout(0.3), (3, 7)),
    "dropout-lecture": (lambda d: nn.Dropout(0.3, scale="inference"), (3, 7)),
    "batchnorm1d": (lambda d: nn.BatchNorm1d(7, dtype=d), (5, 7)),
    "batchnorm1d-3d": (lambda d: nn.BatchNorm1d(7, dtype=d), (5, 7, 4)),
    "batchnorm2d": (lambda d: nn.BatchNorm2d(2, dtype=d), IMAGE),
    "batchnorm2d-no-affine": (lambda d: nn.BatchNorm2d(2, affine=False, dtype=d), IMAGE),
    "conv": (lambda d: nn.Conv2d(2, 4, 3, dtype=d), IMAGE),
    "conv-no-bias": (lambda d: nn.Conv2d(2, 4, 3, bias=False, dtype=d), IMAGE),
    "conv-padded": (lambda d: nn.Conv2d(2, 4, 3, padding=2, dtype=d), IMAGE),
    "conv-strided": (lambda d: nn.Conv2d(2, 4, (3, 2), stride=(2, 3), padding=1, dtype=d),
                     IMAGE),
    "conv-dilated": (lambda d: nn.Conv2d(2, 4, 3, dilation=2, padding=1, dtype=d), IMAGE),
    "conv-groups": (lambda d: nn.Conv2d(2, 4, 3, groups=2, padding=1, dtype=d), IMAGE),
    "conv-one-image": (lambda d: nn.Conv2d(2, 4, 3, padding=1, dtype=d), (1, 2, 9, 8)),
    "conv-empty-batch": (lambda d: nn.Conv2d(2, 4, 3, dtype=d), (0, 2, 9, 8)),
    "maxpool": (lambda d: nn.MaxPool2d(2), IMAGE),
    "maxpool-padded": (lambda d: nn.MaxPool2d(3, stride=2, padding=1), IMAGE),
    "maxpool-dilated": (lambda d: nn.MaxPool2d(2, stride=1, dilation=2), IMAGE),
    "avgpool": (lambda d: nn.AvgPool2d(2), IMAGE),
    "avgpool-padded": (lambda d: nn.AvgPool2d(3, stride=2, padding=1), IMAGE),
    "nested": (lambda d: nn.Sequential(nn.Linear(5, 6, dtype=d), nn.Tanh()), (4, 5)),
    "residual": (lambda d: nn.Residual(nn.Sequential(nn.Linear(5, 5, dtype=d), nn.Tanh())),
                 (4, 5)),
}


def _build(name, dtype):
    build, shape = LAYERS[name]
    layer = build(dtype)
    if type(layer).__name__.startswith("BatchNorm"):
        _trained_batch_norm(layer, shape, dtype)
    return layer.eval(), shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", LAYERS)
def test_array_path_gives_the_tensor_path(name, dtype):
    layer, shape = _build(name, dtype)
    x = np.random.default_rng(0).normal(0, 2, shape).astype(dtype)
    model = nn.Sequential(layer)
    expected = layer(tensor(x))  # recording on: the tensor path
    assert rp.is_grad_enabled()
    with rp.no_grad():
        assert layer._infer(x) is not None, "the layer has no array path for this input"
        got = model(tensor(x))
    assert type(got) is rp.Tensor and not got.requires_grad
    assert got.shape == expected.shape and got.dtype == expected.dtype == dtype
    if name.startswith("conv"):  # the bias is added after the product, not inside it
        tolerance = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(got.data, expected.data, rtol=tolerance, atol=tolerance)
    else:
        np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("network", ["mlp", "lenet5", "convnet", "two-convolutions"])
def test_whole_networks_take_the_array_path(network, dtype, monkeypatch):
    model = {"mlp": lambda: rp.models.mlp([784, 32, 16, 10], dtype=dtype),
             "lenet5": lambda: rp.models.lenet5(dtype=dtype),
             "convnet": lambda: nn.Sequential(
                 nn.Conv2d(1, 4, 3, padding=1, dtype=dtype), nn.BatchNorm2d(4, dtype=dtype),
                 nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                 nn.Linear(4 * 14 * 14, 10, dtype=dtype)),
             "two-convolutions": lambda: nn.Sequential(
                 nn.Conv2d(1, 4, 3, padding=1, dtype=dtype), nn.BatchNorm2d(4, dtype=dtype),
                 nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, stride=2, groups=2, dtype=dtype),
                 nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 5, 2, dilation=2, padding=1,
                                                      dtype=dtype),
                 nn.Flatten(), nn.Linear(5 * 3 * 3, 10, dtype=dtype))}[network]().eval()
    shape = (784,) if network == "mlp" else (1, 28, 28)
    x = np.random.default_rng(2).random((5, *shape)).astype(dtype)
    expected = model(tensor(x)).data
    calls = []
    apply = Function.apply.__func__

    def recorded(cls, *inputs, **options):  # every tensor operation goes through it
        calls.append(cls.__name__)
        return apply(cls, *inputs, **options)

    monkeypatch.setattr(Function, "apply", classmethod(recorded))
    with rp.no_grad():
        got = model(x).data
    assert calls == [], "a layer went through the tensor path"
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-13)


def test_layers_without_the_path_run_as_usual_in_the_middle():
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(4, 6), nn.LeCunTanh(), nn.Linear(6, 5), nn.Softmax(),
                          nn.Linear(5, 2)).eval()
    x = rng.random((3, 4)).astype(np.float32)
    expected = model(tensor(x)).data
    with rp.no_grad():
        np.testing.assert_array_equal(model(x).data, expected)


def test_a_layer_in_training_mode_keeps_its_randomness():
    model = nn.Sequential(nn.Linear(4, 50), nn.Dropout(0.5), nn.Linear(50, 3)).eval()
    model[1].train()
    x = np.ones((2, 4), np.float32)
    with rp.no_grad():
        first, second = model(x).data, model(x).data
    assert not np.array_equal(first, second)  # the dropout masks differ


def test_recording_on_still_builds_the_graph():
    model = rp.models.mlp([4, 5, 2]).eval()
    out = model(np.ones((3, 4), np.float32))
    assert out.requires_grad
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize(("x", "error", "message"), [
    (np.ones((2, 5), np.float32), ValueError, "layer 0 (Linear): "),
    (np.ones((2, 4), np.float64), TypeError, "never upcasts silently"),
    (np.ones((2, 3, 4), np.float32), None, None),
])
def test_bad_inputs_get_the_tensor_paths_errors(x, error, message):
    model = rp.models.mlp([4, 5, 2]).eval()
    with rp.no_grad():
        if error is None:  # leading batch axes are fine
            assert model(tensor(x)).shape == (2, 3, 2)
            return
        with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
            model(tensor(x))


@pytest.mark.parametrize("make", [
    lambda: nn.Conv2d(2, 4, 3), lambda: nn.MaxPool2d(3), lambda: nn.BatchNorm2d(2),
    lambda: nn.Flatten(5),
])
def test_inputs_the_array_path_does_not_expect_are_left_to_forward(make):
    layer = make().eval()
    assert layer._infer(np.ones((1, 3, 2, 2), np.float32)) is None


def test_weights_changed_in_place_or_replaced_are_seen():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Flatten(), nn.Linear(2 * 25, 3))
    model.eval()
    x = np.random.default_rng(4).random((1, 1, 5, 5)).astype(np.float32)
    with rp.no_grad():
        before = model(x).data
        model[0].weight.data *= 2
        model[2].weight.data = np.asfortranarray(model[2].weight.data * 3)
        after = model(x).data
    np.testing.assert_allclose(after, model(tensor(x)).data, rtol=1e-6)
    assert not np.allclose(after, before)


def test_convolution_buffers_reused_across_calls_keep_a_zero_border():
    layer = nn.Conv2d(1, 3, 3, padding=2).eval()
    rng = np.random.default_rng(5)
    for _ in range(3):  # the same geometry: the kept buffers serve every call
        x = rng.normal(size=(2, 1, 6, 6)).astype(np.float32)
        with rp.no_grad():
            got = nn.Sequential(layer)(x).data
        np.testing.assert_allclose(got, layer(tensor(x)).data, rtol=1e-6, atol=1e-6)


def _convolution_in_threads():
    layer = nn.Conv2d(3, 8, 3, padding=1).eval()
    return layer._infer, (1, 3, 12, 12), lambda x: layer(tensor(x)).data


def _plan_in_threads():
    model = rp.models.mlp([6, 16, 3]).eval()

    def predict(x):
        with rp.no_grad():
            return model(x).data
    return predict, (1, 6), lambda x: model(tensor(x)).data


@pytest.mark.parametrize("make", [_convolution_in_threads, _plan_in_threads],
                         ids=["convolution-buffers", "inference-plan"])
def test_threads_get_their_own_results(make):
    """A convolution's kept buffers are per thread; a Sequential's plan is shared."""
    call, shape, tensor_path = make()
    rng = np.random.default_rng(6)
    inputs = [rng.normal(size=shape).astype(np.float32) for _ in range(4)]
    expected = [tensor_path(x) for x in inputs]
    wrong = []

    def run(k):
        for _ in range(300):
            got = call(inputs[k])
            if not np.allclose(got, expected[k], rtol=1e-5, atol=1e-5):
                wrong.append(k)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


@pytest.mark.parametrize("stride", [1, 2])
def test_small_convolutions_give_the_batch_innermost_and_take_it(stride):
    first = nn.Conv2d(2, 4, 3, padding=1, stride=stride).eval()
    second = nn.Conv2d(4, 3, 2).eval()
    x = np.random.default_rng(8).normal(size=(6, 2, 9, 8)).astype(np.float32)
    with rp.no_grad():
        middle = first._infer(x)
        got = second._infer(middle)
    for out in (middle, got):  # (N, C, OH, OW) views of (C, OH, OW, N) memory
        assert out.strides[0] == out.itemsize
        assert out.base is not None and out.base.flags.c_contiguous
    expected = second(first(tensor(x))).data
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_large_convolutions_go_through_the_chunked_forward(monkeypatch):
    layer = nn.Conv2d(2, 3, 3).eval()
    x = np.random.default_rng(7).random((6, 2, 7, 7)).astype(np.float32)
    expected = layer(tensor(x)).data
    monkeypatch.setattr(conv_ops, "CHUNK_ELEMENTS", 2 * 9 * 25 * 2)  # two images a slice
    with rp.no_grad():
        np.testing.assert_allclose(layer._infer(x), expected, rtol=1e-6, atol=1e-6)


def test_summary_still_sees_every_layer(capsys):
    rp.models.lenet5().summary((1, 28, 28))
    out = capsys.readouterr().out
    assert "(None, 6, 28, 28)" in out and "(None, 10)" in out


def test_no_grad_restores_the_mode_after_errors_and_when_nested():
    @rp.no_grad()
    def depth(k):
        assert not rp.is_grad_enabled()
        return depth(k - 1) if k else 0

    depth(3)
    assert rp.is_grad_enabled()
    with rp.no_grad():
        with rp.enable_grad():
            assert rp.is_grad_enabled()
        assert not rp.is_grad_enabled()
    with pytest.raises(KeyError), rp.no_grad():
        raise KeyError
    assert rp.is_grad_enabled()


def test_an_activation_whose_forward_is_replaced_on_the_instance_is_called():
    layer = nn.Linear(3, 4, activation="tanh").eval()
    seen = []
    forward = layer.activation.forward

    def recording(x):
        seen.append(x.shape)
        return forward(x)

    object.__setattr__(layer.activation, "forward", recording)
    with rp.no_grad():
        nn.Sequential(layer)(np.ones((2, 3), np.float32))
    assert seen == [(2, 4)]


class _Doubled(nn.Linear):
    def forward(self, x):
        return super().forward(x) * 2.0


class _Shifted(nn.Sequential):
    def forward(self, x):
        return super().forward(x) + 100.0


class _Clipped(nn.ReLU):
    def forward(self, x):
        return super().forward(x).clip(None, 1.0)


@pytest.mark.parametrize("make", [lambda: _Doubled(3, 2), lambda: _Shifted(nn.Tanh()),
                                  lambda: _Clipped()])
def test_a_subclass_that_overrides_forward_runs_its_forward(make):
    model = nn.Sequential(nn.Identity(), make()).eval()
    x = np.random.default_rng(8).normal(0, 3, (4, 3)).astype(np.float32)
    expected = model(tensor(x)).data
    with rp.no_grad():
        np.testing.assert_array_equal(model(x).data, expected)


def test_an_input_that_is_not_a_tensor_reaches_the_first_layer():
    class Pick(nn.Module):
        def forward(self, pair):
            return pair[0] * 2.0

    model = nn.Sequential(Pick(), nn.ReLU()).eval()
    pair = (rp.Tensor(np.ones((1, 3), np.float32)), None)
    with rp.no_grad():
        np.testing.assert_array_equal(model(pair).data, np.full((1, 3), 2.0, np.float32))


def test_zero_dimensional_outputs_are_arrays():
    with rp.no_grad():
        out = nn.Sequential(nn.Sigmoid()).eval()(rp.Tensor(np.float32(0.3)))
    assert type(out.data) is np.ndarray and out.shape == ()
    out.data[...] = 0  # writable, as on the tensor path


def test_a_forward_assigned_to_a_subclass_later_is_seen(monkeypatch):
    class Bounded(nn.Tanh):
        pass

    model = nn.Sequential(Bounded()).eval()
    x = np.full((1, 2), 3.0, np.float32)
    with rp.no_grad():
        assert model(x).data[0, 0] == np.tanh(np.float32(3.0))  # the array path, remembered
        monkeypatch.setattr(Bounded, "forward", lambda self, t: t * 0.0)
        assert model(x).data[0, 0] == 0.0
