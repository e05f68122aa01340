"""Weight initializers (Berzal, Moreno, Fuentes Pineda).

For a layer with n_e inputs (fan-in) and n_s outputs (fan-out), a unit
computes y = Σ_i w_i x_i, so with independent zero-mean terms
Var[y] = n_e σ_w² σ_x² (Moreno). Choosing σ_w² = 1/n_e keeps the
variance from layer to layer (LeCun, Berzal: σ_w = m^(-1/2)); Glorot
and Bengio average the forward and backward conditions, σ_w² = 2/(n_e + n_s);
He et al. double LeCun's for ReLU, σ_w² = 2/n_e (Fuentes Pineda).

The default of ``Linear`` and ``Conv2d`` is PyTorch's (:func:`pytorch`):
W and b from U(-1/√n_e, 1/√n_e), variance 1/(3 n_e), a third of LeCun's.
``init="lecun_uniform"`` gives the rule of Berzal, "Backpropagation"
(Granada): variance 1/n_e, with zero biases. Every other initializer
leaves the bias at zero, as the lectures and Keras do; an initializer
with a ``bias(weight_shape, dtype)`` method draws it (:func:`initial_bias`).

Every initializer is a callable ``init(shape, dtype) -> ndarray`` drawing
from :func:`retroprop.random.generator`. Fan-in and fan-out of a weight of
shape (out, in, k_1, ..., k_d) are in·k_1···k_d and out·k_1···k_d, so the
same rules serve ``Linear`` (out, in) and ``Conv2d`` (out, in, kh, kw).

Examples
--------
>>> import retroprop as rp
>>> w = rp.init.he_normal()((256, 784))
>>> w.shape, w.dtype
((256, 784), dtype('float32'))
>>> rp.nn.Linear(784, 256, init="glorot_uniform").weight.shape
(256, 784)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop.random import generator
from retroprop.tensor.tensor import _check_float_dtype, get_default_dtype

Initializer = Callable[..., np.ndarray]


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), or of a vector."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _resolve(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else _check_float_dtype(dtype, "dtype")


def _normal(std_of: Callable[[int, int], float], name: str) -> Initializer:
    def init(shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        std = std_of(*fans(tuple(shape)))
        return generator().normal(0.0, std, size=shape).astype(_resolve(dtype))

    init.__name__ = init.__qualname__ = name
    return init


def _uniform(limit_of: Callable[[int, int], float], name: str) -> Initializer:
    def init(shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        limit = limit_of(*fans(tuple(shape)))
        return generator().uniform(-limit, limit, size=shape).astype(_resolve(dtype))

    init.__name__ = init.__qualname__ = name
    return init


def _positive(value: float, name: str) -> float:
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def zeros() -> Initializer:
    """All zeros (biases; Berzal's bias is the weight of a fixed input +1)."""
    return constant(0.0)


def constant(value: float) -> Initializer:
    """Every element equal to ``value``."""

    def init(shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return np.full(shape, value, dtype=_resolve(dtype))

    init.__name__ = f"constant({value})"
    return init


def normal(std: float = 0.01, mean: float = 0.0) -> Initializer:
    """N(mean, std²); Fuentes Pineda contrasts variance 0.01 (std 0.1) with variance 1."""
    std = _positive(std, "std")

    def init(shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return generator().normal(mean, std, size=shape).astype(_resolve(dtype))

    init.__name__ = f"normal(std={std}, mean={mean})"
    return init


def uniform(a: float = 0.05) -> Initializer:
    """U(-a, a)."""
    a = _positive(a, "a")
    return _uniform(lambda fan_in, fan_out: a, f"uniform(a={a})")


def lecun_normal() -> Initializer:
    """N(0, 1/n_e): σ_w = m^(-1/2) with m the fan-in (Berzal, LeCun et al. 1998)."""
    return _normal(lambda fan_in, fan_out: math.sqrt(1.0 / fan_in), "lecun_normal")


def lecun_uniform() -> Initializer:
    """U(-√(3/n_e), √(3/n_e)): variance 1/n_e (Berzal)."""
    return _uniform(lambda fan_in, fan_out: math.sqrt(3.0 / fan_in), "lecun_uniform")


def glorot_normal() -> Initializer:
    """N(0, 2/(n_e + n_s)) (Glorot and Bengio 2010, Fuentes Pineda)."""
    return _normal(lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)), "glorot_normal")


def glorot_uniform() -> Initializer:
    """U(-√(6/(n_e + n_s)), √(6/(n_e + n_s))) (Glorot and Bengio 2010, Fuentes Pineda)."""
    return _uniform(lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)), "glorot_uniform")


def he_normal() -> Initializer:
    """N(0, 2/n_e) (He et al. 2015, Fuentes Pineda), for ReLU networks."""
    return _normal(lambda fan_in, fan_out: math.sqrt(2.0 / fan_in), "he_normal")


def he_uniform() -> Initializer:
    """U(-√(6/n_e), √(6/n_e)): variance 2/n_e (He et al. 2015); PyTorch's
    ``kaiming_uniform_`` with its default a = 0."""
    return _uniform(lambda fan_in, fan_out: math.sqrt(6.0 / fan_in), "he_uniform")


def _pytorch_bound(shape: tuple[int, ...]) -> float:
    """1/√n_e (0 for an empty weight, as PyTorch)."""
    fan_in = fans(tuple(shape))[0]
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0


class PyTorchDefault:
    """PyTorch's initialization of ``nn.Linear`` and ``nn.Conv2d`` (``reset_parameters``):
    W ~ U(-1/√n_e, 1/√n_e), which is ``kaiming_uniform_(W, a=√5)``
    (gain √(2/(1 + a²)) = 1/√3 times He's bound √(3/n_e)), and the bias from the same
    U(-1/√n_e, 1/√n_e), n_e being the weight's fan-in (in_channels/groups · kh · kw for a
    convolution). Var[w] = 1/(3 n_e), a third of LeCun's 1/n_e (``lecun_uniform``, the
    rule of Berzal, "Backpropagation" (Granada)).

    Call it as any initializer, ``init(shape, dtype)``, for W; ``bias(weight_shape,
    dtype)`` draws the bias of shape (weight_shape[0],).
    """

    __name__ = "pytorch"

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        bound = _pytorch_bound(shape)
        return generator().uniform(-bound, bound, size=shape).astype(_resolve(dtype))

    def bias(self, weight_shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        """b ~ U(-1/√n_e, 1/√n_e), with n_e the fan-in of a weight of ``weight_shape``."""
        bound = _pytorch_bound(weight_shape)
        return generator().uniform(-bound, bound, size=weight_shape[0]).astype(_resolve(dtype))

    def __repr__(self) -> str:
        return "pytorch()"


def pytorch() -> PyTorchDefault:
    """PyTorch's default of ``Linear`` and ``Conv2d``, weight and bias from
    U(-1/√n_e, 1/√n_e) (see :class:`PyTorchDefault`); the default ``init`` of
    :class:`~retroprop.nn.Linear` and :class:`~retroprop.nn.Conv2d`.

    Examples
    --------
    >>> import retroprop as rp
    >>> init = rp.init.pytorch()
    >>> bool(abs(init((10, 400))).max() <= 1 / 20), init.bias((10, 400)).shape
    (True, (10,))
    """
    return PyTorchDefault()


def initial_bias(init: Initializer, weight_shape: tuple[int, ...],
                 dtype: Any = None) -> np.ndarray:
    """The starting bias, shape (weight_shape[0],), of a layer whose weight ``init`` draws:
    from ``init.bias(weight_shape, dtype)`` where it has that method (:func:`pytorch`,
    PyTorch's U(-1/√n_e, 1/√n_e)), else zeros (Berzal's bias, the weight of a fixed input
    +1, starts at zero like Keras's)."""
    draw = getattr(init, "bias", None)
    if not callable(draw):
        return zeros()((weight_shape[0],), dtype)
    bias = np.asarray(draw(tuple(weight_shape), dtype))
    if bias.shape != (weight_shape[0],):
        raise ValueError(f"initializer {init!r}: its bias method gave shape {bias.shape} for "
                         f"a weight of shape {tuple(weight_shape)}; expected "
                         f"({weight_shape[0]},)")
    return bias


INITIALIZERS: dict[str, Callable[[], Initializer]] = {
    f.__name__: f
    for f in (zeros, lecun_normal, lecun_uniform, glorot_normal, glorot_uniform,
              he_normal, he_uniform, normal, uniform, pytorch)
}
# The names that Keras and PyTorch users know ("kaiming_uniform" is PyTorch's
# ``kaiming_uniform_`` with its default a = 0; its layers' default is "pytorch").
INITIALIZERS |= {"xavier_normal": glorot_normal, "xavier_uniform": glorot_uniform,
                 "kaiming_normal": he_normal, "kaiming_uniform": he_uniform}


def get(init: str | Initializer) -> Initializer:
    """An initializer from its name (``"he_normal"``) or the initializer itself."""
    if callable(init):
        return init
    if isinstance(init, str) and init in INITIALIZERS:
        return INITIALIZERS[init]()
    raise ValueError(f"unknown initializer {init!r}; known: {', '.join(sorted(INITIALIZERS))}")
