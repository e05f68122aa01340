import numpy as np
import pytest

import retroprop as rp
from retroprop.data import augment


def images(n=4, size=12):
    batch = np.zeros((n, size, size), dtype=np.float32)
    batch[:, 4:8, 4:8] = 1.0
    return batch


@pytest.mark.parametrize("transform", [augment.RandomShift(2), augment.RandomRotation(15),
                                       augment.ElasticDistortion(alpha=8, sigma=3)])
@pytest.mark.parametrize("shape", [(4, 12, 12), (4, 2, 12, 12), (4, 144)])
def test_shapes_dtypes_and_seeding(transform, shape):
    batch = images().reshape(4, 1, 12, 12).repeat(2, axis=1).reshape(shape) \
        if len(shape) == 4 else images().reshape(shape)
    rp.manual_seed(5)
    first = transform(batch)
    rp.manual_seed(5)
    second = transform(batch)
    assert first.shape == batch.shape and first.dtype == batch.dtype
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, batch)
    if len(shape) == 4:  # every channel of an image moves together
        np.testing.assert_array_equal(first[:, 0], first[:, 1])


def test_integer_shift_moves_the_pixels():
    shift = augment.RandomShift(0)
    np.testing.assert_allclose(shift(images()), images())
    shift.displacement = lambda n, h, w: (np.full((n, h, w), -1.0), np.full((n, h, w), 2.0))
    moved = shift(images())
    np.testing.assert_allclose(moved[:, 5:9, 2:6], 1.0)  # output(r, c) = input(r - 1, c + 2)
    assert moved.sum() == images().sum()


@pytest.mark.parametrize("transform", [augment.RandomShift(1.5), augment.RandomRotation(20),
                                       augment.ElasticDistortion(alpha=8, sigma=3)])
def test_float64_images_are_warped_in_float64(transform):
    batch = np.random.default_rng(0).random((3, 12, 12))
    rp.manual_seed(1)
    exact = transform(batch)
    rp.manual_seed(1)
    single = transform(batch.astype(np.float32))
    assert exact.dtype == np.float64
    np.testing.assert_allclose(single, exact, atol=1e-5)
    assert np.abs(single - exact).max() > 1e-9  # float32 rounding, gone in float64
    np.testing.assert_array_equal(augment.RandomShift(0)(batch), batch)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16])
def test_integer_images_are_rounded_not_truncated(dtype):
    batch = np.random.default_rng(0).integers(0, 256, (50, 12, 12)).astype(dtype)
    rp.manual_seed(2)
    pixels = augment.RandomRotation(15)(batch)
    rp.manual_seed(2)
    exact = augment.RandomRotation(15)(batch.astype(np.float64))
    assert pixels.dtype == dtype
    np.testing.assert_array_equal(pixels, np.rint(exact))


@pytest.mark.parametrize("make, message", [
    (lambda: augment.RandomShift(float("nan")), "RandomShift: max_shift must be a finite "
                                                "number >= 0, got nan"),
    (lambda: augment.RandomShift(-1), "max_shift must be a finite number >= 0, got -1"),
    (lambda: augment.RandomRotation(float("inf")), "max_degrees must be a finite number"),
    (lambda: augment.RandomRotation("10"), "max_degrees must be a finite number >= 0, got '10'"),
    (lambda: augment.ElasticDistortion(alpha=float("nan")), "alpha must be a finite number"),
    (lambda: augment.ElasticDistortion(sigma=0), "sigma must be a positive finite number"),
])
def test_distortion_sizes_must_be_finite_numbers(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_augmentation_needs_images():
    with pytest.raises(ValueError, match="not square images: pass image_shape"):
        augment.RandomShift()(np.zeros((3, 10)))
    with pytest.raises(ValueError, match="needs images"):
        augment.RandomRotation()(np.zeros(10))
    with pytest.raises(ValueError, match=r"image_shape \(3, 3\) does not hold 10"):
        augment.RandomShift(image_shape=(3, 3))(np.zeros((2, 10)))


def test_training_with_augmentation(digits_flat):
    X, y = digits_flat
    model = rp.models.mlp([64, 32, 10])
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                         rp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    transform = augment.Compose(augment.RandomShift(1), augment.RandomRotation(10))
    history = trainer.fit(X, y, epochs=3, verbose=0, augment=transform)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(TypeError, match="augment must be callable"):
        trainer.fit(X, y, epochs=1, verbose=0, augment="shift")
