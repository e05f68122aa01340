"""Dataset and DataLoader: batches, seeded shuffling, drop_last, transforms."""

import numpy as np
import pytest

import retroprop as rp
from retroprop.data import DataLoader, Dataset, TensorDataset


def test_batches_cover_the_data_in_order_without_shuffle():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    batches = list(DataLoader(TensorDataset(X, y), batch_size=4))
    assert [len(yb) for _, yb in batches] == [4, 4, 2] and len(DataLoader((X, y), 4)) == 3
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X)


def test_shuffle_follows_the_library_seed_and_changes_every_epoch():
    y = np.arange(100)
    loader = DataLoader((y,), batch_size=None, shuffle=True)
    rp.manual_seed(3)
    first, second = (next(iter(loader))[0] for _ in range(2))
    rp.manual_seed(3)
    again = next(iter(loader))[0]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.sort(first), y)


def test_drop_last():
    loader = DataLoader((np.arange(10),), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b[0]) for b in loader] == [4, 4]


def test_transforms_apply_to_each_batch():
    loader = DataLoader((np.ones((6, 2)), np.arange(6)), batch_size=3,
                        transform=lambda xb: xb * 2, target_transform=lambda yb: yb + 10)
    xb, yb = next(iter(loader))
    np.testing.assert_array_equal(xb, 2 * np.ones((3, 2)))
    np.testing.assert_array_equal(yb, [10, 11, 12])


def test_a_hand_written_dataset_is_stacked():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=float), i % 2

    xb, yb = next(iter(DataLoader(Squares(), batch_size=5)))
    np.testing.assert_array_equal(xb[:, 1], [0, 1, 4, 9, 16])
    np.testing.assert_array_equal(yb, [0, 1, 0, 1, 0])


def test_a_training_loop_with_the_loader_learns():
    rp.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(200, 2))
    y = (X[:, 0] > X[:, 1]).astype(np.int64)
    model = rp.nn.Linear(2, 2)
    optimizer = rp.optim.SGD(model.parameters(), lr=0.5)
    criterion = rp.nn.CrossEntropyLoss()
    for _ in range(20):
        for xb, yb in DataLoader((X.astype(np.float32), y), batch_size=32, shuffle=True):
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
    accuracy = np.mean(model(X.astype(np.float32)).data.argmax(1) == y)
    assert accuracy > 0.95


@pytest.mark.parametrize("x", [np.arange(12.0).reshape(6, 2), np.arange(6.0)],
                         ids=["vectors", "numbers"])
def test_a_list_of_examples_is_a_dataset_as_in_pytorch(x):
    y = np.arange(6) % 2
    for examples in (list(zip(x, y, strict=True)), [[a, b] for a, b in zip(x, y, strict=True)]):
        batches = list(DataLoader(examples, batch_size=4))
        assert len(batches) == 2 and [len(yb) for _, yb in batches] == [4, 2]
        np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), x)
        np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y)


def test_examples_that_do_not_stack_into_numbers_are_refused():
    class Records(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": np.ones(2), "y": i}

    with pytest.raises(TypeError, match="examples must be arrays or numbers, or tuples of "
                                        "them; got dict values"):
        next(iter(DataLoader(Records(), batch_size=2)))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="the arrays must have the same length"):
        TensorDataset(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="batch_size must be a positive integer or None, got 0"):
        DataLoader((np.ones(3),), batch_size=0)
    with pytest.raises(TypeError, match="dataset must be a Dataset, a tuple of arrays or a "
                                        "list of examples, got ndarray"):
        DataLoader(np.ones(3))
    assert len(DataLoader((np.ones(3),), batch_size=np.int64(2))) == 2
