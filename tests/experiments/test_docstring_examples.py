"""The examples in the experiments' docstrings run and print what they say."""

import doctest

import pytest

from retroprop.data import preprocessing
from retroprop.experiments import classic, optimization_examples, perceptron, worked_examples


@pytest.mark.parametrize("module", [classic, optimization_examples, perceptron,
                                    worked_examples, preprocessing])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
