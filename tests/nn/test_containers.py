"""ModuleList and ModuleDict register their modules; summary() and count_params() as Keras."""

import re

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn


class Tower(nn.Module):
    def __init__(self, depth: int = 3):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(depth)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 1)})

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return self.heads["a"](x)


def test_module_list_and_dict_register_parameters():
    model = Tower()
    assert len(list(model.parameters())) == 3 * 2 + 2 * 2
    assert "layers.2.weight" in model.state_dict() and "heads.b.bias" in model.state_dict()
    model.eval()
    assert not any(m.training for m in model.modules())


def test_a_plain_list_hides_the_layers_which_modulelist_fixes():
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

    assert list(Plain().parameters()) == []
    assert len(list(nn.ModuleList([nn.Linear(2, 2)]).parameters())) == 2


def test_module_list_operations():
    layers = nn.ModuleList()
    a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Tanh()
    layers.append(a).extend([c])
    layers.insert(1, b)
    assert list(layers) == [a, b, c] and layers[-1] is c and len(layers) == 3
    assert list(layers[1:]) == [b, c]
    layers[0] = nn.Sigmoid()
    del layers[1]
    assert [type(m).__name__ for m in layers] == ["Sigmoid", "Tanh"]
    assert list(layers._modules) == ["0", "1"]
    with pytest.raises(IndexError, match="index 5 is out of range for 2 modules"):
        layers[5]
    with pytest.raises(TypeError, match="ModuleList: item 2 must be a Module, got int"):
        layers.append(3)


def test_module_dict_operations():
    heads = nn.ModuleDict([("x", nn.Linear(2, 1))])
    heads["y"] = nn.ReLU()
    assert list(heads) == ["x", "y"] and "y" in heads and len(heads) == 2
    assert [k for k, _ in heads.items()] == ["x", "y"]
    del heads["x"]
    assert list(heads.keys()) == ["y"]
    with pytest.raises(KeyError, match="no module 'z'; keys: \\['y'\\]"):
        heads["z"]
    with pytest.raises(KeyError, match=r"without '\.'"):
        heads["a.b"] = nn.ReLU()


def test_containers_survive_save_and_load(tmp_path):
    model = nn.Sequential(nn.ModuleList([nn.Linear(3, 2)]), nn.ModuleDict({"h": nn.ReLU()}))
    model[0].append(nn.Linear(2, 2))  # added after construction: saved too
    rp.save(model, tmp_path / "m.rpz")
    loaded = rp.load(tmp_path / "m.rpz")
    assert len(loaded[0]) == 2 and "h" in loaded[1]
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)


def test_summary_shapes_and_counts(capsys):
    model = rp.models.mlp([784, 256, 10])
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 256)" in out and "200,960" in out and "Total params: 203,530" in out
    assert model.count_params() == 784 * 256 + 256 + 256 * 10 + 10
    model[0].weight.requires_grad = False
    assert model.count_params(trainable=False) == 784 * 256
    assert "Non-trainable params: 200,704" in rp.nn.summary(model)


def test_summary_of_a_convnet_and_nested_modules():
    text = rp.nn.summary(rp.models.lenet5(), (1, 28, 28))
    assert "(None, 6, 28, 28)" in text and "(None, 16, 5, 5)" in text
    assert "Total params: 61,706" in text
    nested = rp.nn.summary(Tower(), (4,))
    assert "  0 (Linear)" in nested and "(None, 4)" in nested
    assert "Total params: 75" in nested


def test_summary_with_a_wrong_input_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"does not take inputs of shape \(5,\)"):
        rp.nn.summary(rp.models.mlp([4, 2]), (5,))
    model = rp.models.mlp([4, 2])
    with pytest.raises(ValueError):
        rp.nn.summary(model, (5,))
    assert "forward" not in model[0].__dict__  # the recording wrappers are gone


def test_summary_takes_an_integer_input_shape_as_onnx_export_does():
    text = rp.nn.summary(rp.models.mlp([4, 3]), 4)  # was TypeError: 'int' is not iterable
    assert "(None, 3)" in text


@pytest.mark.parametrize("shape", ["4", 4.0, True, (True, 4), (0, 4), (2.0,)])
def test_summary_refuses_an_input_shape_that_is_not_positive_integers(shape):
    with pytest.raises(ValueError, match=r"summary: input_shape must be positive integers .* "
                                         "got " + re.escape(repr(shape))):
        rp.nn.summary(rp.models.mlp([4, 3]), shape)


@pytest.mark.parametrize("model, x, message", [
    (lambda: nn.Sequential(nn.RNN(3, 4), nn.Linear(4, 3)), np.ones((5, 2, 3), np.float32),
     r"layer 1 \(Linear\) takes a tensor or an array, but layer 0 \(RNN\) gives a tuple"),
    (lambda: nn.Sequential(nn.Linear(4, 3)), [1.0, 2.0, 3.0, 4.0],
     r"layer 0 \(Linear\) takes a tensor or an array, but the input is a list"),
])
def test_a_layer_given_something_else_than_a_tensor_names_it(model, x, message):
    with pytest.raises(TypeError, match=message):  # was AttributeError: 'tuple' ... 'shape'
        model()(x)


def test_an_attribute_error_inside_a_layer_that_takes_a_tuple_is_not_disguised():
    class Pick(nn.Module):
        def forward(self, pair):
            return pair[0].misspelled  # a bug of this layer, not a wrong input

    with pytest.raises(AttributeError, match="misspelled"):
        nn.Sequential(nn.RNN(3, 4), Pick())(np.ones((5, 2, 3), np.float32))
