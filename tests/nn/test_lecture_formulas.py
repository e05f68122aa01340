"""Formulas the lectures derive, checked on the layers and losses written out by hand:
softmax with cross-entropy has gradient y - t, the binary cross-entropy of logistic
regression, Gaussian noise on the inputs as an L2 penalty, tanh as a scaled logistic,
and the variance argument Var[y] = n σ_w² σ_x² behind the initializers."""

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_softmax_cross_entropy_gradient_is_y_minus_t(reduction):
    """Berzal, "Backpropagation", appendix "Softmax": C = -Σ_j t_j log y_j and
    ∂C/∂z_i = y_i - t_i, for one-hot labels and for target probabilities."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    soft = rng.dirichlet(np.ones(4), size=5)
    for target, t in ((labels, np.eye(4)[labels]), (soft, soft)):
        logits = rp.Tensor(z, requires_grad=True, dtype=np.float64)
        loss = nn.CrossEntropyLoss(reduction=reduction)(logits, target)
        loss.backward()
        scale = 1.0 if reduction == "sum" else 1.0 / len(z)
        y = softmax(z)
        assert loss.item() == pytest.approx(-(t * np.log(y)).sum() * scale, rel=1e-12)
        np.testing.assert_allclose(logits.grad, (y - t) * scale, rtol=1e-10, atol=1e-14)


def test_binary_cross_entropy_is_the_negative_log_likelihood_of_logistic_regression():
    """Fuentes Pineda's E = -Σ {y log ŷ + (1 - y) log(1 - ŷ)} as ``reduction="sum"``, and
    Berzal's logistic regression: ∂J/∂θ = Σ_i x_i (h_θ(x_i) - y_i)."""
    rng = np.random.default_rng(1)
    X, theta = rng.normal(size=(8, 3)), rng.normal(size=(1, 3))
    y = np.array([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0], [0.0], [1.0]])
    h = 1 / (1 + np.exp(-X @ theta.T))
    expected = -(y * np.log(h) + (1 - y) * np.log(1 - h)).sum()
    ours = nn.BCELoss(reduction="sum")(rp.Tensor(h, dtype=np.float64), y)
    assert ours.item() == pytest.approx(expected, rel=1e-12)
    assert nn.BCELoss()(rp.Tensor(h, dtype=np.float64), y).item() == pytest.approx(
        expected / len(y), rel=1e-12)  # PyTorch's default: the mean
    neuron = nn.Linear(3, 1, bias=False, dtype=np.float64)
    neuron.weight.data[...] = theta
    J = nn.BCEWithLogitsLoss(reduction="sum")(neuron(rp.Tensor(X, dtype=np.float64)), y)
    assert J.item() == pytest.approx(expected, rel=1e-12)
    J.backward()
    np.testing.assert_allclose(neuron.weight.grad, (X * (h - y)).sum(axis=0, keepdims=True),
                               rtol=1e-10)


def test_gaussian_noise_on_the_inputs_of_a_linear_unit_adds_sigma2_sum_w2():
    """Berzal, "Ruido": with x_i + N(0, σ²) on the inputs of y = Σ w_i x_i,
    E[(y_noisy - t)²] = (y - t)² + σ² Σ w_i²: the noise is an L2 penalty."""
    w, sigma, n = np.array([0.5, -1.0, 2.0]), 0.3, 200_000
    X = np.random.default_rng(2).normal(size=(n, 3))
    t = X @ w + 0.2  # a residual y - t = -0.2 on every row
    unit = nn.Linear(3, 1, bias=False, dtype=np.float64)
    unit.weight.data[...] = w
    model = nn.Sequential(nn.GaussianNoise(sigma), unit).train()
    noisy = ((model(rp.Tensor(X, dtype=np.float64)).data[:, 0] - t) ** 2).mean()
    clean = ((X @ w - t) ** 2).mean()
    penalty = sigma ** 2 * (w ** 2).sum()  # 0.4725
    s2 = penalty  # the variance of the noise that reaches y
    standard_error = np.sqrt((4 * 0.2 ** 2 * s2 + 2 * s2 ** 2) / n)
    assert abs(noisy - clean - penalty) < 5 * standard_error


def test_tanh_is_a_scaled_and_shifted_logistic():
    """Berzal, "Funciones de activación": tanh(x) = 2 logistic(2x) - 1."""
    v = rp.Tensor(np.linspace(-6, 6, 101), dtype=np.float64)
    np.testing.assert_allclose(nn.Tanh()(v).data, 2 * nn.Sigmoid()(v * 2).data - 1,
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(nn.Tanh()(v).data, 2 * nn.Sigmoid(slope=2)(v).data - 1,
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("init", "weight_variance"), [
    (rp.init.normal(std=0.05), 0.05 ** 2),
    (rp.init.lecun_normal(), 1 / 400),  # σ_w = 1/√n keeps Var[y] = σ_x²
])
def test_variance_of_a_layer_output_is_n_sigma_w2_sigma_x2(init, weight_variance):
    """Moreno, "Inicialización en capa totalmente conectada": with x_k ~ N(0, σ_x²) and
    w_ik ~ N(0, σ_w²), y = W x has Var[y_i] = n σ_w² σ_x², n the fan-in (not the fan-out,
    300 here)."""
    n, sigma_x = 400, 2.0
    layer = nn.Linear(n, 300, bias=False, init=init, dtype=np.float64)
    x = np.random.default_rng(3).normal(scale=sigma_x, size=(2000, n))
    y = layer(rp.Tensor(x, dtype=np.float64)).data
    assert abs(y.mean()) < 0.05 * np.sqrt(n * weight_variance) * sigma_x
    assert y.var() == pytest.approx(n * weight_variance * sigma_x ** 2, rel=0.05)


@pytest.mark.parametrize("p", [0.5, 0.3])
def test_dropout_weight_scaling_is_the_geometric_mean_of_all_sub_networks(p):
    """Berzal, "Dropout & model averaging": with one hidden layer of H units and a softmax
    output, scaling the outgoing weights by the keep probability P = 1 - p (w/2 for
    p = 0.5) gives exactly the renormalized geometric mean of the predictions of the 2^H
    sub-networks, each weighted by the probability of its mask."""
    import itertools

    hidden, keep = 6, 1 - p
    model = nn.Sequential(nn.Linear(3, hidden, dtype=np.float64), nn.Tanh(),
                          nn.Dropout(p, scale="inference"),
                          nn.Linear(hidden, 4, dtype=np.float64), nn.Softmax())
    x = np.random.default_rng(4).normal(size=(5, 3))
    h = model[1](model[0](rp.Tensor(x, dtype=np.float64))).data
    W, b = model[3].weight.data, model[3].bias.data
    log_mean = np.zeros((5, 4))
    for mask in itertools.product((0.0, 1.0), repeat=hidden):
        m = np.array(mask)
        probability = keep ** m.sum() * (1 - keep) ** (hidden - m.sum())
        log_mean += probability * np.log(softmax((h * m) @ W.T + b))
    geometric = np.exp(log_mean) / np.exp(log_mean).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.eval()(x).data, geometric, rtol=1e-10)
    np.testing.assert_allclose(nn.scale_for_inference(model)(x).data, geometric, rtol=1e-10)


def test_backpropagation_equations_on_the_4_2_2_1_network():
    """Tobón & Aguirre's network f¹ = σ(W¹x + b¹) ∈ R², f² = σ(W²f¹ + b²) ∈ R²,
    y = σ(W³f² + b³) ∈ R, with E = ½ (t - y)², its gradients by Berzal's equations
    ("Propagación de errores"): ∂E/∂y = -(t - y), ∂E/∂z_j = y_j(1 - y_j) ∂E/∂y_j,
    ∂E/∂y_i = Σ_j w_ij ∂E/∂z_j, ∂E/∂w_ij = y_i ∂E/∂z_j; against the engine's."""
    layers = [nn.Linear(4, 2, dtype=np.float64), nn.Linear(2, 2, dtype=np.float64),
              nn.Linear(2, 1, dtype=np.float64)]
    model = nn.Sequential(layers[0], nn.Sigmoid(), layers[1], nn.Sigmoid(), layers[2],
                          nn.Sigmoid())
    x, t = np.array([0.5, -1.0, 2.0, 0.3]), np.array([1.0])
    nn.QuadraticLoss()(model(rp.Tensor(x[None], dtype=np.float64)), t[None]).backward()
    activities = [x]
    for layer in layers:  # the forward pass, by hand
        z = layer.weight.data @ activities[-1] + layer.bias.data
        activities.append(1 / (1 + np.exp(-z)))
    dE_dy = -(t - activities[-1])
    for layer, below, y in zip(reversed(layers), reversed(activities[:-1]),
                               reversed(activities[1:]), strict=True):
        dE_dz = y * (1 - y) * dE_dy
        np.testing.assert_allclose(layer.weight.grad, np.outer(dE_dz, below), rtol=1e-10)
        np.testing.assert_allclose(layer.bias.grad, dE_dz, rtol=1e-10)  # input +1
        dE_dy = layer.weight.data.T @ dE_dz


def test_linear_is_morenos_design_matrix_with_the_bias_as_column_zero():
    """Moreno, "Capa totalmente conectada": Y = [1 X] W̃ᵀ, the bias in column 0 of W̃."""
    layer = nn.Linear(4, 6, dtype=np.float64)
    layer.bias.data[...] = np.arange(6.0)
    X = np.random.default_rng(5).normal(size=(3, 4))
    W_tilde = np.column_stack([layer.bias.data, layer.weight.data])  # (6, 1 + 4)
    expected = np.column_stack([np.ones(3), X]) @ W_tilde.T
    np.testing.assert_allclose(layer(rp.Tensor(X, dtype=np.float64)).data, expected,
                               rtol=1e-12)
