"""``nn.Sequential``'s ``seq * n``, ``n * seq`` and ``seq *= n`` against PyTorch: the same
modules repeated (shared parameters, whose gradients add up over the repeats), the
layers' names, the inference plan after ``*=``, and the errors for a count that is not a
positive integer."""

from __future__ import annotations

import operator
import re
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
import torch

import retroprop as rp


def _sequential(nn: Any, named: bool) -> Any:
    layers = [nn.Linear(3, 3), nn.Tanh()]
    if named:
        return nn.Sequential(OrderedDict(zip(["hidden", "squash"], layers, strict=True)))
    return nn.Sequential(*layers)


def _imul(s: Any, count: Any) -> Any:
    s *= count
    return s


FORMS = {"mul": operator.mul, "rmul": lambda s, n: n * s, "imul": _imul}


def _layer_names(model: Any) -> list[str]:
    """The names of the layers, a module used twice under both (``named_children`` gives
    a shared module once in PyTorch)."""
    return [n for n, _ in model.named_modules(remove_duplicate=False) if n and "." not in n]


def _twin(model: Any, named: bool) -> Any:
    """PyTorch's Sequential with ``model``'s layers and weights."""
    twin = _sequential(torch.nn, named)
    with torch.no_grad():
        twin[0].weight.copy_(torch.tensor(model[0].weight.numpy()))
        twin[0].bias.copy_(torch.tensor(model[0].bias.numpy()))
    return twin


@pytest.mark.parametrize("count", [1, 2, 3, np.int64(2)])
@pytest.mark.parametrize("named", [False, True], ids=["numbered", "named"])
@pytest.mark.parametrize("form", list(FORMS))
def test_repeat_shares_the_modules_as_torch(form, named, count):
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    model = _sequential(rp.nn, named)
    original = list(model)
    with rp.no_grad():  # an inference plan for this input, which *= must end
        model.eval()(rp.tensor(x))
    expected = _twin(model, named)
    torch_original = list(expected)
    repeated = FORMS[form](model, count)
    try:
        expected = FORMS[form](expected, int(count))
        names = _layer_names(expected)
    except KeyError:  # PyTorch's *= of layers with names of their own; extend's names
        assert form == "imul" and named and count > 1
        expected = FORMS[form](_twin(model, False), int(count))
        torch_original = list(expected)[:2]
        names = ["hidden", "squash"] + [str(k) for k in range(2, 2 * count)]

    assert (repeated is model) == (form == "imul")
    assert _layer_names(repeated) == names
    assert len(repeated) == len(expected) == 2 * count
    assert all(layer is original[k % 2] for k, layer in enumerate(repeated))
    assert all(layer is torch_original[k % 2] for k, layer in enumerate(expected))
    assert len(list(repeated.parameters())) == len(list(expected.parameters())) == 2
    with rp.no_grad():
        np.testing.assert_allclose(repeated(rp.tensor(x)).numpy(),
                                   expected(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    # the shared weights get the gradients of every repeat, added up
    repeated.train()(rp.tensor(x)).sum().backward()
    expected(torch.tensor(x)).sum().backward()
    for mine, theirs in zip(repeated[0].parameters(), expected[0].parameters(), strict=True):
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("count, error", [
    (0, ValueError), (-1, ValueError), (2.0, TypeError), ("2", TypeError),
    (None, TypeError), (np.float64(2), TypeError),
])
@pytest.mark.parametrize("form", list(FORMS))
def test_a_count_that_is_not_a_positive_integer_is_refused_as_torch(form, count, error):
    expected = _sequential(torch.nn, named=False)
    with pytest.raises(error):
        FORMS[form](expected, count)
    model = _sequential(rp.nn, named=False)
    before = list(model.named_children())
    symbol = re.escape("*=" if form == "imul" else "*")
    with pytest.raises(error, match=rf"Sequential {symbol}: the number of repeats must be a "
                                    rf"positive integer, got {re.escape(repr(count))}"):
        FORMS[form](model, count)
    assert list(model.named_children()) == before


def test_a_bool_count_is_refused_where_torch_takes_it_as_a_number():
    assert len(torch.nn.Sequential(torch.nn.ReLU()) * True) == 1
    with pytest.raises(TypeError, match=r"got True \(bool\)"):
        rp.nn.Sequential(rp.nn.ReLU()) * True


def test_an_empty_sequential_repeats_to_an_empty_one_as_torch():
    assert len(rp.nn.Sequential() * 3) == len(torch.nn.Sequential() * 3) == 0


def test_fresh_layers_come_from_copies():
    """What the docstring offers for layers with parameters of their own."""
    import copy

    model = _sequential(rp.nn, named=False)
    fresh = rp.nn.Sequential(*(copy.deepcopy(layer) for _ in range(3) for layer in model))
    assert len(list(fresh.parameters())) == 6
    assert fresh[0].weight is not fresh[2].weight
    np.testing.assert_array_equal(fresh[2].weight.numpy(), model[0].weight.numpy())


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("pattern", ["repeat", "twice"])
def test_load_state_dict_takes_pytorch_s_state_dict_of_shared_layers(pattern, strict):
    """PyTorch's ``state_dict`` lists a shared layer at each of its places ('3.weight' as
    well as '1.weight'); the same model in retroprop loads it (each place in order, the
    last one's values kept, as PyTorch's) and then computes PyTorch's outputs."""
    torch.manual_seed(0)

    def build(nn: Any) -> Any:
        if pattern == "repeat":
            return nn.Sequential(nn.Linear(2, 3), *(nn.Sequential(nn.Linear(3, 3),
                                                                  nn.Tanh()) * 3))
        layer, norm = nn.Linear(3, 3), nn.BatchNorm1d(3)
        return nn.Sequential(layer, norm, nn.ReLU(), layer, norm)

    theirs, ours = build(torch.nn), build(rp.nn)
    theirs.train()(torch.randn(8, 2 if pattern == "repeat" else 3))  # statistics not 0, 1
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state, strict=strict)
    x = np.random.default_rng(0).standard_normal((4, 2 if pattern == "repeat" else 3))
    with torch.no_grad():
        expected = theirs.eval()(torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(ours.eval()(x.astype(np.float32)).data, expected, atol=1e-6)


def test_load_state_dict_still_refuses_unknown_and_missing_keys_with_shared_layers():
    layer = rp.nn.Linear(2, 2)
    model = rp.nn.Sequential(layer, rp.nn.ReLU(), layer)
    state = model.state_dict()
    with pytest.raises(KeyError, match=re.escape("unexpected keys ['1.weight']")):
        model.load_state_dict(state | {"1.weight": state["0.weight"]})
    with pytest.raises(KeyError, match=re.escape("missing keys ['0.bias']")):
        model.load_state_dict({"0.weight": state["0.weight"], "2.bias": state["0.bias"]})
