import numpy as np
import pytest

import retroprop as rp


def test_mlp_takes_numpy_integer_sizes():
    model = rp.models.mlp([4, np.int64(3), np.int32(2)])
    assert model[0].weight.shape == (3, 4) and model[2].weight.shape == (2, 3)


@pytest.mark.parametrize("sizes, seen", [([4, 0, 2], "0"), ([4, True, 2], "True"),
                                         ([4, 2.0, 2], "2.0")])
def test_mlp_refuses_sizes_that_are_not_positive_integers(sizes, seen):
    with pytest.raises(ValueError, match=rf"mlp: every size in .* must be a positive "
                                         rf"integer, got {seen}"):
        rp.models.mlp(sizes)
    with pytest.raises(ValueError, match="at least two positive integers"):
        rp.models.mlp([4])


@pytest.mark.parametrize("activation, init", [
    ("relu", "he_normal"), ("ReLU", "he_normal"), ("leaky-relu", "he_normal"),
    ("ELU", "he_normal"), (rp.nn.LeakyReLU(0.2), "he_normal"), ("tanh", "lecun_uniform"),
    ("Sigmoid", "lecun_uniform"), (rp.nn.Tanh(), "lecun_uniform")], ids=str)
def test_mlp_initializes_for_its_activation_however_it_is_named(activation, init):
    model = rp.models.mlp([4, 8, 8, 2], activation=activation)
    assert model[0].init.__name__ == init
    assert type(model[1]) is type(rp.nn.get_activation(activation))


def test_mlp_copies_an_activation_layer_into_each_hidden_layer(tmp_path):
    model = rp.models.mlp([4, 8, 8, 2], activation=rp.nn.LeakyReLU(0.2))
    assert model[1] is not model[3] and model[3].negative_slope == 0.2
    rp.save(model, tmp_path / "m.rpz")
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(rp.load(tmp_path / "m.rpz")(x).data, model(x).data)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        rp.models.mlp([4, 2], activation="swish")  # no hidden layer: accepted silently
