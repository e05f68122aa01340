"""Newton's plain step Δw = -η H⁻¹ ∂E/∂w (Berzal, "Backpropagation", Granada, "Método de
Newton"): no damping, no rejection."""

import numpy as np

import retroprop as rp


def rosenbrock(x):
    return ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2).sum()


def newton(fn, x0, **options):
    return rp.optim.minimize(fn, x0, method="newton", steps=1, hessian="exact", **options).x


def test_one_plain_step_is_the_lectures_formula():
    x = np.array([-1.2, 1.0])
    gradient = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                         200 * (x[1] - x[0] ** 2)])
    hessian = np.array([[2 - 400 * (x[1] - 3 * x[0] ** 2), -400 * x[0]],
                        [-400 * x[0], 200.0]])
    expected = x - 0.5 * np.linalg.solve(hessian, gradient)
    np.testing.assert_allclose(newton(rosenbrock, x, plain=True, lr=0.5, max_iter=1),
                               expected, rtol=1e-6)


def test_plain_step_is_not_rejected_when_it_climbs():
    def double_well(x):  # E = x⁴ - x²: H < 0 at x = 0.1, Newton heads to the maximum at 0
        return (x ** 4 - x ** 2).sum()

    x = np.array([0.1])
    expected = x - (4 * x ** 3 - 2 * x) / (12 * x ** 2 - 2)
    plain = newton(double_well, x, plain=True, max_iter=1)
    np.testing.assert_allclose(plain, expected, rtol=1e-6)
    assert double_well(rp.Tensor(plain)).item() > double_well(rp.Tensor(x)).item()
    damped = newton(double_well, x, max_iter=1)  # the climb undone, solved with more damping
    assert double_well(rp.Tensor(damped)).item() < double_well(rp.Tensor(x)).item()


def test_plain_newton_converges_on_rosenbrock_in_six_iterations():
    """What tutorial 03 shows."""
    x = newton(rosenbrock, [-1.2, 1.0], plain=True, max_iter=6)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-9)
    assert rosenbrock(rp.Tensor(x)).item() < 1e-15
