import numpy as np
import pytest

import retroprop as rp


@pytest.fixture(autouse=True)
def _seed_and_dtype():
    """Every test starts from seed 0 and the float32 default."""
    rp.manual_seed(0)
    rp.set_default_dtype(np.float32)
    yield
    rp.set_default_dtype(np.float32)
