import os

import numpy as np
import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under `pytest -n K` the K workers share the cores: one BLAS (and PyTorch) thread each,
    # so that small matrix products do not spin against each other's threads.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)

import retroprop as rp


@pytest.fixture(autouse=True)
def _seed_and_dtype():
    """Every test starts from seed 0 and the float32 default."""
    rp.manual_seed(0)
    rp.set_default_dtype(np.float32)
    yield
    rp.set_default_dtype(np.float32)
