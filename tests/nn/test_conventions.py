"""The lectures' conventions beside PyTorch's defaults: the ½ of the quadratic error, the
sigmoid's slope, population statistics in batch norm, dropout at inference, Nesterov."""

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn


# ---------------------------------------------------------------- quadratic error
def test_quadratic_loss_sum_is_half_the_sum_of_squares_with_gradient_y_minus_t():
    rng = np.random.default_rng(0)
    y, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    out = rp.Tensor(y, requires_grad=True, dtype=np.float64)
    loss = nn.QuadraticLoss()(out, t)
    loss.backward()
    assert loss.item() == pytest.approx(0.5 * ((t - y) ** 2).sum(), rel=1e-12)
    np.testing.assert_allclose(out.grad, y - t, rtol=1e-12)


def test_quadratic_loss_mean_is_j_of_berzal_one_over_2m():
    rng = np.random.default_rng(1)
    y, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    out = rp.Tensor(y, requires_grad=True, dtype=np.float64)
    loss = nn.QuadraticLoss(reduction="mean")(out, t)
    loss.backward()
    expected = ((t - y) ** 2).sum(axis=1).mean() / 2  # 1/(2m) Σ ||t - y||², m = 5 rows
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(out.grad, (y - t) / 5, rtol=1e-12)
    half = nn.QuadraticLoss(reduction="none")(rp.Tensor(y, dtype=np.float64), t)
    np.testing.assert_allclose(half.data, 0.5 * (t - y) ** 2, rtol=1e-12)
    assert rp.gradcheck(lambda v: nn.QuadraticLoss("mean")(v, t),
                        [rp.Tensor(y, requires_grad=True, dtype=np.float64)])


def test_cafeteria_eta_carries_over_with_quadratic_loss_but_halves_with_mse():
    """Berzal's cafeteria: portions (2, 5, 3), true total 850, start at 50 per item."""
    x, target = np.array([[2.0, 5.0, 3.0]]), np.array([[850.0]])

    def one_step(loss, lr):
        w = nn.Parameter(np.full((1, 3), 50.0))
        error = loss(rp.Tensor(x, dtype=np.float64) @ w.T, target)
        error.backward()
        rp.optim.SGD([w], lr=lr).step()
        return w.data

    lecture = one_step(nn.QuadraticLoss(), 1 / 35)
    np.testing.assert_allclose(lecture, [[70.0, 100.0, 80.0]])  # Δw = (+20, +50, +30)
    np.testing.assert_allclose(one_step(nn.MSELoss(), 1 / 70), lecture)
    assert not np.allclose(one_step(nn.MSELoss(), 1 / 35), lecture)


def test_quadratic_loss_checks_its_reduction():
    with pytest.raises(ValueError, match="reduction"):
        nn.QuadraticLoss(reduction="average")


# ---------------------------------------------------------------- sigmoid slope
@pytest.mark.parametrize("slope", [1.0, 0.5, 3.0])
def test_sigmoid_slope_against_torch_and_finite_differences(slope):
    rng = np.random.default_rng(2)
    x = rng.normal(0, 2, (6, 4))
    mine = rp.Tensor(x, requires_grad=True, dtype=np.float64)
    theirs = torch.tensor(x, requires_grad=True)
    out, expected = nn.Sigmoid(slope)(mine), torch.sigmoid(slope * theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    upstream = rng.normal(size=x.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert rp.gradcheck(lambda v: rp.ops.sigmoid(v, slope),
                        [rp.Tensor(x, requires_grad=True, dtype=np.float64)])


def test_sigmoid_slope_default_is_pytorchs_and_bad_slopes_are_refused():
    assert nn.Sigmoid().slope == 1.0 and "slope=2.0" in repr(nn.Sigmoid(2))
    for slope in (0, -1, "2", True):
        with pytest.raises(ValueError, match="slope must be a positive finite number"):
            nn.Sigmoid(slope)


# ---------------------------------------------------------------- batch norm
def test_batch_norm_momentum_none_is_the_cumulative_average_as_torch():
    rng = np.random.default_rng(3)
    mine = nn.BatchNorm1d(3, momentum=None, dtype=np.float64)
    twin = torch.nn.BatchNorm1d(3, momentum=None).double()
    batches = [rng.normal(rng.normal(size=3), 2.0, (8, 3)) for _ in range(5)]
    for batch in batches:
        out = mine(rp.Tensor(batch, dtype=np.float64))
        expected = twin(torch.tensor(batch))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(mine.running_mean, twin.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mine.running_var, twin.running_var.numpy(), rtol=1e-12)
    assert int(mine.num_batches_tracked) == int(twin.num_batches_tracked) == 5
    # the lecture's population statistics: mean of the batch means, mean of the unbiased
    # batch variances
    np.testing.assert_allclose(mine.running_mean, np.mean([b.mean(0) for b in batches], 0))
    np.testing.assert_allclose(mine.running_var,
                               np.mean([b.var(0, ddof=1) for b in batches], 0))
    mine.eval(), twin.eval()
    test = rng.normal(size=(4, 3))
    np.testing.assert_allclose(mine(rp.Tensor(test, dtype=np.float64)).data,
                               twin(torch.tensor(test)).detach().numpy(), rtol=1e-10)
    assert "num_batches_tracked" in mine.state_dict()


def test_batch_norm_refuses_bad_momentum():
    for momentum in (1.5, -0.1, "0.1"):
        with pytest.raises(ValueError, match="momentum must be in"):
            nn.BatchNorm2d(2, momentum=momentum)


# ---------------------------------------------------------------- dropout at inference
def dropout_net(scale="inference"):
    rp.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6, dtype=np.float64), nn.Tanh(),
                          nn.Dropout(0.25, scale=scale), nn.Linear(6, 2, dtype=np.float64))
    model[3].bias.data[...] = [1.0, -2.0]
    return model


def test_dropout_weights_only_is_the_expected_input_of_the_next_layer():
    model = dropout_net()
    x = rp.Tensor(np.random.default_rng(4).normal(size=(3, 4)), dtype=np.float64)
    folded = nn.scale_for_inference(model)
    model.eval()
    np.testing.assert_allclose(folded(x).data, model(x).data, rtol=1e-12)
    # the average over many masks tends to the same value (Berzal: weights halved)
    model.train()
    with rp.no_grad():
        average = np.mean([model(x).data for _ in range(4000)], axis=0)
    np.testing.assert_allclose(average, folded(x).data, atol=0.05)
    np.testing.assert_allclose(folded[3].weight.data, 0.75 * model[3].weight.data)
    np.testing.assert_allclose(folded[3].bias.data, model[3].bias.data)


def test_dropout_weights_and_biases_differs_by_one_minus_p_times_bias():
    model = dropout_net()
    x = rp.Tensor(np.random.default_rng(5).normal(size=(3, 4)), dtype=np.float64)
    weights_only = nn.scale_for_inference(model)(x).data
    both = nn.scale_for_inference(model, biases=True)(x).data  # Fuentes Pineda: θ = P θ
    np.testing.assert_allclose(weights_only - both, np.tile(0.25 * np.array([1.0, -2.0]),
                                                            (3, 1)), rtol=1e-12)
    assert not any(isinstance(m, nn.Dropout) for m in nn.scale_for_inference(model).modules())


def test_scale_for_inference_refuses_inverted_dropout_and_a_trailing_dropout():
    with pytest.raises(ValueError, match="inverted dropout"):
        nn.scale_for_inference(dropout_net(scale="train"))
    with pytest.raises(ValueError, match="last layer is a Dropout"):
        nn.scale_for_inference(nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5, "inference")))


@pytest.mark.parametrize("make", [lambda: nn.BatchNorm1d(3), lambda: nn.LayerNorm(3),
                                  lambda: nn.BatchNorm1d(3, affine=False), nn.Tanh, nn.Flatten])
def test_scale_for_inference_refuses_a_layer_whose_output_is_not_linear_in_its_input(make):
    """A normalization after the dropout standardizes P y back: scaling its γ by P would
    change the model's output (it did, silently)."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5, "inference"), make(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"layer 2 \(\w+\) follows a Dropout but is not a "
                                         "Linear or Conv2d"):
        nn.scale_for_inference(model)


def test_scale_for_inference_folds_into_a_convolution():
    model = nn.Sequential(nn.Dropout(0.25, "inference"), nn.Conv2d(2, 3, 3, dtype=np.float64))
    model[1].bias.data[...] = [1.0, -1.0, 0.5]
    x = rp.Tensor(np.random.default_rng(6).normal(size=(2, 2, 5, 5)), dtype=np.float64)
    np.testing.assert_allclose(nn.scale_for_inference(model)(x).data, model.eval()(x).data,
                               rtol=1e-12)


# ---------------------------------------------------------------- Nesterov
def test_nesterov_parameters_hold_the_point_after_the_jump():
    """Berzal's Nesterov (jump θ + μv, gradient there, correct) against optim.SGD: SGD's w is
    the lecture's θ + μv."""
    a = np.array([1.0, 10.0])  # E = ½ Σ a w²

    def gradient(w):
        return a * w

    lr, mu = 0.05, 0.9
    theta, v = np.array([3.0, -2.0]), np.zeros(2)
    w = nn.Parameter(theta.copy())
    opt = rp.optim.SGD([w], lr=lr, momentum=mu, nesterov=True)
    for _ in range(20):
        v = mu * v - lr * gradient(theta + mu * v)
        theta = theta + v
        opt.zero_grad()
        (0.5 * (rp.Tensor(a, dtype=np.float64) * w * w).sum()).backward()
        opt.step()
        np.testing.assert_allclose(w.data, theta + mu * v, rtol=1e-12, atol=1e-14)
