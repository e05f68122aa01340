"""WeightedRandomSampler and the loader's sampler=, batch_sampler= and collate_fn=, compared
with torch.utils.data's."""

import doctest

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import retroprop as rp
from retroprop.data import DataLoader, Dataset, TensorDataset, WeightedRandomSampler

WEIGHTS = np.array([1.0, 2.0, 3.0, 0.0, 4.0])


def test_with_replacement_the_frequencies_are_the_weights_as_torchs():
    rp.manual_seed(0)
    torch.manual_seed(0)
    draws = 200_000
    ours = WeightedRandomSampler(WEIGHTS, draws).draw()
    theirs = np.array(list(tud.WeightedRandomSampler(WEIGHTS.tolist(), draws)))
    p = WEIGHTS / WEIGHTS.sum()
    tolerance = 5 * np.sqrt(p * (1 - p) / draws) + 1e-12
    for sample in (ours, theirs):
        assert len(sample) == draws
        np.testing.assert_array_less(np.abs(np.bincount(sample, minlength=5) / draws - p),
                                     tolerance)


def test_without_replacement_the_order_follows_torchs_successive_draws():
    p = WEIGHTS / WEIGHTS.sum()
    # P(second = j) = sum over i != j of p_i p_j / (1 - p_i): draws without replacement
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(5) if i != j)
                       for j in range(5)])
    rp.manual_seed(1)
    torch.manual_seed(1)
    rows = 20_000
    sampler = WeightedRandomSampler(WEIGHTS, 2, replacement=False)
    ours = np.array([sampler.draw() for _ in range(rows)])
    theirs = torch.multinomial(torch.as_tensor(WEIGHTS).expand(rows, 5), 2).numpy()
    for sample in (ours, theirs):
        assert (sample[:, 0] != sample[:, 1]).all() and (sample != 3).all()
        for position, expected in ((0, p), (1, second)):
            frequencies = np.bincount(sample[:, position], minlength=5) / rows
            tolerance = 5 * np.sqrt(expected * (1 - expected) / rows) + 1e-12
            np.testing.assert_array_less(np.abs(frequencies - expected), tolerance)
    everything = WeightedRandomSampler(WEIGHTS, 4, replacement=False).draw()
    np.testing.assert_array_equal(np.sort(everything), [0, 1, 2, 4])


def test_draws_follow_the_library_seed_or_the_given_generator():
    sampler = WeightedRandomSampler(WEIGHTS, 50)
    rp.manual_seed(7)
    first = list(sampler)
    rp.manual_seed(7)
    assert list(sampler) == first and len(sampler) == 50
    seeded = [WeightedRandomSampler(WEIGHTS, 50, generator=np.random.default_rng(3)).draw()
              for _ in range(2)]
    np.testing.assert_array_equal(*seeded)


def test_class_balanced_batches_from_an_imbalanced_set():
    rp.manual_seed(0)
    y = np.array([0] * 950 + [1] * 50)
    X = np.arange(1000.0)[:, None]
    sampler = WeightedRandomSampler(1.0 / np.bincount(y)[y], num_samples=len(y))
    loader = DataLoader((X, y), batch_size=100, sampler=sampler)
    batches = list(loader)
    inputs = np.concatenate([xb for xb, _ in batches])[:, 0]
    labels = np.concatenate([yb for _, yb in batches])
    assert len(loader) == len(batches) == 10 and len(labels) == 1000
    assert abs(labels.mean() - 0.5) < 0.08
    np.testing.assert_array_equal(labels, y[inputs.astype(int)])


@pytest.mark.parametrize("weights, num_samples, kwargs, message", [
    ([1.0, -1.0], 2, {}, r"weights must be finite and >= 0, got -1.0 at index 1"),
    ([1.0, np.nan], 2, {}, r"weights must be finite and >= 0, got nan at index 1"),
    ([0.0, 0.0], 2, {}, "weights are all zero"),
    ([[1.0, 2.0]], 2, {}, r"weights must be a non-empty 1-d sequence, got shape \(1, 2\)"),
    ([1.0, 2.0], 0, {}, "num_samples must be a positive integer, got 0"),
    ([1.0, 2.0], 2.5, {}, "num_samples must be a positive integer, got 2.5"),
    ([1.0, 0.0, 2.0], 3, {"replacement": False},
     "without replacement num_samples=3 cannot exceed the 2 non-zero weights"),
    ([1.0, 2.0], 2, {"replacement": "no"}, "replacement must be a bool, got 'no'"),
])
def test_bad_sampler_arguments_are_named(weights, num_samples, kwargs, message):
    with pytest.raises(ValueError, match=message):
        WeightedRandomSampler(weights, num_samples, **kwargs)


def arrays():
    return np.arange(20.0).reshape(10, 2), np.arange(10) % 3


def assert_same_batches(ours, theirs):
    assert len(ours) == len(theirs)
    got, expected = list(ours), list(theirs)
    assert len(got) == len(expected)
    for batch, want in zip(got, expected, strict=True):
        for field, wanted in zip(batch, want, strict=True):
            np.testing.assert_array_equal(field, wanted.numpy())


@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (1, False), (7, True)])
def test_a_sampler_list_orders_the_batches_as_torchs(batch_size, drop_last):
    X, y = arrays()
    order = [9, 2, 2, 5, 0, 7, 3, 1]
    ours = DataLoader((X, y), batch_size=batch_size, drop_last=drop_last, sampler=order)
    theirs = tud.DataLoader(tud.TensorDataset(torch.as_tensor(X), torch.as_tensor(y)),
                            batch_size=batch_size, drop_last=drop_last, sampler=order)
    assert_same_batches(ours, theirs)


def test_a_torch_batch_sampler_gives_torchs_batches():
    X, y = arrays()
    batches = tud.BatchSampler(tud.SequentialSampler(range(10)), batch_size=4, drop_last=False)
    ours = DataLoader((X, y), batch_sampler=batches)
    theirs = tud.DataLoader(tud.TensorDataset(torch.as_tensor(X), torch.as_tensor(y)),
                            batch_sampler=batches)
    assert ours.batch_size is None and [len(b[1]) for b in ours] == [4, 4, 2]
    assert_same_batches(ours, theirs)


def test_collate_fn_receives_the_examples_in_torchs_order():
    X, y = arrays()
    order = [4, 8, 1, 6, 0]
    ours = list(DataLoader(list(zip(X, y, strict=True)), batch_size=2, sampler=order,
                           collate_fn=list))
    theirs = list(tud.DataLoader(list(zip(X, y, strict=True)), batch_size=2, sampler=order,
                                 collate_fn=list))
    assert [len(batch) for batch in ours] == [len(batch) for batch in theirs] == [2, 2, 1]
    for batch, want, indices in zip(ours, theirs, [order[:2], order[2:4], order[4:]],
                                    strict=True):
        assert [int(target) for _, target in batch] == [int(t) for _, t in want]
        np.testing.assert_array_equal([x for x, _ in batch], [x for x, _ in want])
        np.testing.assert_array_equal([x for x, _ in batch], X[indices])


def test_collate_fn_batches_get_the_transforms():
    def pad(examples):
        return (np.stack([x for x, _ in examples]), np.array([t for _, t in examples]),
                len(examples))

    X, y = arrays()
    loader = DataLoader(TensorDataset(X, y), batch_size=4, collate_fn=pad,
                        transform=lambda xb: -xb)
    xb, yb, count = next(iter(loader))
    np.testing.assert_array_equal(xb, -X[:4])
    assert count == 4 and list(yb) == list(y[:4])


def test_a_general_dataset_with_a_sampler_is_read_example_by_example():
    class Squares(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return float(i * i)

    batches = list(DataLoader(Squares(), batch_size=2, sampler=[5, 1, 3]))
    assert [b.tolist() for b in batches] == [[25.0, 1.0], [9.0]]


def test_bad_loader_arguments_are_named():
    X, y = arrays()
    with pytest.raises(ValueError, match="sampler and shuffle=True exclude each other"):
        DataLoader((X, y), shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match=r"batch_sampler makes the batches; got "
                                         r"batch_size=4, drop_last=True, which must then keep "
                                         r"their defaults \(batch_size=32, "):
        DataLoader((X, y), batch_size=4, drop_last=True, batch_sampler=[[0, 1]])
    with pytest.raises(TypeError, match="collate_fn must be callable, got int"):
        DataLoader((X, y), collate_fn=3)
    with pytest.raises(TypeError, match="sampler must be an iterable of indices, got int"):
        DataLoader((X, y), sampler=3)
    with pytest.raises(IndexError, match="sampler gave index 10, out of range for the 10 "
                                         "examples"):
        list(DataLoader((X, y), sampler=[0, 10]))
    with pytest.raises(IndexError, match="batch_sampler gave index -1"):
        list(DataLoader((X, y), batch_sampler=[[0, -1]]))
    with pytest.raises(TypeError, match="sampler must give integer indices, got float64"):
        list(DataLoader((X, y), sampler=[0.5]))


def test_the_docstring_examples_run():
    from retroprop.data import concat, loader, samplers, subset

    for module in (loader, samplers, subset, concat):
        failures, tried = doctest.testmod(module)
        assert tried and not failures, module.__name__
