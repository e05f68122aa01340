import numpy as np
import pytest

import retroprop as rp
from retroprop import nn


def _fit(loss, y):
    X = np.random.default_rng(0).normal(size=(len(y), 4)).astype(np.float32)
    model = nn.MultiTask(nn.Linear(4, 8, activation="relu"), nn.Linear(8, 3), nn.Linear(8, 1))
    trainer = rp.Trainer(model, loss, rp.optim.SGD(model.parameters(), lr=0.01))
    return trainer.fit(X, y, epochs=1, verbose=0)


@pytest.mark.parametrize("head, column, message", [
    (nn.BCEWithLogitsLoss(), 2.0, r"task 1, BCEWithLogitsLoss\): .* targets in \[0, 1\]"),
    (nn.MSELoss(), np.nan, "y holds 10 NaN"),
], ids=["bce-logits", "mse-nan"])
def test_multitask_loss_checks_each_heads_targets_as_its_loss_does(head, column, message):
    labels = np.arange(10) % 3
    loss = nn.MultiTaskLoss([nn.CrossEntropyLoss(), head], output_sizes=[3, 1])
    assert _fit(loss, np.column_stack([labels, np.zeros(10)])).history["loss"]
    with pytest.raises(ValueError, match=message):
        _fit(loss, np.column_stack([labels, np.full(10, column)]))
    with pytest.raises(ValueError, match=r"task 0, CrossEntropyLoss\): .* labels must be in "
                                         r"0\.\.2; unexpected values \[3\.0\]"):
        _fit(loss, np.column_stack([labels + 1, np.zeros(10)]))


@pytest.mark.parametrize("arguments, error, message", [
    (([nn.CrossEntropyLoss, nn.MSELoss], [3, 1]), TypeError,
     r"loss 0 must be a loss module such as CrossEntropyLoss\(\), got <class"),
    (([nn.Linear(2, 2)], [2]), TypeError, "loss 0 must be a loss module"),
    (([], []), ValueError, "needs one output size per loss, at least one; got 0 losses"),
    (([nn.MSELoss()], [0]), ValueError, r"every output size in \[0\] must be a positive"),
    (([nn.MSELoss()], [1.5]), ValueError, r"every output size in \[1\.5\] must be a "),
    (([nn.MSELoss()], [1], [np.nan]), ValueError, r"weights must be 1 finite numbers >= 0, "
                                                  r"got \[nan\]"),
    (([nn.MSELoss()], [1], ["1"]), ValueError, "weights must be 1 finite numbers"),
], ids=["classes", "not-a-loss", "none", "size-0", "size-float", "weight-nan", "weight-str"])
def test_multitask_loss_names_the_argument_it_refuses(arguments, error, message):
    with pytest.raises(error, match=f"MultiTaskLoss: {message}"):
        nn.MultiTaskLoss(*arguments)
    assert nn.MultiTaskLoss([nn.MSELoss()], [np.int64(2)]).output_sizes == [2]


def test_multitask_refuses_a_trunk_or_head_that_is_not_a_module():
    with pytest.raises(TypeError, match=r"the head 1 must be a Module .* got a function"):
        nn.MultiTask(nn.Linear(4, 8), nn.Linear(8, 3), lambda h: h)
    with pytest.raises(TypeError, match=r"the trunk must be a Module .* got a NoneType"):
        nn.MultiTask(None, nn.Linear(8, 3))


def test_an_nll_head_takes_one_column_of_labels_as_a_cross_entropy_head():
    rng = np.random.default_rng(0)
    outputs = rp.Tensor(rng.normal(size=(6, 4)))
    labels, values = np.arange(6) % 3, rng.normal(size=6)
    target = np.column_stack([labels, values])
    log_probabilities = outputs[:, :3].log_softmax(dim=1)
    nll = nn.MultiTaskLoss([nn.NLLLoss(), nn.MSELoss()], output_sizes=[3, 1])
    cross_entropy = nn.MultiTaskLoss([nn.CrossEntropyLoss(), nn.MSELoss()], [3, 1])
    inputs = rp.cat([log_probabilities, outputs[:, 3:]], dim=1)
    np.testing.assert_allclose(nll(inputs, target).item(), cross_entropy(outputs, target).item(),
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"task 0, NLLLoss\): .* labels must be in 0\.\.2"):
        _fit(nn.MultiTaskLoss([nn.NLLLoss(), nn.MSELoss()], [3, 1]),
             np.column_stack([labels + 1, values]))
