"""Model files keep what makes the model: the program's own classes with any arguments,
constraints, ``*args`` and ``**kwargs``, the newest definition of a class, each module's
mode; ``rp.save`` refuses, before writing, a model that would not load back as it is."""

import json

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn
from retroprop.nn.constraints import Constraint, MaxNorm, NonNeg, UnitNorm

X = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)


def round_trip(model, tmp_path):
    """The model saved and loaded again, after checking that both compute the same."""
    rp.save(model, tmp_path / "m.rpz")
    loaded = rp.load(tmp_path / "m.rpz")
    with rp.no_grad():
        np.testing.assert_array_equal(model.eval()(X).data, loaded.eval()(X).data)
    assert repr(loaded) == repr(model)
    return loaded


# ---------------------------------------------------------------------- the program's classes
def test_user_models_with_many_sizes_or_a_seed_load(tmp_path):
    """Their integer arguments multiply to 10⁶-10⁸, which says nothing of what they
    allocate; the file holds 17 226 and 10 weights."""
    class MLP(nn.Module):
        def __init__(self, n_in=64, h1=128, h2=64, n_out=10):
            super().__init__()
            self.l1, self.l2, self.l3 = nn.Linear(n_in, h1), nn.Linear(h1, h2), nn.Linear(
                h2, n_out)

        def forward(self, x):
            return self.l3(self.l2(self.l1(x).relu()).relu())

    class Seeded(nn.Module):
        def __init__(self, n_in, n_out, seed=20240601):
            super().__init__()
            self.linear = nn.Linear(n_in, n_out)

        def forward(self, x):
            return self.linear(x)

    rp.save(MLP(), tmp_path / "mlp.rpz")
    assert rp.load(tmp_path / "mlp.rpz").count_params() == 17226
    round_trip(Seeded(4, 2), tmp_path)


class Wrapper(nn.Module):
    def __init__(self, inner, seed=20240601):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


def test_library_layers_given_to_a_program_class_are_still_bounded(tmp_path):
    rp.save(Wrapper(nn.Linear(2, 2)), tmp_path / "m.rpz")
    with np.load(tmp_path / "m.rpz") as archive:
        arrays = dict(archive)
    header = json.loads(arrays.pop("__retroprop__").tobytes())
    header["architecture"]["args"]["inner"]["__module__"]["args"].update(
        in_features=100_000, out_features=100_000)
    arrays["__retroprop__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with open(tmp_path / "big.rpz", "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(rp.ModelFileError, match="declares layers of about 10000000000 weights"):
        rp.load(tmp_path / "big.rpz")


class Shrink(Constraint):
    """w <- factor w: a constraint of the program's own, with an argument."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, weight, axes):
        weight *= self.factor

    def __repr__(self):
        return f"Shrink({self.factor})"


@pytest.mark.parametrize("constraint", [UnitNorm(), NonNeg(), MaxNorm(2.0), Shrink(0.5)])
def test_constraints_round_trip(tmp_path, constraint):
    loaded = round_trip(nn.Sequential(nn.Linear(4, 3, constraint=constraint)), tmp_path)
    assert type(loaded[0].constraint) is type(constraint)
    assert repr(loaded[0].constraint) == repr(constraint)


def test_constraints_that_keep_no_attribute_for_an_argument_are_refused(tmp_path):
    class Forgetful(Constraint):
        def __init__(self, limit):
            self.bound = limit

    with pytest.raises(TypeError, match=r"cannot store argument Linear.constraint = "
                                        r"Forgetful\(\).*keeps none for limit"):
        rp.save(nn.Linear(2, 2, constraint=Forgetful(1.0)), tmp_path / "m.rpz")


def test_star_args_and_keyword_arguments_are_passed_in_order(tmp_path):
    class Scaled(nn.Module):
        def __init__(self, scale, *layers):
            super().__init__()
            self.scale = scale
            self.layers = nn.ModuleList(layers)

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x * self.scale

    class Options(nn.Module):
        def __init__(self, n, **options):
            super().__init__()
            self.linear = nn.Linear(n, options.get("out", 3))

        def forward(self, x):
            return self.linear(x)

    multitask = round_trip(nn.MultiTask(nn.Linear(4, 5), nn.Linear(5, 2), nn.Linear(5, 1)),
                           tmp_path)
    assert multitask.num_heads == 2
    assert round_trip(Scaled(2.0, nn.Linear(4, 3), nn.Tanh()), tmp_path).scale == 2.0
    assert round_trip(Options(4, out=5), tmp_path).linear.weight.shape == (5, 4)


def test_a_class_defined_again_loads_as_its_newest_definition(tmp_path):
    class Net(nn.Module):  # a notebook cell run once ...
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 2)

        def forward(self, x):
            return self.linear(x)

    old = Net()

    class Net(nn.Module):  # ... then edited and run again
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 2)

        def forward(self, x):
            return self.linear(x).relu()

    rp.save(Net(), tmp_path / "m.rpz")
    assert type(rp.load(tmp_path / "m.rpz")) is Net
    with pytest.raises(ValueError, match=r"the model \(Net\) is an instance of an older "
                                         r"definition of its class"):
        rp.save(old, tmp_path / "old.rpz")


def test_a_class_defined_again_from_another_base_is_ambiguous(tmp_path):
    class Net(nn.Module):
        def forward(self, x):
            return x

    rp.save(Net(), tmp_path / "m.rpz")
    old = Net()

    class Net(nn.Identity):
        pass

    with pytest.raises(rp.ModelFileError, match=r"defines the class '.*Net' 2 times, derived "
                                                r"from different classes \(Identity, Module\)"):
        rp.load(tmp_path / "m.rpz")
    with pytest.raises(ValueError, match=r"cannot be rebuilt .* derived from different classes"):
        rp.save(Net(), tmp_path / "new.rpz")
    del old


# ---------------------------------------------------------------------- the save-time check
class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor

    def extra_repr(self):
        return f"factor={self.factor}"


class Shift(nn.Module):  # no extra_repr: its setting shows nowhere but in its attribute
    def __init__(self, offset, axes=(0,)):
        super().__init__()
        self.offset, self.axes = offset, axes

    def forward(self, x):
        return x + self.offset


class Block(nn.Sequential):
    def __init__(self, n):
        super().__init__(nn.Linear(n, n), nn.ReLU())


class Pair(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.first, self.second = nn.Linear(n, n), nn.Linear(n, n)

    def forward(self, x):
        return self.second(self.first(x))


def changed_after_construction():
    """(model, message) pairs: models that their architecture does not rebuild as they are."""
    appended = Block(4)
    appended.append(nn.Linear(4, 2))
    replaced = Wrapper(nn.Linear(4, 3))
    replaced.inner = nn.Linear(4, 2)
    scaled = nn.Sequential(Scale(2.0))
    scaled[0].factor = 3.0
    shifted, axes = nn.Sequential(Shift(1.0)), nn.Sequential(Shift(1.0))
    shifted[0].offset = 5.0
    axes[0].axes = (0, 1)
    shared = Pair(4)
    shared.second = shared.first
    tied = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    tied[1].weight = tied[0].weight
    return [
        (appended, r"the model \(Block\)"),
        (replaced, r"module 'inner' \(Linear\) has the parameters \{'weight': \(2, 4\), "
                   r"'bias': \(2,\)\} but rebuilds with \{'weight': \(3, 4\)"),
        (scaled, r"module '0' \(Scale\) is Scale\(factor=3.0\) but rebuilds as "
                 r"Scale\(factor=2.0\)"),
        (shifted, r"module '0' \(Shift\) has offset = 5.0 but rebuilds with offset = 1.0 \(a "
                  "setting changed after construction"),
        (axes, r"has axes = \(0, 1\) but rebuilds with axes = \(0,\)"),
        (shared, "'second' is the same Linear as 'first' but rebuilds as another; a model "
                 r"file records a layer used twice \(shared weights\) where the same layer is "
                 "given to the constructors again"),
        (tied, "'1.weight' is the same Parameter as '0.weight' but rebuilds as another"),
    ]


@pytest.mark.parametrize("model, message", changed_after_construction())
def test_models_that_would_not_load_back_are_refused_at_save(tmp_path, model, message):
    with pytest.raises(ValueError, match=r"save: .*" + message):
        rp.save(model, tmp_path / "m.rpz")
    assert not (tmp_path / "m.rpz").exists()


def test_a_layer_named_after_construction_round_trips(tmp_path):
    """A ``Sequential`` given a named layer by assignment (as PyTorch's, it runs last) is
    saved as the mapping of its layers, and loads back with the same names."""
    added = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    added.head = nn.Linear(3, 2)
    rp.save(added, tmp_path / "m.rpz")
    loaded = rp.load_model(tmp_path / "m.rpz")
    assert [name for name, _ in loaded.named_children()] == ["0", "1", "head"]
    x = rp.randn(5, 4)
    np.testing.assert_array_equal(loaded(x).numpy(), added(x).numpy())


def test_layers_that_the_constructor_shares_round_trip(tmp_path):
    class TiedAutoencoder(nn.Module):
        def __init__(self, n, code):
            super().__init__()
            self.encode, self.decode = nn.Linear(n, code), nn.Linear(code, n)
            self.again = self.encode

        def forward(self, x):
            return self.decode(self.again(self.encode(x) @ self.encode.weight))

    loaded = round_trip(TiedAutoencoder(4, 4), tmp_path)
    assert loaded.again is loaded.encode


def test_the_save_time_check_draws_no_random_numbers(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
    rp.manual_seed(0)
    expected = rp.random.generator().random()
    rp.manual_seed(0)
    rp.save(model, tmp_path / "m.rpz")
    assert rp.random.generator().random() == expected


# ---------------------------------------------------------------------- modes
def test_each_module_loads_in_the_mode_it_was_saved_in(tmp_path):
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 2))
    model(X)
    rp.save(model.eval(), tmp_path / "eval.rpz")
    loaded = rp.load(tmp_path / "eval.rpz")
    assert not any(module.training for module in loaded.modules())
    model.train()
    model[1].eval()  # a frozen batch norm
    rp.save(model, tmp_path / "mixed.rpz")
    modes = [module.training for module in rp.load(tmp_path / "mixed.rpz").modules()]
    assert modes == [True, True, False, True, True]


def test_files_without_modes_load_in_training_mode():
    assert rp.load("tests/fixtures/model_format_v1.rpz").training


@pytest.mark.parametrize("modes, message", [
    ("eval", "modes must be a list of booleans"),
    ([1, 0], "modes must be a list of booleans"),
    ([True, False], "records the modes of 2 modules but the architecture has 3"),
])
def test_corrupt_modes_are_refused(tmp_path, modes, message):
    rp.save(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), tmp_path / "m.rpz")
    with np.load(tmp_path / "m.rpz") as archive:
        arrays = dict(archive)
    header = json.loads(arrays.pop("__retroprop__").tobytes())
    header["modes"] = modes
    arrays["__retroprop__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with open(tmp_path / "bad.rpz", "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(rp.ModelFileError, match=message):
        rp.load(tmp_path / "bad.rpz")


# ---------------------------------------------------------------------- optimizer, metadata
def test_optimizer_state_of_another_class_is_refused(tmp_path):
    model = nn.Linear(4, 2)
    rp.save(model, tmp_path / "m.rpz", optimizer=rp.optim.Adam(model.parameters(), lr=0.01))
    sgd = rp.optim.SGD(model.parameters(), lr=0.5)
    with pytest.raises(rp.ModelFileError, match=r"m.rpz holds the state of a 'Adam' "
                                                r"optimizer, but optimizer is a SGD"):
        rp.load_optimizer_state(tmp_path / "m.rpz", sgd)
    adam = rp.optim.Adam(model.parameters(), lr=0.5)
    adam.load_state_dict(rp.load_optimizer_state(tmp_path / "m.rpz", adam))
    assert adam.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("metadata, message", [
    ({"mean": np.ones(2)}, r"metadata\['mean'\] = array\(\[1., 1.\]\) \(ndarray\) cannot be "
                           r"stored as JSON"),
    ({"run": {"seeds": [1, np.int64(2)]}}, r"metadata\['run'\]\['seeds'\]\[1\] = \S+ "
                                           r"\(int64\)"),
    ({(1, 2): "pair"}, r"metadata has the key \(1, 2\) \(tuple\)"),
])
def test_metadata_that_json_cannot_store_is_named(tmp_path, metadata, message):
    with pytest.raises(TypeError, match="save: " + message):
        rp.save(nn.Linear(2, 2), tmp_path / "m.rpz", metadata=metadata)
    assert not (tmp_path / "m.rpz").exists()


def test_numpy_numbers_among_settings_save_as_the_numbers_they_are(tmp_path):
    # they were left out of the module's settings but not the rebuilt one's (Python numbers
    # after JSON): "has offset = None but rebuilds with offset = 0.5"
    model = nn.Sequential(Shift(np.float32(0.5), axes=(np.int64(1),)))
    rp.save(model, tmp_path / "m.rpz")
    rebuilt = rp.load(tmp_path / "m.rpz")
    assert (rebuilt[0].offset, tuple(rebuilt[0].axes)) == (0.5, (1,))  # JSON: a list
