"""Large array operations split over OpenBLAS's threads (``retroprop.intraop``): the
split itself (ranges, threads, errors, nesting, thread limits), then every operation
that uses it, split against run on one thread."""

import itertools
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import retroprop as rp
from retroprop import intraop, nn


def blas_threads() -> int:
    return next(info["num_threads"] for info in threadpool_info()
                if info["internal_api"] == "openblas")


def splits_here() -> bool:
    """Whether this process can split: NumPy's bundled OpenBLAS (the tests give it two
    threads)."""
    return intraop._POOL is not None


@pytest.fixture(autouse=True)
def split_on():
    """The split on, over two BLAS threads (pytest's workers run with one, see
    conftest.py)."""
    before = rp.get_intraop_parallel()
    rp.set_intraop_parallel(True)
    with threadpool_limits(2, user_api="blas"):
        yield
    rp.set_intraop_parallel(before)


def record(count: int, work: int = intraop.MIN_WORK) -> list[tuple[int, int, int]]:
    seen = []
    intraop.parallel_for(count, lambda start, stop: seen.append(
        (start, stop, threading.get_ident())), work=work)
    return sorted(seen)


def tiles(ranges: list[tuple[int, int, int]], count: int) -> bool:
    return (ranges[0][0] == 0 and ranges[-1][1] == count and
            all(a[1] == b[0] for a, b in itertools.pairwise(ranges)))


def test_the_split_is_possible_with_numpys_openblas():
    ships = any(info.get("prefix") == "libscipy_openblas" for info in threadpool_info())
    assert rp.set_intraop_parallel(True) == ships
    if ships:  # and the range arithmetic of this OpenBLAS was understood
        record(1000)
        assert intraop._POOL.usable and intraop._POOL.shift is not None


@pytest.mark.parametrize("count", [2, 3, 128, 1001])
def test_ranges_cover_the_count_once_one_per_thread(count):
    ranges = record(count)
    assert tiles(ranges, count)
    threads = {thread for _, _, thread in ranges}
    expected = 2 if splits_here() else 1
    assert len(ranges) == len(threads) == expected
    assert threading.get_ident() in threads  # the caller runs a range too


def test_small_work_one_element_and_the_switch_run_in_the_calling_thread():
    assert record(100, work=intraop.MIN_WORK - 1) == [(0, 100, threading.get_ident())]
    assert record(1) == [(0, 1, threading.get_ident())]
    rp.set_intraop_parallel(False)
    assert not rp.get_intraop_parallel()
    assert record(100) == [(0, 100, threading.get_ident())]


def test_a_thread_limit_of_one_turns_the_split_off():
    with threadpool_limits(1, user_api="blas"):
        assert record(100) == [(0, 100, threading.get_ident())]
    assert len(record(100)) == (2 if splits_here() else 1)


def test_an_error_in_a_range_is_raised_after_the_split_and_the_next_split_works():
    threads = blas_threads()

    def fail_late(start, stop):
        if stop == 100:
            raise ValueError(f"range {start}-{stop}")

    with pytest.raises(ValueError, match=r"range \d+-100"):
        intraop.parallel_for(100, fail_late, work=intraop.MIN_WORK)
    assert blas_threads() == threads  # the thread count inside the split is undone
    assert tiles(record(100), 100)


def test_a_split_inside_a_range_runs_in_that_ranges_thread():
    inner = []

    def outer(start, stop):
        inner.extend(record(stop - start))

    intraop.parallel_for(64, outer, work=intraop.MIN_WORK)
    assert all(start == 0 for start, _, _ in inner)
    assert sorted(stop for _, stop, _ in inner) == ([32, 32] if splits_here() else [64])


def test_products_inside_ranges_run_on_their_own_thread_and_agree():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 300))
    b = rng.standard_normal((300, 200))
    out = np.empty((512, 200))
    threads = blas_threads()
    seen = []

    def multiply(start, stop):
        seen.append(blas_threads_inside())
        np.matmul(a[start:stop], b, out=out[start:stop])

    intraop.parallel_for(512, multiply, work=intraop.MIN_WORK)
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12 * np.abs(out).max())
    assert seen == [1] * len(seen)
    assert blas_threads() == threads


def blas_threads_inside() -> int:
    """OpenBLAS's thread count, read without threadpoolctl (which loads modules)."""
    return intraop._POOL.get_threads() if intraop._POOL is not None else 1


def test_two_python_threads_splitting_at_once_both_get_every_range():
    barrier = threading.Barrier(2)
    results = {}

    def work(name):
        values = np.zeros(1000)

        def body(start, stop):
            values[start:stop] += 1

        barrier.wait()
        for _ in range(50):
            intraop.parallel_for(1000, body, work=intraop.MIN_WORK)
        results[name] = values

    workers = [threading.Thread(target=work, args=(name,)) for name in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for values in results.values():
        np.testing.assert_array_equal(values, np.full(1000, 50.0))


def test_the_switch_takes_only_a_bool():
    with pytest.raises(TypeError, match="set_intraop_parallel: mode must be True or False"):
        rp.set_intraop_parallel(1)


# every operation that splits, split against one thread --------------------------------

def cnhw(array: np.ndarray) -> np.ndarray:
    """The array with channels outermost in memory, as convolutions hand it on."""
    return np.ascontiguousarray(array.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


LAYERS = {
    "conv 3x3 pad 1": lambda: nn.Conv2d(16, 24, 3, padding=1),
    "conv 5x5 no bias": lambda: nn.Conv2d(16, 8, 5, bias=False),
    "conv stride 2 pad 2": lambda: nn.Conv2d(16, 12, 3, stride=2, padding=2),
    "conv dilation 2": lambda: nn.Conv2d(16, 12, 3, padding=2, dilation=2),
    "conv groups 4": lambda: nn.Conv2d(16, 16, 3, padding=1, groups=4),
    "max pool 2x2": lambda: nn.MaxPool2d(2),
    "max pool 3x3 stride 2 pad 1": lambda: nn.MaxPool2d(3, stride=2, padding=1),
    "max pool 2x2 dilation 2": lambda: nn.MaxPool2d(2, dilation=2),
    "avg pool 2x2": lambda: nn.AvgPool2d(2),
    "avg pool 3x3 stride 1 pad 1": lambda: nn.AvgPool2d(3, stride=1, padding=1),
    "batch norm": lambda: nn.BatchNorm2d(16),
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
}


def counting_splits(monkeypatch) -> list[int]:
    """A list that grows by one at every split that ran on several threads."""
    done: list[int] = []
    if intraop._POOL is not None:
        run = intraop._POOL.run

        def counted(count, body):
            split = run(count, body)
            done.extend([count] * split)
            return split

        monkeypatch.setattr(intraop._POOL, "run", counted)
    return done


def run_layer(layer, x: np.ndarray, upstream_seed: int, input_grad: bool = True):
    inputs = rp.tensor(x, requires_grad=input_grad)
    out = layer(inputs)
    upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape).astype(x.dtype)
    out.backward(cnhw(upstream) if out.ndim == 4 else upstream)
    grads = [inputs.grad] * input_grad + [p.grad.copy() for p in layer.parameters()]
    for p in layer.parameters():
        p.grad = None
    return out.numpy().copy(), grads


@pytest.mark.parametrize("layout", ["nchw", "cnhw"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_split_layers_give_the_one_thread_values_and_gradients(name, layout, monkeypatch):
    rng = np.random.default_rng(1)
    # ties for the max poolings: values on a grid of 0.25
    x = (np.round(rng.standard_normal((96, 16, 36, 36)) * 4) / 4).astype(np.float32)
    x = cnhw(x) if layout == "cnhw" else x
    rp.manual_seed(0)
    layer = LAYERS[name]()
    splits = counting_splits(monkeypatch)
    split = run_layer(layer, x, upstream_seed=2)
    assert bool(splits) == splits_here()  # the split path ran where it can
    rp.set_intraop_parallel(False)
    serial = run_layer(layer, x, upstream_seed=2)
    # products of a slice of images may round differently from products of all of them
    # (OpenBLAS's blocking depends on the sizes), and batch norm's sums may add in
    # another order; pooling and the activations do the same arithmetic either way
    exact = not name.startswith(("conv", "batch norm"))
    for got, expected in zip([split[0], *split[1]], [serial[0], *serial[1]], strict=True):
        if exact:
            np.testing.assert_array_equal(got, expected)
        else:
            close(got, expected)


def close(got: np.ndarray, expected: np.ndarray) -> None:
    """Equal to float32 rounding, relative to the array's largest element."""
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize(("stride", "images", "split_passes"), [(1, 128, 1), (2, 512, 2)])
def test_a_first_convolution_splits_its_slices_forward_and_backward(stride, images,
                                                                    split_passes, monkeypatch):
    """An input without gradient (``Conv2d._unrolled_again``): the forward pass unrolls
    slices of images on every thread; so does the backward pass for dL/dW with stride 2,
    while with stride 1 its shifted matrix–vector products run on BLAS's threads."""
    x = np.random.default_rng(6).standard_normal((images, 1, 28, 28)).astype(np.float32)
    rp.manual_seed(0)
    layer = nn.Conv2d(1, 6, 5, stride=stride, padding=2)
    splits = counting_splits(monkeypatch)
    split = run_layer(layer, x, upstream_seed=7, input_grad=False)
    assert len(splits) == (split_passes if splits_here() else 0)
    rp.set_intraop_parallel(False)
    serial = run_layer(layer, x, upstream_seed=7, input_grad=False)
    for got, expected in zip([split[0], *split[1]], [serial[0], *serial[1]], strict=True):
        close(got, expected)


def test_batch_norm_over_sequences_splits_its_channels(monkeypatch):
    x = np.random.default_rng(4).standard_normal((256, 16, 600)).astype(np.float32)
    rp.manual_seed(0)
    layer = nn.BatchNorm1d(16)
    splits = counting_splits(monkeypatch)
    split = run_layer(layer, x, upstream_seed=5)
    assert bool(splits) == splits_here()
    rp.set_intraop_parallel(False)
    serial = run_layer(layer, x, upstream_seed=5)
    for got, expected in zip([split[0], *split[1]], [serial[0], *serial[1]], strict=True):
        close(got, expected)


@pytest.mark.parametrize("bias", [True, False])
def test_convolution_without_gradients_splits_its_slices_of_images(bias, monkeypatch):
    """``no_grad`` convolutions of large batches go through buffers of a few images,
    one per thread."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2000, 3, 20, 20)).astype(np.float32)
    rp.manual_seed(0)
    layer = nn.Conv2d(3, 8, 5, padding=2, bias=bias)
    splits = counting_splits(monkeypatch)
    with rp.no_grad():
        split = layer(rp.tensor(x)).numpy().copy()
        rp.set_intraop_parallel(False)
        serial = layer(rp.tensor(x)).numpy()
    assert bool(splits) == splits_here()
    close(split, serial)


@pytest.mark.parametrize("value, expected", [("0", False), ("1", True)])
def test_the_environment_variable_sets_the_split_at_import(value, expected):
    code = "import retroprop as rp; print(rp.get_intraop_parallel())"
    environment = os.environ | {"RETROPROP_INTRAOP": value}
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env=environment).stdout.strip()
    assert printed == str(expected and intraop._POOL is not None)
