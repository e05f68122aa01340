import numpy as np
import pytest

import retroprop as rp


@pytest.mark.parametrize("image_size, in_channels", [(28, 1), (32, 1), (np.int64(32), 3)])
def test_lenet5_takes_28_or_32_pixel_images(image_size, in_channels):
    model = rp.models.lenet5(num_classes=np.int64(5), in_channels=np.int64(in_channels),
                             image_size=image_size, dtype=np.float64)
    x = np.ones((2, in_channels, int(image_size), int(image_size)))
    assert model(x).shape == (2, 5) and model(x).dtype == np.float64


@pytest.mark.parametrize("options, message", [
    ({"image_size": 30}, "image_size must be 28 or 32 .* got 30"),
    ({"image_size": 32.0}, "image_size must be a positive integer, got 32.0"),
    ({"num_classes": True}, "num_classes must be a positive integer, got True"),
    ({"in_channels": 0}, "in_channels must be a positive integer, got 0")])
def test_lenet5_names_the_argument_it_refuses(options, message):
    with pytest.raises(ValueError, match=f"lenet5: {message}"):
        rp.models.lenet5(**options)


def test_lenet5_initializes_for_its_activation_and_saves_a_layer_given(tmp_path):
    model = rp.models.lenet5(activation=rp.nn.ReLU())
    assert model[0].init.__name__ == "he_normal"
    assert rp.models.lenet5(activation="ReLU")[0].init.__name__ == "he_normal"
    rp.save(model, tmp_path / "lenet.rpz")
    assert isinstance(rp.load(tmp_path / "lenet.rpz")[10], rp.nn.ReLU)
