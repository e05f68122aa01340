import numpy as np
import pytest

from retroprop import nn


def make_mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_parameters_register_with_dotted_names():
    model = make_mlp()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model[0].weight.shape == (8, 4)
    assert len(list(model.parameters())) == 4


def test_nested_modules_and_bias_none():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = make_mlp()
            self.head = nn.Linear(3, 1, bias=False)

        def forward(self, x):
            return self.head(self.body(x))

    net = Net()
    assert [n for n, _ in net.named_parameters()][-1] == "head.weight"
    assert net.head.bias is None
    assert net(np.ones((2, 4))).shape == (2, 1)


def test_super_init_is_required():
    class Broken(nn.Module):
        def __init__(self):
            self.x = 1

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_train_eval_propagate():
    model = make_mlp()
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_state_dict_round_trip_is_a_snapshot():
    model = make_mlp()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    original = state["0.weight"].copy()
    model[0].weight.data += 1
    np.testing.assert_array_equal(state["0.weight"], original)
    weight_array = model[0].weight.data
    model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].weight.data, original)
    assert model[0].weight.data is weight_array  # loaded in place


def test_load_state_dict_errors():
    model = make_mlp()
    state = model.state_dict()
    del state["2.bias"]
    state["extra"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys \['2.bias'\].*unexpected keys \['extra'\]"):
        model.load_state_dict(state)
    model.load_state_dict(state, strict=False)
    bad = make_mlp().state_dict()
    bad["0.weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(3, 3\).*\(8, 4\)"):
        model.load_state_dict(bad)


@pytest.mark.parametrize("count", [2.5, np.nan, np.inf, -np.inf, 1e30])
def test_load_state_dict_refuses_a_fraction_for_an_integer_buffer(count):
    model = nn.BatchNorm1d(3)
    state = model.state_dict()
    state["num_batches_tracked"] = np.array(count)  # was truncated (or NaN made huge)
    with pytest.raises(ValueError, match=r"'num_batches_tracked' holds .*int64: expected whole"):
        model.load_state_dict(state)
    state["num_batches_tracked"] = np.array(7.0)
    model.load_state_dict(state)
    assert model.num_batches_tracked == 7


def test_zero_grad_and_to_dtype():
    model = make_mlp()
    out = model(np.ones((2, 4)))
    out.sum().backward()
    assert model[0].weight.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.to(np.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(np.ones((2, 4))).dtype == np.float64


def test_repr_shows_layers():
    text = repr(make_mlp())
    assert "(0): Linear(in_features=4, out_features=8, bias=True)" in text
    assert "(1): ReLU()" in text


def test_sequential_indexing_iteration_and_errors():
    model = make_mlp()
    assert len(model) == 3
    assert isinstance(model[-1], nn.Linear)
    assert len(model[:2]) == 2
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(TypeError, match="layer 1 must be a Module"):
        nn.Sequential(nn.ReLU(), "relu")
    with pytest.raises(ValueError, match=r"layer 2 \(Linear\).*has 5 features, expected 8"):
        nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(8, 3))(np.ones((2, 4)))


def test_linear_validates_sizes_and_activation_names():
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        nn.Linear(2, 3, activation="relux")
    with pytest.raises(ValueError, match="unknown initializer"):
        nn.Linear(2, 3, init="hee")
    layer = nn.Linear(2, 3, activation="relu")
    assert (layer(np.full((5, 2), -100.0)).data >= 0).all()


def test_activation_by_name():
    for name in ("relu", "tanh", "sigmoid", "lecun_tanh", "elu", "leaky_relu", "step", "sign"):
        assert isinstance(nn.get_activation(name), nn.Module)


def test_replacing_and_deleting_parameters_keeps_attributes_and_registry_in_step():
    layer = nn.Linear(3, 2)
    new = nn.Parameter(np.ones((2, 3)))
    layer.weight = new
    assert layer.weight is new and dict(layer.named_parameters())["weight"] is new
    layer.bias = None
    assert layer.bias is None and "bias" not in dict(layer.named_parameters())
    del layer.weight
    assert "weight" not in dict(layer.named_parameters())
    with pytest.raises(AttributeError):
        _ = layer.weight
    layer.register_parameter("weight", new)
    assert layer.weight is new and list(layer.parameters()) == [new]


# ---------------------------------------------------------------- where modules meet
def test_a_shared_layer_is_one_module():
    """A layer used twice (tied weights) is one module: listed once, saved once in the
    state dict, loaded from it, counted once and summarized (as in PyTorch)."""
    import retroprop as rp

    shared, norm = nn.Linear(4, 4), nn.BatchNorm1d(4)
    model = nn.Sequential(shared, norm, nn.Tanh(), shared, norm)
    assert [name for name, _ in model.named_modules()] == ["", "0", "1", "2"]
    assert len(list(model.named_modules(remove_duplicate=False))) == 6
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "1.num_batches_tracked"]
    model.load_state_dict(state)
    assert model.count_params() == 28
    model.train()
    norm.eval()  # frozen inside a model in training mode
    assert "Params" in rp.nn.summary(model, (4,))
    assert [m.training for m in model.modules()] == [True, True, False, True]
    assert "forward" not in shared.__dict__


def test_get_config_gives_the_settings_a_module_has_now(tmp_path):
    import retroprop as rp

    model = nn.regularize(nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.1), nn.Linear(4, 2),
                                        nn.BatchNorm1d(2)),
                          l1=0.01, l2=0.001, max_norm=2.0, weight_noise=0.1)
    model[1].p, model[2].activation, model[3].eps = 0.3, nn.Tanh(), 1e-3
    config = model[0].get_config()
    assert (config["l1"], config["l2"], config["max_norm"], config["constraint"],
            config["weight_noise"]) == (0.01, 0.001, 2.0, None, 0.1)
    rp.save(model, tmp_path / "model.rpz")
    rebuilt = rp.load(tmp_path / "model.rpz")
    assert repr(rebuilt) == repr(model)
    assert (rebuilt[0].l1, rebuilt[0].constraint.max_value, rebuilt[1].p, rebuilt[3].eps) \
        == (0.01, 2.0, 0.3, 1e-3)


@pytest.mark.parametrize("make, setting, value", [
    (lambda: nn.Sigmoid(), "slope", 3.0), (lambda: nn.LeakyReLU(0.1), "negative_slope", 0.3),
    (lambda: nn.ELU(), "alpha", 0.3), (lambda: nn.TanhLinear(), "a", 0.5),
    (lambda: nn.Softmax(-1), "dim", 0), (lambda: nn.LogSoftmax(-1), "dim", 0),
    (lambda: nn.GaussianNoise(0.1), "std", 0.5),
    (lambda: nn.Conv2d(2, 2, 3), "stride", (2, 1)), (lambda: nn.Conv2d(2, 2, 3), "padding", (1, 0)),
    (lambda: nn.Conv2d(2, 2, 3), "dilation", (2, 2)),
    (lambda: nn.MaxPool2d(2, dilation=2), "dilation", (1, 1)),
    (lambda: nn.MaxPool2d(2), "stride", (1, 1)), (lambda: nn.AvgPool2d(3), "padding", (1, 1)),
    (lambda: nn.AvgPool2d(2), "kernel_size", (2, 3)),
    (lambda: nn.AdaptiveAvgPool2d(2), "output_size", (1, 3)),
    (lambda: nn.RNN(3, 4), "nonlinearity", "relu"), (lambda: nn.RNN(3, 4), "batch_first", True),
])
def test_layer_settings_changed_after_construction_are_saved(tmp_path, make, setting, value):
    """A layer's setting changed after construction is the one a saved model is built with
    again: the save refused such a model (or, for a pooling's dilation, which its repr did
    not show, lost it)."""
    import retroprop as rp

    model = nn.Sequential(make())
    setattr(model[0], setting, value)
    rp.save(model, tmp_path / "model.rpz")
    rebuilt = rp.load(tmp_path / "model.rpz")
    assert getattr(rebuilt[0], setting) == value
    assert repr(rebuilt) == repr(model)


def test_container_subclasses_with_their_own_init_are_built_from_their_arguments(tmp_path):
    import retroprop as rp

    class Block(nn.Sequential):
        def __init__(self, width):
            super().__init__(nn.Linear(width, width), nn.Tanh())

    assert Block(3).get_config() == {"width": 3}
    assert nn.Sequential(nn.Tanh()).get_config()["modules"][0].__class__ is nn.Tanh
    rp.save(Block(3), tmp_path / "block.rpz")
    rebuilt = rp.load(tmp_path / "block.rpz")
    assert type(rebuilt) is Block and rebuilt[0].in_features == 3


def test_the_dtype_of_a_module_without_parameters_is_its_buffers():
    assert nn.BatchNorm1d(3, affine=False, dtype=np.float64).dtype == np.float64
    assert nn.Tanh().dtype == nn.Linear(1, 1).dtype  # the default


@pytest.mark.parametrize("bad, error, message", [
    ("model.rpz", TypeError, r"got str; for a file, load it with rp.load\(path\)"),
    (None, TypeError, "got NoneType"),
    ("model", TypeError, r"got Sequential; for a model, pass other.state_dict\(\)"),
    ({"0.weight": np.ones((8, 4), np.complex64)}, ValueError,
     "'0.weight' holds complex64 values, expected real numbers"),
])
def test_load_state_dict_names_what_it_expected(bad, error, message):
    model = make_mlp()
    with pytest.raises(error, match=message):
        model.load_state_dict(model if bad == "model" else bad, strict=False)


def test_to_takes_pytorchs_device_forms():
    model = make_mlp()
    weight = model[0].weight
    assert model.to("cpu") is model and model.to(device="cpu") is model and model.to() is model
    assert model[0].weight is weight and weight.dtype == np.float32
    model.to("cpu", np.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    with pytest.raises(ValueError, match=r"Module\.to: retroprop computes with NumPy on the "
                                         r"CPU only, got device 'cuda'"):
        model.to("cuda")
    with pytest.raises(TypeError, match=r"Sequential\.to: the dtype of a module's parameters "
                                        r"must be float32 or float64, got int64"):
        model.to(np.int64)
