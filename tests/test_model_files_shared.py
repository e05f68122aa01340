"""Model files with a layer used at several places (shared weights: ``seq * 3``,
``nn.Sequential(layer, nn.ReLU(), layer)``, the same module in nested containers, a
``ModuleList`` or a ``ModuleDict``): the layer is written once and referred to elsewhere,
and loads back as one module used at the same places, which trains as one, with its
optimizer state and its running statistics; hostile references are refused."""

import json
from collections import OrderedDict

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn
from retroprop.serialization import SAME

X = np.linspace(-1, 1, 24, dtype=np.float32).reshape(6, 4)
IMAGES = np.linspace(-1, 1, 6 * 2 * 5 * 5, dtype=np.float32).reshape(6, 2, 5, 5)


class Chain(nn.Module):
    """Applies the layers of a ``ModuleList`` in turn."""

    def __init__(self, layers):
        super().__init__()
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Heads(nn.Module):
    """The sum of the outputs of the heads of a ``ModuleDict``."""

    def __init__(self, heads):
        super().__init__()
        self.heads = heads

    def forward(self, x):
        outputs = [head(x) for head in self.heads.values()]
        return sum(outputs[1:], outputs[0])


class Twice(nn.Module):
    """Applies ``first``, tanh, then ``second``: given one layer twice, it shares it."""

    def __init__(self, first, second):
        super().__init__()
        self.first, self.second = first, second

    def forward(self, x):
        return self.second(self.first(x).tanh())


def repeated():
    return nn.Sequential(nn.Linear(4, 4), nn.Tanh()) * 3, X


def twice():
    layer = nn.Linear(4, 4)
    return nn.Sequential(layer, nn.ReLU(), layer, nn.Linear(4, 2)), X


def named():
    layer = nn.Linear(4, 4)
    return nn.Sequential(OrderedDict([("hidden", layer), ("act", nn.Tanh()),
                                      ("again", layer)])), X


def nested():
    layer = nn.Linear(4, 4)
    return nn.Sequential(nn.Sequential(layer, nn.Tanh()), layer,
                         nn.Sequential(nn.Tanh(), nn.Sequential(layer))), X


def nested_container_twice():
    block = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
    return nn.Sequential(block, nn.Linear(4, 4), block), X


def batch_norm():
    norm = nn.BatchNorm1d(4)
    return nn.Sequential(nn.Linear(4, 4), norm, nn.Tanh(), nn.Linear(4, 4), norm), X


def conv():
    layer = nn.Conv2d(2, 2, 3, padding=1)
    return nn.Sequential(layer, nn.ReLU(), layer, nn.Flatten(), nn.Linear(50, 3)), IMAGES


def module_list():
    layer = nn.Linear(4, 4)
    return Chain(nn.ModuleList([layer, nn.Tanh(), layer, nn.Tanh(), layer])), X


def module_dict():
    layer = nn.Linear(4, 3)
    return Heads(nn.ModuleDict({"a": layer, "b": nn.Linear(4, 3), "c": layer})), X


def constructor_arguments():
    layer = nn.Linear(4, 4)
    return Twice(layer, layer), X


PATTERNS = [repeated, twice, named, nested, nested_container_twice, batch_norm, conv, module_list,
            module_dict, constructor_arguments]


def sharing(model):
    """Each place of a module or parameter met before, with the place first met at."""
    first, again = {}, {}
    places = [(name, module) for name, module in model.named_modules(remove_duplicate=False)]
    places += [(f"{name}.{p}" if name else p, param)
               for name, module in model.named_modules(remove_duplicate=False)
               for p, param in module._parameters.items()]
    for place, item in places:
        if id(item) in first:
            again[place] = first[id(item)]
        else:
            first[id(item)] = place
    return again


def trained(model, x, steps=2):
    """``model`` after ``steps`` steps of Adam on the sum of squares of its outputs (in
    training mode: batch normalization updates its running statistics), and the
    optimizer."""
    optimizer = rp.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        step(model, optimizer, x)
    return model, optimizer


def step(model, optimizer, x):
    optimizer.zero_grad()
    (model(x) ** 2).sum().backward()
    optimizer.step()


def state(model):
    return {name: np.array(value) for name, value in model.state_dict().items()}


def assert_same_state(a, b):
    first, second = state(a), state(b)
    assert list(first) == list(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.__name__)
def test_shared_layers_load_back_shared(tmp_path, pattern):
    rp.manual_seed(0)
    model, x = pattern()
    trained(model, x)
    assert sharing(model)  # the pattern does share something
    rp.save(model, tmp_path / "m.rpz")
    loaded = rp.load(tmp_path / "m.rpz")
    assert sharing(loaded) == sharing(model)
    for place, first in sharing(model).items():
        if not place.endswith(("weight", "bias")):
            assert loaded.get_submodule(place) is loaded.get_submodule(first)
    assert repr(loaded) == repr(model)
    assert_same_state(loaded, model)
    with rp.no_grad():
        np.testing.assert_array_equal(loaded.eval()(x).data, model.eval()(x).data)
        np.testing.assert_array_equal(loaded.train()(x).data, model.train()(x).data)


def test_a_layer_at_two_places_is_one_module_after_loading(tmp_path):
    layer = nn.Linear(2, 2)
    rp.save(nn.Sequential(layer, nn.ReLU(), layer), tmp_path / "m.rpz")
    loaded = rp.load(tmp_path / "m.rpz")
    assert loaded[2] is loaded[0] and loaded[1] is not loaded[0]
    assert loaded[2].weight is loaded[0].weight


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.__name__)
def test_a_loaded_model_trains_its_shared_layers_as_one(tmp_path, pattern):
    """A step on the loaded model moves every use of a shared layer together, as the same
    step does on the model saved (its gradient is the sum over the uses)."""
    rp.manual_seed(0)
    model, x = pattern()
    rp.save(model, tmp_path / "m.rpz")
    loaded = rp.load(tmp_path / "m.rpz")
    for network in (model, loaded):
        step(network, rp.optim.SGD(network.parameters(), lr=0.1), x)
    assert_same_state(loaded, model)
    assert sharing(loaded) == sharing(model)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.__name__)
def test_the_optimizer_state_of_shared_layers_is_saved_with_the_model(tmp_path, pattern):
    rp.manual_seed(0)
    model, x = pattern()
    model, optimizer = trained(model, x)
    rp.save(model, tmp_path / "m.rpz", optimizer=optimizer)
    loaded = rp.load(tmp_path / "m.rpz")
    resumed = rp.optim.Adam(loaded.parameters(), lr=0.5)
    resumed.load_state_dict(rp.load_optimizer_state(tmp_path / "m.rpz", resumed))
    assert len(resumed.state) == len(list(model.parameters()))
    step(model, optimizer, x)
    step(loaded, resumed, x)
    assert_same_state(loaded, model)


def test_shared_batch_norm_keeps_one_set_of_running_statistics(tmp_path):
    """Both uses of a shared batch normalization update the same running statistics, in
    the model saved and in the one loaded."""
    rp.manual_seed(0)
    model, x = batch_norm()
    trained(model, x)
    assert model[1].num_batches_tracked == 4  # two uses a step, two steps
    rp.save(model, tmp_path / "m.rpz")
    loaded = rp.load(tmp_path / "m.rpz")
    assert loaded[4].running_mean is loaded[1].running_mean
    for network in (model, loaded):
        with rp.no_grad():
            network.train()(x)
    assert int(loaded[4].num_batches_tracked) == 6
    assert_same_state(loaded, model)


def test_files_without_shared_layers_stay_in_format_version_1(tmp_path):
    """Earlier retroprop reads them; a model with a shared layer needs version 2, which
    earlier retroprop refuses with a message asking to upgrade."""
    def version(model):
        rp.save(model, tmp_path / "m.rpz")
        with np.load(tmp_path / "m.rpz") as archive:
            return json.loads(archive["__retroprop__"].tobytes())["format_version"]

    assert version(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))) == 1
    assert version(twice()[0]) == 2


# ---------------------------------------------------------------------- hostile references
def linear(n=2):
    return {"__module__": {"class": "retroprop.nn.linear.Linear",
                           "args": {"in_features": n, "out_features": n}}}


def sequential(*modules):
    return {"class": "retroprop.nn.container.Sequential", "args": {"modules": list(modules)}}


def same(number):
    return {SAME: number}


def write(path, architecture, version=2):
    header = {"format": "retroprop-model", "format_version": version, "dtype": "float32",
              "metadata": {}, "optimizer": None, "architecture": architecture}
    arrays = {"__retroprop__": np.frombuffer(json.dumps(header).encode(), np.uint8),
              "model/0.weight": np.zeros((2, 2), np.float32),
              "model/0.bias": np.zeros(2, np.float32)}
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def test_a_written_reference_loads(tmp_path):
    """The file the hostile cases below alter: a valid one."""
    loaded = rp.load(write(tmp_path / "m.rpz", sequential(linear(), same(1))))
    assert loaded[1] is loaded[0]


@pytest.mark.parametrize("architecture, message", [
    (sequential(linear(), same(7)), r"a reference names module 7, but the architecture "
                                    r"describes 2 modules \(0 to 1\)"),
    (sequential(same(1), linear()), "a reference names module 1, which is described after "
                                    "it"),
    ({"class": "retroprop.nn.container.Sequential",
      "args": {"modules": [linear(), {"__module__": sequential(same(2))}]}},
     r"a reference names module 2 \(retroprop.nn.container.Sequential\), which holds it: a "
     r"module cannot contain itself"),
    (sequential(linear(), {"__module__": sequential({"__module__": sequential(same(0))})}),
     r"a reference names module 0 \(retroprop.nn.container.Sequential\), which holds it"),
    (sequential(linear(), same("1")), "a reference to a module used again must be"),
    (sequential(linear(), same(True)), "a reference to a module used again must be"),
    (sequential(linear(), same(-1)), "a reference to a module used again must be"),
    (sequential(linear(), same(1.0)), "a reference to a module used again must be"),
    (sequential(linear(), same(None)), "a reference to a module used again must be"),
    (sequential(linear(), same([1])), "a reference to a module used again must be"),
    (sequential(linear(), {SAME: 1, "class": "retroprop.nn.linear.Linear"}),
     "a reference to a module used again must be"),
], ids=["missing", "later", "itself", "cycle", "string", "bool", "negative",
        "float", "null", "list", "extra key"])
def test_hostile_references_are_refused(tmp_path, architecture, message):
    with pytest.raises(rp.ModelFileError, match=r"load: .*m\.rpz: " + message):
        rp.load(write(tmp_path / "m.rpz", architecture))


def test_a_reference_in_a_version_1_file_is_refused(tmp_path):
    with pytest.raises(rp.ModelFileError, match=r"declares format version 1 but its "
                                                r"architecture holds references"):
        rp.load(write(tmp_path / "m.rpz", sequential(linear(), same(1)), version=1))


def test_references_do_not_count_as_sizes_in_the_allocation_bound(tmp_path):
    """A container of many references to one layer allocates that layer once: the numbers
    of the references are not sizes (their product would refuse the file)."""
    architecture = sequential(linear(), *(same(1) for _ in range(40)))
    loaded = rp.load(write(tmp_path / "m.rpz", architecture))
    assert len(loaded) == 41 and all(layer is loaded[0] for layer in loaded)
