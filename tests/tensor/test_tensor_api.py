"""The Tensor as a PyTorch user reaches for it: NumPy conversion, comparisons, argmax,
Python values, copies, factory functions; and the operator methods visible to type
checkers."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop.ops import TENSOR_METHODS


def test_asarray_gives_the_values():
    x = rp.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    values = np.asarray(x)
    assert values.dtype == np.float32 and values.shape == (2, 2)
    np.testing.assert_array_equal(values, [[1, 2], [3, 4]])
    assert np.shares_memory(values, x.data)
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(np.array(x, copy=True), x.data)
    np.testing.assert_array_equal(np.array([x[0], x[1]]), values)  # a list of tensors stacks


@pytest.mark.parametrize("symbol", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons_give_boolean_tensors_without_gradient_as_torch(symbol):
    compare = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
               "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
    values = np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    other = np.array([1.0, 1.0, 1.0])
    x = rp.Tensor(values, requires_grad=True)
    t = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    for mine, theirs in [(compare[symbol](x, 1.0), compare[symbol](t, 1.0)),
                         (compare[symbol](x, rp.Tensor(other)),
                          compare[symbol](t, torch.tensor(other, dtype=torch.float32))),
                         (compare[symbol](other, x), compare[symbol](torch.tensor(other), t))]:
        assert isinstance(mine, rp.Tensor) and mine.dtype == np.bool_
        assert not mine.requires_grad and mine.is_leaf and not theirs.requires_grad
        np.testing.assert_array_equal(mine.data, theirs.numpy())


def test_accuracy_the_pytorch_way():
    logits = rp.Tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5], [0.0, 0.1, 0.2]])
    labels = rp.tensor([1, 0, 0])
    correct = logits.argmax(dim=1) == labels
    np.testing.assert_array_equal(correct.tolist(), [True, True, False])
    assert correct.sum().item() == 2
    assert (logits > 0).sum().item() == 6


def test_tensors_hash_by_identity_and_containers_keep_working():
    a = rp.Tensor([1.0, 2.0], requires_grad=True)
    b = rp.Tensor([1.0, 2.0], requires_grad=True)  # equal values, another tensor
    state = {a: "a", b: "b"}
    assert state[a] == "a" and state[b] == "b" and len({a, b, a}) == 2
    assert a in [a, b] and hash(a) == object.__hash__(a)
    with pytest.raises(RuntimeError, match="ambiguous"):  # as PyTorch: b == a has 2 elements
        _ = a in [b]
    with pytest.raises(RuntimeError):
        _ = torch.ones(2) in [torch.ones(2)]
    optimizer = rp.optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = np.ones(2, np.float32), np.full(2, 2.0, np.float32)
    optimizer.step()
    assert len(optimizer.state) == 2
    np.testing.assert_allclose(a.data, [0.9, 1.9])
    np.testing.assert_allclose(b.data, [0.8, 1.8])


def test_truth_value_as_torch():
    assert bool(rp.Tensor([2.0])) and not bool(rp.Tensor(0.0))
    assert bool(rp.Tensor([[1.0]]) > 0)
    with pytest.raises(RuntimeError, match="3 elements"):
        bool(rp.Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError):
        bool(torch.ones(3))


def test_python_values_as_torch():
    x = rp.Tensor([[1.5, 2.0], [3.0, 4.0]])
    t = torch.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x.tolist() == t.tolist() and x.numel() == t.numel() == 4 and x.dim() == t.dim() == 2
    assert rp.Tensor(2.5).tolist() == 2.5
    index = rp.tensor([3]).item()
    assert index == 3 and isinstance(index, int)
    assert isinstance(rp.Tensor([0.5]).item(), float)
    assert int(rp.Tensor([3.7])) == 3 and float(rp.Tensor([3.5])) == 3.5


def test_iteration_as_torch():
    x = rp.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    (rows[0] * rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[3.0, 4.0], [1.0, 2.0]])
    with pytest.raises(TypeError):
        list(torch.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        list(rp.Tensor(1.0))


def test_clone_copies_and_stays_in_the_graph_detach_shares_and_leaves_it():
    x = rp.Tensor([1.0, 2.0], requires_grad=True)
    copy = x.clone()
    assert copy.requires_grad and not np.shares_memory(copy.data, x.data)
    (copy * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    cut = x.detach()
    assert not cut.requires_grad and np.shares_memory(cut.data, x.data)


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"axis": 0}, {"dim": -1, "keepdim": True},
                                    {"dim": None, "keepdim": True}])
def test_argmax_as_torch(kwargs):
    values = np.random.default_rng(0).integers(0, 3, (4, 5)).astype(float)  # with ties
    x = rp.Tensor(values, requires_grad=True)
    torch_kwargs = {("dim" if k == "axis" else k): v for k, v in kwargs.items()}
    expected = torch.tensor(values).argmax(**torch_kwargs)
    result = x.argmax(**kwargs)
    assert result.dtype == np.int64 and not result.requires_grad
    np.testing.assert_array_equal(result.data, expected.numpy())
    assert rp.Tensor(3.0).argmax(dim=0).item() == torch.tensor(3.0).argmax(0).item() == 0


def test_factory_dtypes_as_torch():
    assert rp.tensor([1.0, 2.0]).dtype == np.float32
    assert rp.tensor(np.ones(2)).dtype == np.float32  # float32 by default (torch keeps float64)
    assert rp.tensor([1, 2]).dtype == np.int64 == torch.tensor([1, 2]).numpy().dtype
    assert rp.tensor([True, False]).dtype == np.bool_
    assert rp.tensor([1, 2], dtype=np.float64).dtype == np.float64
    source = np.ones(3)
    made = rp.tensor(source, requires_grad=True)
    assert made.requires_grad and not np.shares_memory(made.data, source)
    with pytest.raises(TypeError, match="floating"):
        rp.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2], requires_grad=True)


def test_integer_tensors_never_truncate_a_float_operand():
    labels = rp.tensor([1, 2])
    np.testing.assert_array_equal((labels + 1).data, [2, 3])
    with pytest.raises(TypeError, match="int64 and float64"):
        labels * 0.5
    np.testing.assert_allclose((rp.Tensor(labels) * 0.5).data, [0.5, 1.0])


def test_zeros_ones_randn_cat_from_numpy():
    assert rp.zeros(2, 3).shape == rp.zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(rp.ones([2]).data, [1.0, 1.0])
    assert rp.zeros(0, 4, dtype=np.float64).dtype == np.float64
    assert rp.ones(2, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="non-negative integers"):
        rp.zeros(2, -1)
    rp.manual_seed(5)
    first = rp.randn(3, 4)
    rp.manual_seed(5)
    np.testing.assert_array_equal(first.data, rp.randn((3, 4)).data)
    assert first.dtype == np.float32 and abs(float(first.data.mean())) < 2
    a, b = rp.ones(2, 1, requires_grad=True), rp.zeros(2, 2)
    joined = rp.cat([a, b], dim=1)
    np.testing.assert_array_equal(joined.data, [[1, 0, 0], [1, 0, 0]])
    array = np.arange(4.0)
    shared = rp.from_numpy(array)
    array[0] = 7.0
    assert shared.dtype == np.float64 and shared.data[0] == 7.0
    assert rp.from_numpy(np.arange(3)).dtype == np.int64
    with pytest.raises(TypeError, match="float32 or float64"):
        rp.from_numpy(np.ones(2, dtype=np.float16))


def _declared_methods() -> dict[str, ast.FunctionDef]:
    """The methods Tensor declares under ``if TYPE_CHECKING:`` in its class body."""
    tree = ast.parse(Path(inspect.getsourcefile(rp.Tensor)).read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    block = next(n for n in cls.body if isinstance(n, ast.If)
                 and getattr(n.test, "id", None) == "TYPE_CHECKING")
    return {n.name: n for n in block.body if isinstance(n, ast.FunctionDef)}


def test_every_attached_operation_is_declared_for_type_checkers():
    declared = _declared_methods()
    assert set(declared) == set(TENSOR_METHODS)
    for name, node in declared.items():
        parameters = list(inspect.signature(TENSOR_METHODS[name]).parameters.values())
        stub = node.args
        assert len(stub.args) + bool(stub.vararg) == sum(
            p.kind is not p.KEYWORD_ONLY for p in parameters), name
        assert [a.arg for a in stub.kwonlyargs] == [
            p.name for p in parameters if p.kind is p.KEYWORD_ONLY], name
        positional = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
        if not name.startswith("__"):  # keywords callers may use: same names
            assert [a.arg for a in stub.args[1:]] == [p.name for p in positional[1:]], name
        assert getattr(rp.Tensor, name) is TENSOR_METHODS[name]


def test_the_package_is_marked_typed():
    assert (Path(rp.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "operation",
    [
        lambda t: t / 2,
        lambda t: t**0.5,
        lambda t: t.exp(),
        lambda t: t.sqrt(),
        lambda t: t.log(),
        lambda t: t.sigmoid(),
        lambda t: t.tanh(),
    ],
)
def test_integer_tensors_compute_fractional_results_in_the_default_dtype(operation, dtype):
    # Before: sigmoid of integers gave 0.5 everywhere, tanh of a large integer tensor
    # gave integers, and the rest float64 whatever the default dtype.
    values = np.arange(1, 40_001) % 7 + 1
    rp.set_default_dtype(dtype)
    try:
        made = operation(rp.tensor(values))
    finally:
        rp.set_default_dtype(np.float32)
    expected = operation(torch.tensor(values, dtype=torch.int64))
    assert made.dtype == dtype
    np.testing.assert_allclose(made.data, expected.double().numpy(), rtol=1e-6)


def test_integer_tensors_keep_integer_sums_products_and_shapes():
    labels = rp.tensor([[4, -6], [1, 2]])
    for made in (labels * 2, labels + labels, -labels, labels.sum(), labels @ labels,
                 labels.T, labels[0], labels.reshape(4), labels**2, labels.relu()):
        assert made.dtype == np.int64


def test_python_abs_is_the_differentiable_abs_as_torch():
    values = np.array([-2.0, 0.0, 3.0])
    x = rp.Tensor(values, requires_grad=True, dtype=np.float64)
    t = torch.tensor(values, requires_grad=True)
    (abs(x) * x).sum().backward()
    (abs(t) * t).sum().backward()
    np.testing.assert_array_equal(abs(x).data, abs(t).detach().numpy())
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    assert abs(rp.tensor([-3])).dtype == np.int64


def test_an_integer_tensor_to_a_float_power_gives_floats_as_torch():
    # the exponent's type decides, not its value: labels ** 2.0 is float in PyTorch
    labels = rp.tensor([3, -2])
    reference = torch.tensor([3, -2])
    for exponent in (2, 2.0, np.int32(2), np.float64(2.0), True):
        made, expected = labels**exponent, reference**exponent
        assert made.dtype.kind == ("i" if expected.dtype == torch.int64 else "f"), exponent
        np.testing.assert_array_equal(made.data, expected.numpy())


def _pytorch_loop(lib, nn, optim, model, images, labels):
    """A PyTorch training loop and evaluation, written once: it runs unchanged with
    ``lib, nn, optim`` being torch's or retroprop's."""
    device = "cpu"
    model = model.to(device)
    x_all = lib.from_numpy(images).to(device)  # (N, 1, 8, 8)
    y_all = lib.from_numpy(labels).long()
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _epoch in range(4):
        for start in range(0, len(images), 32):
            x = x_all[start:start + 32].to(device, non_blocking=True).view(-1, 64)
            y = y_all[start:start + 32].to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with lib.no_grad():
        logits = model(x_all.view(len(images), -1).double().float())
        pred = logits.argmax(dim=1)
        accuracy = (pred == y_all).float().mean().item()
        centered = logits - logits.mean(dim=1).unsqueeze(1)
        per_class = lib.stack([logits[y_all == c].mean(dim=0) for c in range(10)], dim=0)
        margins = lib.where(logits > 0, logits, lib.zeros_like(logits)).pow(2).sum()
        summary = [centered.norm(dim=1).mean().item(), logits.std(dim=0).var().item(),
                   per_class.permute(1, 0).matmul(lib.ones_like(per_class[0])).sum().item(),
                   lib.maximum(logits, lib.zeros_like(logits)).squeeze().mean().item(),
                   lib.exp(lib.log(lib.sigmoid(logits))).mean().item(), margins.item(),
                   (lib.arange(10).float() * lib.tanh(logits).mean(dim=0)).sum().item(),
                   logits.argmin(dim=1).long().cpu().numpy().sum()]
    return losses, accuracy, summary


def test_a_pytorch_training_loop_runs_unchanged_and_gives_torchs_numbers():
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images[:320] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    labels = digits.target[:320].astype(np.int64)
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                    torch.nn.Linear(32, 10))
    model = rp.nn.Sequential(rp.nn.Linear(64, 32), rp.nn.ReLU(), rp.nn.Linear(32, 10))
    model.load_state_dict({k: v.detach().numpy().copy()
                           for k, v in reference.state_dict().items()})
    theirs = _pytorch_loop(torch, torch.nn, torch.optim, reference, images, labels)
    ours = _pytorch_loop(rp, rp.nn, rp.optim, model, images, labels)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-4)
    assert ours[1] == theirs[1] > 0.8  # it learned, and as torch did
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-4)


@pytest.mark.parametrize("call, culprit", [
    (lambda: rp.exp(np.ones(2)), "Exp: expected Tensors, got ndarray as operand 0"),
    (lambda: rp.log([1.0, 2.0]), "Log: expected Tensors, got list as operand 0"),
    (lambda: rp.ops.sum(np.ones(2)), "sum: expected a Tensor as input, got ndarray"),
])
def test_an_operation_given_an_array_names_it_as_torch_refuses_it(call, culprit):
    # an array's .data is a memoryview: "'memoryview' object has no attribute 'dtype'"
    with pytest.raises(TypeError, match=r"must be Tensor, not numpy\.ndarray"):
        torch.exp(np.ones(2))
    with pytest.raises(TypeError, match=rf"{culprit}; make it one with rp\.tensor"):
        call()
