import numpy as np
import pytest

import retroprop as rp


def test_mlp_takes_numpy_integer_sizes():
    model = rp.models.mlp([4, np.int64(3), np.int32(2)])
    assert model[0].weight.shape == (3, 4) and model[2].weight.shape == (2, 3)


@pytest.mark.parametrize("sizes, seen", [([4, 0, 2], "0"), ([4, True, 2], "True"),
                                         ([4, 2.0, 2], "2.0")])
def test_mlp_refuses_sizes_that_are_not_positive_integers(sizes, seen):
    with pytest.raises(ValueError, match=rf"mlp: every size in .* must be a positive "
                                         rf"integer, got {seen}"):
        rp.models.mlp(sizes)
    with pytest.raises(ValueError, match="at least two positive integers"):
        rp.models.mlp([4])
