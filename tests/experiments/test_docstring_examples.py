"""The examples in the experiments' docstrings run and print what they say."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["experiments.classic", "experiments.optimization_examples",
                                  "experiments.perceptron", "experiments.worked_examples",
                                  "data.preprocessing", "data.features"])
def test_docstring_examples(name):
    module = importlib.import_module(f"retroprop.{name}")  # the module, not the function
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
