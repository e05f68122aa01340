"""Review of fit/evaluate/predict on data sets and loaders: examples or batches that are
dicts (Keras's named inputs) are named as such, where they failed with the stacking's
message (fit on a Dataset) or as "X must be numeric, got dtype object" (predict)."""

import numpy as np
import pytest

import retroprop as rp

X, Y = np.zeros((10, 4), np.float32), np.zeros(10, np.int64)


class Named(rp.data.Dataset):
    """Examples as dicts, as a Keras user's data set gives them."""

    def __len__(self):
        return len(X)

    def __getitem__(self, index):
        return {"x": X[index], "y": Y[index]}


def named_batches(examples):
    return {"x": np.stack([e["x"] for e in examples])}


def trainer():
    model = rp.models.mlp([4, 2])
    return rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters(), lr=0.1))


@pytest.mark.parametrize(("call", "message"), [
    (lambda t: t.fit(Named(), verbose=0),
     r"fit: each example of the Named is a dict \(keys 'x', 'y'\); expected a tuple"),
    (lambda t: t.predict(Named()),
     r"predict: each example of the Named is a dict \(keys 'x', 'y'\); expected x alone"),
    (lambda t: t.fit(rp.data.DataLoader(Named(), collate_fn=named_batches), verbose=0),
     r"fit: X's batch 0 is a dict \(keys 'x'\); expected a tuple \(x, y\)"),
    (lambda t: t.evaluate(rp.data.DataLoader(Named(), collate_fn=named_batches)),
     r"evaluate: X's batch 0 is a dict \(keys 'x'\); expected a tuple \(x, y\)"),
    (lambda t: t.predict(rp.data.DataLoader(Named(), collate_fn=named_batches)),
     r"predict: X's batch 0 is a dict \(keys 'x'\); expected x alone or a tuple"),
])
def test_dict_examples_and_batches_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(trainer())


def test_tuple_examples_still_train_as_arrays():
    rp.manual_seed(0)
    history = trainer().fit(rp.data.TensorDataset(X, Y), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
