"""Subset, random_split and ConcatDataset, compared with torch.utils.data's."""

import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import retroprop as rp
from retroprop.data import ConcatDataset, DataLoader, Subset, TensorDataset, random_split


def torch_lengths(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [len(part) for part in tud.random_split(range(n), lengths)]


@pytest.mark.parametrize("lengths", [[0.7, 0.2, 0.1], [0.5, 0.5], [1 / 3] * 3, [0.25] * 4,
                                     [0.9, 0.1], [1.0], [0.05, 0.05, 0.9], [0.6, 0.4, 0.0]])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 10, 11, 101])
def test_random_split_fractions_give_torchs_lengths(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = random_split((np.arange(n),), lengths)
    assert [len(part) for part in parts] == torch_lengths(n, lengths)


def test_random_split_parts_make_one_permutation_drawn_from_the_library_seed():
    data = (np.arange(50) * 3,)
    rp.manual_seed(4)
    parts = random_split(data, [20, 25, 5])
    assert [len(p) for p in parts] == torch_lengths(50, [20, 25, 5]) == [20, 25, 5]
    indices = np.concatenate([p.indices for p in parts])
    np.testing.assert_array_equal(np.sort(indices), np.arange(50))
    assert not np.array_equal(indices, np.arange(50))
    np.testing.assert_array_equal(parts[1][3][0], 3 * parts[1].indices[3])
    rp.manual_seed(4)
    np.testing.assert_array_equal(random_split(data, [20, 25, 5])[0].indices, parts[0].indices)
    again = [random_split(data, [0.5, 0.5], generator=np.random.default_rng(1))[0].indices
             for _ in range(2)]
    np.testing.assert_array_equal(*again)


def test_an_empty_part_is_warned_of_as_in_torch():
    with pytest.warns(UserWarning, match="part 2 .* is empty"):
        random_split((np.arange(5),), [0.5, 0.5, 0.0])


@pytest.mark.parametrize("lengths, error, message", [
    ([3, 3], ValueError, r"lengths \[3, 3\] sum to 6, not to the 10 examples"),
    ([12, -2], ValueError, r"lengths must be >= 0, got \[12, -2\]"),
    ([0.5, 0.4], ValueError, r"fractions \[0.5, 0.4\] sum to 0.9, not 1"),
    ([1.5, -0.5], ValueError, r"fractions must be in \[0, 1\], got \[1.5, -0.5\]"),
    ([], TypeError, "lengths must be a non-empty sequence"),
    (5, TypeError, "lengths must be a non-empty sequence of counts or fractions, got 5"),
    (["a", 1], TypeError, "lengths must be numbers"),
])
def test_random_split_bad_lengths_are_named(lengths, error, message):
    with pytest.raises(error, match=message):
        random_split((np.arange(10),), lengths)


def test_random_split_refuses_a_torch_generator():
    with pytest.raises(TypeError, match=r"generator must be a numpy\.random\.Generator or "
                                        r"None, got Generator"):
        random_split((np.arange(4),), [2, 2], generator=torch.Generator())


def test_subset_indexing_matches_torch_including_negative_indices():
    values = np.arange(10) * 10
    ours = Subset(TensorDataset(values), [3, 1, 7, -1])
    theirs = tud.Subset(tud.TensorDataset(torch.as_tensor(values)), [3, 1, 7, -1])
    assert len(ours) == len(theirs) == 4
    for i in range(-4, 4):
        assert ours[i][0] == theirs[i][0].item()
    for i in (4, -5):
        with pytest.raises(IndexError):
            theirs[i]
        with pytest.raises(IndexError, match=f"Subset: index {i} is out of range for 4"):
            ours[i]


def test_subset_indices_out_of_range_are_refused_at_once():
    with pytest.raises(IndexError, match=r"indices must be in \[-5, 5\) for a data set of 5 "
                                         r"examples, got 5 at position 1"):
        Subset((np.arange(5),), [0, 5])
    with pytest.raises(TypeError, match="indices must be a 1-d sequence of integers, got "
                                        "float64"):
        Subset((np.arange(5),), [0.5])
    with pytest.raises(TypeError, match="Subset: dataset must be a Dataset, a tuple of arrays "
                                        "or a list of examples, got ndarray"):
        Subset(np.arange(5), [0])


def concat_pair():
    sizes = [3, 0, 4, 2]
    arrays = [(np.arange(k) + 100 * i, np.full(k, i)) for i, k in enumerate(sizes)]
    ours = ConcatDataset([TensorDataset(*a) for a in arrays])
    theirs = tud.ConcatDataset([tud.TensorDataset(*map(torch.as_tensor, a)) for a in arrays])
    return ours, theirs


def test_concat_indexing_matches_torch():
    ours, theirs = concat_pair()
    assert len(ours) == len(theirs) == 9 and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-9, 9):
        assert tuple(v.item() for v in ours[i]) == tuple(v.item() for v in theirs[i])
    with pytest.raises(IndexError):
        theirs[9]
    with pytest.raises(ValueError, match="absolute value of index"):
        theirs[-10]
    for i in (9, -10):
        with pytest.raises(IndexError, match=f"ConcatDataset: index {i} is out of range for 9"):
            ours[i]


def test_loaders_over_subsets_and_concatenations_give_torchs_batches():
    ours, theirs = concat_pair()
    order = [8, 0, 5, 3, 2, 7, 1]
    pairs = [(ours, theirs), (Subset(ours, order), tud.Subset(theirs, order))]
    for dataset, reference in pairs:
        for size in (1, 2, 4):
            got = list(DataLoader(dataset, batch_size=size))
            expected = list(tud.DataLoader(reference, batch_size=size))
            assert len(got) == len(expected)
            for batch, want in zip(got, expected, strict=True):
                for field, wanted in zip(batch, want, strict=True):
                    np.testing.assert_array_equal(field, wanted.numpy())


class NoExampleByExample(TensorDataset):
    def __getitem__(self, index):
        raise AssertionError("the loader read one example at a time")


def test_subsets_and_concatenations_of_arrays_are_gathered_without_a_loop():
    X, y = np.arange(24.0).reshape(12, 2), np.arange(12)
    whole = ConcatDataset([NoExampleByExample(X[:5], y[:5]), NoExampleByExample(X[5:], y[5:])])
    part = Subset(whole, np.arange(11, -1, -1))
    xb, yb = next(iter(DataLoader(part, batch_size=None)))
    np.testing.assert_array_equal(xb, X[::-1])
    np.testing.assert_array_equal(yb, y[::-1])


def test_a_concatenation_of_lists_of_examples_and_arrays():
    both = ConcatDataset([[(np.ones(2), 0), (np.zeros(2), 1)], (np.full((2, 2), 5.0),
                                                                np.array([2, 3]))])
    xb, yb = next(iter(DataLoader(both, batch_size=None)))
    np.testing.assert_array_equal(yb, [0, 1, 2, 3])
    np.testing.assert_array_equal(xb[:, 0], [1, 0, 5, 5])


def test_concat_bad_input_is_named():
    with pytest.raises(TypeError, match=r"ConcatDataset: datasets\[1\] must be a Dataset, a "
                                        r"tuple of arrays or a list of examples, got ndarray"):
        ConcatDataset([(np.arange(3),), np.arange(3)])
    with pytest.raises(ValueError, match="datasets is empty"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="datasets must be a list of data sets, got int"):
        ConcatDataset(3)
