"""Under- and over-fitting: Berzal's polynomials and FAMAF's figure 2.2."""

import numpy as np
import pytest

import retroprop as rp


def test_polynomials_of_degree_3_and_9(tmp_path):
    result = rp.experiments.polynomial_fit()
    rows = {row[0]: row for row in result.rows}
    assert rows[9][1] < 1e-8  # M = 9 passes through the ten samples
    assert rows[9][2] > 2 * rows[3][2]  # ... and generalizes far worse than M = 3
    assert rows[1][1] > 2 * rows[3][1] and rows[1][2] > rows[3][2]  # M = 1 under-fits
    assert rows[9][3] > 1000 * rows[3][3]  # with huge weights
    fit = result.data["fits"][3]
    np.testing.assert_allclose(fit, np.polyfit(result.data["x"], result.data["t"], 3))
    result.plot(tmp_path / "poly.png")
    assert (tmp_path / "poly.png").stat().st_size > 30_000
    with pytest.raises(ValueError, match=r"degrees\[0\] must be an integer in \[0, 9\]"):
        rp.experiments.polynomial_fit(degrees=(10,))


def test_validation_error_turns_up_as_the_network_grows():
    result = rp.experiments.network_capacity()
    mean = result.data["mean"]
    training, validation = mean[:, 0], mean[:, 1]
    best = int(validation.argmin())
    assert 0 < best < len(validation) - 1  # neither the narrowest nor the widest
    assert training[-1] < 1e-6 < training[0]  # the widest fits the samples exactly
    assert validation[-1] > 2 * validation[best]  # and generalizes worse
    assert np.all(np.diff(training) < 0)  # training error keeps falling
