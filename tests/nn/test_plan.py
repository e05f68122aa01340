"""Inference plans (``retroprop.nn.plan``): under ``no_grad()`` in evaluation mode a
``Sequential`` works out its layers' array path once per input shape and dtype and
replays it. A replay must give what the tensor path gives, see every change the plan was
worked out from, and never share or overwrite an array that is not its own."""

import copy
import sys

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn
from retroprop.ops.activation import relu_zero
from retroprop.ops.linear import affine

plan_module = sys.modules["retroprop.nn.plan"]


def tensor(x):
    return rp.Tensor(x, dtype=x.dtype)


def _counting(monkeypatch):
    """The input shapes of every plan worked out from now on."""
    shapes = []
    work_out = plan_module.Plan.work_out.__func__

    def counted(cls, layers, x):
        shapes.append(x.shape)
        return work_out(cls, layers, x)

    monkeypatch.setattr(plan_module.Plan, "work_out", classmethod(counted))
    return shapes


NETWORKS = {
    "mlp": (lambda d: rp.models.mlp([6, 8, 5, 3], dtype=d), (6,)),
    "no-bias": (lambda d: nn.Sequential(nn.Linear(6, 8, bias=False, dtype=d), nn.ReLU(),
                                        nn.Linear(8, 3, bias=False, dtype=d)), (6,)),
    "own-activation": (lambda d: nn.Sequential(nn.Linear(6, 8, activation="relu", dtype=d),
                                               nn.Linear(8, 3, activation="tanh", dtype=d)),
                       (6,)),
    "relu-first": (lambda d: nn.Sequential(nn.ReLU(), nn.Linear(6, 3, dtype=d)), (6,)),
    "identity-relu": (lambda d: nn.Sequential(nn.Identity(), nn.ReLU(), nn.ReLU()), (6,)),
    "two-relus": (lambda d: nn.Sequential(nn.Linear(6, 4, dtype=d), nn.ReLU(), nn.ReLU(),
                                          nn.Dropout(0.5), nn.ReLU()), (6,)),
    "nested": (lambda d: nn.Sequential(nn.Sequential(nn.Linear(6, 5, dtype=d), nn.ReLU()),
                                       nn.Linear(5, 2, dtype=d)), (6,)),
    "leading-axes": (lambda d: rp.models.mlp([6, 4, 2], dtype=d), (2, 6)),
    "lenet5": (lambda d: rp.models.lenet5(dtype=d), (1, 28, 28)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("network", NETWORKS)
def test_replays_give_the_tensor_path(network, batch, dtype):
    build, shape = NETWORKS[network]
    model = build(dtype).eval()
    rng = np.random.default_rng(0)
    for _ in range(3):  # the first call works the plan out, the others replay it
        x = rng.normal(0, 2, (batch, *shape)).astype(dtype)
        kept = x.copy()
        expected = model(tensor(x)).data
        with rp.no_grad():
            got = model(tensor(x))
        assert type(got) is rp.Tensor and got.dtype == dtype and got.shape == expected.shape
        if network == "lenet5":  # the convolution sums in another order
            np.testing.assert_allclose(got.data, expected, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(got.data, expected)
        np.testing.assert_array_equal(x, kept)  # the input is never overwritten


@pytest.mark.parametrize("network", ["mlp", "lenet5", "two-relus"])
def test_a_plan_is_worked_out_once_per_input_shape(network, monkeypatch):
    build, shape = NETWORKS[network]
    model = build(np.float32).eval()
    shapes = _counting(monkeypatch)
    with rp.no_grad():
        for batch in (1, 1, 4, 1, 4, 4):
            model(np.ones((batch, *shape), np.float32))
    assert shapes == [(1, *shape), (4, *shape)]


def test_the_relu_after_a_linear_layer_is_one_step_with_it():
    model = rp.models.mlp([6, 8, 5, 3]).eval()
    with rp.no_grad():
        model(np.ones((1, 6), np.float32))
    (plan,) = model.__dict__["_plans"].values()
    assert len(plan.runs) == 3


CHANGES = {
    "weight-in-place": lambda m: m[0].weight.data.__imul__(2),
    "weight-replaced": lambda m: setattr(m[0].weight, "data", m[0].weight.data * 3),
    "weight-replaced-fortran": lambda m: setattr(
        m[2].weight, "data", np.asfortranarray(m[2].weight.data * 3)),
    "bias-replaced": lambda m: setattr(m[4].bias, "data", m[4].bias.data + 1),
    "parameter-replaced": lambda m: setattr(
        m[2], "weight", nn.Parameter(m[2].weight.data[::-1].copy())),
    "layer-appended": lambda m: m.append(m.spare),
    "own-activation-set": lambda m: setattr(m[4], "activation", nn.Tanh()),
    "state-loaded": lambda m: m.load_state_dict(
        rp.models.mlp([6, 8, 5, 3]).state_dict()),
}


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("change", CHANGES)
def test_changes_after_a_plan_are_seen(change, batch):
    rp.manual_seed(1)
    model = rp.models.mlp([6, 8, 5, 3]).eval()
    object.__setattr__(model, "spare", nn.Sigmoid())  # made before the plan, not registered
    x = np.random.default_rng(2).normal(0, 1, (batch, 6)).astype(np.float32)
    with rp.no_grad():
        before = model(x).data
    CHANGES[change](model)
    expected = model(tensor(x)).data
    with rp.no_grad():
        after = model(x).data
    np.testing.assert_array_equal(after, expected)
    assert after.shape != before.shape or not np.array_equal(after, before)


def test_a_weight_of_another_dtype_gets_the_tensor_paths_error():
    model = rp.models.mlp([6, 8, 3]).eval()
    x = np.ones((1, 6), np.float32)
    with rp.no_grad():
        model(x)
        model[2].weight.data = model[2].weight.data.astype(np.float64)
        with pytest.raises(TypeError, match="never upcasts silently"):
            model(tensor(x))


def test_a_layer_switched_to_training_mode_draws_its_masks_again():
    model = nn.Sequential(nn.Linear(4, 50), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(50, 3)).eval()
    x = np.ones((2, 4), np.float32)
    with rp.no_grad():
        first = model(x).data
        assert np.array_equal(model(x).data, first)
        model[2].train()
        assert not np.array_equal(model(x).data, model(x).data)
        model.eval()
        np.testing.assert_array_equal(model(x).data, first)


def test_monte_carlo_dropout_and_summary_after_a_plan():
    model = nn.Sequential(nn.Linear(4, 30), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(30, 3)).eval()
    x = np.ones((1, 4), np.float32)
    with rp.no_grad():
        model(x)
    _, std = nn.predict_mc(model, x, samples=10)
    assert np.all(std > 0) and not model[2].training
    with rp.no_grad():  # evaluation mode again: a plan, not the layer-by-layer path
        model(x)
    assert model.__dict__["_plans"][(x.shape, x.dtype)].runs is not None
    text = nn.summary(model, (4,))
    assert "(None, 30)" in text and "(None, 3)" in text
    with rp.no_grad():  # the recording forwards are gone: the plan applies again
        np.testing.assert_array_equal(model(x).data, model(tensor(x)).data)


def test_a_stale_plan_drops_the_networks_other_plans():
    model = rp.models.mlp([6, 8, 3]).eval()
    with rp.no_grad():
        for batch in (1, 2, 3):
            model(np.ones((batch, 6), np.float32))
        assert len(model.__dict__["_plans"]) == 3
        model[0].weight.data = model[0].weight.data.copy()  # the plans hold the old one
        model(np.ones((1, 6), np.float32))
    assert list(model.__dict__["_plans"]) == [((1, 6), np.dtype(np.float32))]


def test_outputs_are_new_arrays_that_later_calls_leave_alone():
    model = rp.models.mlp([6, 8, 3]).eval()
    rng = np.random.default_rng(3)
    x, y = (rng.normal(0, 1, (1, 6)).astype(np.float32) for _ in range(2))
    with rp.no_grad():
        first = model(x).data
        kept = first.copy()
        second = model(y).data
    np.testing.assert_array_equal(first, kept)
    assert not np.shares_memory(first, second)


def test_copies_work_out_their_own_plans():
    model = rp.models.mlp([6, 8, 3]).eval()
    x = np.ones((1, 6), np.float32)
    with rp.no_grad():
        before = model(x).data
    twin = copy.deepcopy(model)
    assert not twin.__dict__.get("_plans")
    twin[0].weight.data *= 2
    with rp.no_grad():
        np.testing.assert_array_equal(model(x).data, before)
        np.testing.assert_array_equal(twin(x).data, twin(tensor(x)).data)
        assert not np.array_equal(twin(x).data, before)


def test_many_input_shapes_keep_a_bounded_number_of_plans():
    model = rp.models.mlp([6, 4, 2]).eval()
    with rp.no_grad():
        for batch in range(1, 3 * plan_module.KEPT):
            x = np.full((batch, 6), 0.5, np.float32)
            np.testing.assert_array_equal(model(x).data, model(tensor(x)).data)
    assert 0 < len(model.__dict__["_plans"]) <= plan_module.KEPT


def test_only_element_wise_layers_work_in_place():
    for shape in [(1, 3), (3000, 1000)]:  # one thread, and split over the cores
        x = np.random.default_rng(6).normal(0, 1, shape).astype(np.float32)
        expected = np.maximum(x, 0)
        relu_ = nn.ReLU()._infer_in_place(x)
        assert relu_(x) is x and np.array_equal(x, expected)
    y = np.array([[-1.0, 2.0]], np.float32)
    assert nn.Tanh()._infer_in_place(y) is None and np.array_equal(y, [[-1.0, 2.0]])
    assert nn.Linear.infers_new and not nn.Identity.infers_new


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_zero_is_a_read_only_zero_of_the_dtype(dtype):
    zero = relu_zero(np.ones((1, 8), dtype))
    assert zero.shape == () and zero.dtype == dtype and zero == 0
    assert not zero.flags.writeable
    assert relu_zero(np.ones((4, 1024), dtype)).shape == (1024,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_single_rows_bias_is_added_as_broadcasting_adds_it(dtype):
    rng = np.random.default_rng(5)
    x, weight, bias = (rng.normal(0, 1, shape).astype(dtype) for shape in
                       ((1, 7), (4, 7), (4,)))
    np.testing.assert_array_equal(affine(x, weight, bias), np.dot(x, weight.T) + bias)


def _random_layer(rng, features):
    """A layer that keeps ``features`` (or a Linear to a new width), and the width after it."""
    kind = rng.integers(6)
    if kind == 0:
        width = int(rng.integers(1, 7))
        return nn.Linear(features, width, bias=bool(rng.integers(2))), width
    return [nn.ReLU(), nn.Tanh(), nn.LeakyReLU(0.1), nn.Dropout(0.5),
            nn.Identity()][kind - 1], features


def _random_network(rng):
    first = [[], [nn.ReLU()], [nn.Identity(), nn.ReLU()]][rng.integers(3)]
    layers, features = [*first, nn.Linear(5, 4)], 4
    for _ in range(rng.integers(1, 6)):
        layer, features = _random_layer(rng, features)
        layers.append(layer)
    return nn.Sequential(*layers).eval(), features


@pytest.mark.parametrize("seed", range(20))
def test_random_networks_and_changes_keep_replays_equal_to_the_tensor_path(seed):
    """Random stacks of layers, called again after random changes of every kind."""
    rng = np.random.default_rng(seed)
    rp.manual_seed(seed)
    model, features = _random_network(rng)
    batch = int(rng.integers(1, 4))
    for _ in range(8):
        x = rng.normal(0, 1, (batch, 5)).astype(np.float32)
        linear = [m for m in model if isinstance(m, nn.Linear)]
        change = rng.integers(6)
        target = linear[rng.integers(len(linear))]
        if change == 0:
            target.weight.data *= -1.5
        elif change == 1:
            target.weight.data = target.weight.data + 0.25
        elif change == 2:
            layer, features = _random_layer(rng, features)
            model.append(layer.eval())
        elif change == 3:
            target.activation = [None, nn.ReLU(), nn.Tanh()][rng.integers(3)]
        elif change == 4:
            model.load_state_dict({k: v * 0.5 for k, v in model.state_dict().items()})
        kept = x.copy()
        expected = model(tensor(x)).data
        with rp.no_grad():
            got = model(x).data
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(x, kept)


# ---------------------------------------------------------------- subclasses and edits
class _ClippedReLU(nn.ReLU):
    """min(max(x, 0), 6): its own forward and _infer, and ReLU's plan step inherited."""

    def forward(self, x):
        return rp.ops.relu(x) - rp.ops.relu(x - 6.0)

    def _infer(self, x):
        return np.minimum(np.maximum(x, 0), 6)


class _ScaledLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) * 10.0

    def _infer(self, x):
        return super()._infer(x) * 10.0


class _MaskedLinear(nn.Linear):
    def noisy_weight(self):
        return self.weight * 0.0


class _MaskedConv(nn.Conv2d):
    def noisy_weight(self):
        return self.weight * 0.0


class _CountedTanh(nn.Tanh):
    calls = 0

    def __call__(self, x):
        type(self).calls += 1
        return super().__call__(x)


SUBCLASSED = {
    "own-infer-after-linear": (lambda: nn.Sequential(nn.Linear(3, 4), _ClippedReLU()), (3,)),
    "own-infer-linear": (lambda: nn.Sequential(_ScaledLinear(3, 4), nn.ReLU()), (3,)),
    "noisy-weight-linear": (lambda: nn.Sequential(_MaskedLinear(3, 2), nn.ReLU()), (3,)),
    "noisy-weight-conv": (lambda: nn.Sequential(_MaskedConv(1, 2, 3), nn.Flatten()),
                          (1, 5, 5)),
    "own-call": (lambda: nn.Sequential(nn.Linear(3, 2), _CountedTanh()), (3,)),
}


@pytest.mark.parametrize("network", SUBCLASSED)
def test_subclasses_get_what_their_tensor_path_computes(network):
    build, shape = SUBCLASSED[network]
    rp.manual_seed(0)
    model = build().eval()
    for param in model.parameters():
        param.data[...] = 2.0  # ClippedReLU's inputs above 6, products far from 0
    x = np.ones((2, *shape), np.float32)
    expected = model(tensor(x)).data
    _CountedTanh.calls = 0
    with rp.no_grad():
        for _ in range(2):  # the plan's work-out, then its replay
            np.testing.assert_array_equal(model(tensor(x)).data, expected)
    if network == "own-call":
        assert _CountedTanh.calls == 2


def test_direct_changes_to_the_registries_are_seen():
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).eval()
    x = tensor(np.ones((1, 3), np.float32))
    with rp.no_grad():
        model(x)
        model._modules["1"] = nn.Tanh()
        np.testing.assert_array_equal(
            model(x).data, model[2](model[1](model[0](x))).data)
        model._modules.pop("2")
        assert model(x).shape == (1, 4)


def test_sequential_items_can_be_replaced_and_deleted():
    rp.manual_seed(0)
    layers = [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)]
    model = nn.Sequential(*layers).eval()
    x = tensor(np.ones((1, 3), np.float32))
    with rp.no_grad():
        model(x)
        model[-2] = nn.Tanh()
        assert isinstance(model[1], nn.Tanh)
        np.testing.assert_array_equal(model(x).data, model[2](model[1](model[0](x))).data)
        del model[0]
        assert list(model._modules) == ["0", "1"]
        assert model[1] is layers[2] and model.state_dict().keys() == {"1.weight", "1.bias"}
    with pytest.raises(IndexError, match="index 2 out of range for 2 layers"):
        model[2] = nn.ReLU()
    with pytest.raises(TypeError, match="layer 0 must be a Module"):
        model[0] = np.tanh


def test_append_after_a_deletion_replaces_no_layer():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    last = model[2]
    delattr(model, "1")
    model.append(nn.Tanh())
    assert list(model._modules) == ["0", "2", "3"] and model[1] is last


def test_a_weight_of_another_shape_gets_the_layer_error():
    rp.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(18, 4)).eval()
    x = tensor(np.ones((1, 1, 5, 5), np.float32))
    with rp.no_grad():
        model(x)
        model[0].weight.data = np.ones((3, 1, 3, 3), np.float32)  # three filters now
        model[0].bias.data = np.zeros(3, np.float32)
        with pytest.raises(ValueError, match=r"layer 2 \(Linear\).*27 features, expected 18"):
            model(x)


@pytest.mark.parametrize("cls, name", [(nn.Tanh, "forward"), (nn.Linear, "noisy_weight"),
                                       (nn.Module, "__call__")])
def test_a_method_assigned_to_a_class_later_is_run(cls, name, monkeypatch):
    """A class's ``forward`` (or a method its tensor path runs) replaced after a plan was
    worked out, as ``unittest.mock.patch`` does: the calls run the new method, and the
    array path again once the class has its own back."""
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh()).eval()
    x = tensor(np.ones((2, 3), np.float32))
    with rp.no_grad():
        before = model(x).data
        original, called = getattr(cls, name), []

        def counted(self, *args, **kwargs):
            called.append(type(self).__name__)
            return original(self, *args, **kwargs)

        doubled = {"forward": lambda self, t: original(self, t) * 2.0,
                   "noisy_weight": lambda self: self.weight * 2.0,
                   "__call__": counted}[name]
        monkeypatch.setattr(cls, name, doubled)
        got = model(x).data
        if name == "__call__":
            assert called == ["Sequential", "Linear", "Tanh"]
            np.testing.assert_array_equal(got, before)
        else:
            assert not np.allclose(got, before)
            with rp.enable_grad():
                np.testing.assert_array_equal(got, model(x).data)
        monkeypatch.undo()
        np.testing.assert_array_equal(model(x).data, before)
        assert model._plans  # the plan again
