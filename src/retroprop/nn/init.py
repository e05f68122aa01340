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

PyTorch's in-place functions (``kaiming_normal_(layer.weight)``, ``zeros_(layer.bias)``,
``calculate_gain``) fill an existing tensor with the same rules, as ``torch.nn.init``.

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
from typing import Any, cast

import numpy as np

from retroprop.random import generator
from retroprop.tensor.tensor import Tensor, _check_float_dtype, get_default_dtype, written

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


class Drawn:
    """An initializer that draws W from N(mean, σ²) (``kind="normal"``) or U(-ℓ, ℓ)
    (``kind="uniform"``), with σ or ℓ a number or a rule of the fans (a name in
    :data:`SCALES`). A class rather than a closure, so that models pickle (``copy``,
    ``multiprocessing``), though retroprop never loads pickles from files."""

    def __init__(self, kind: str, scale: float | str, name: str, mean: float = 0.0) -> None:
        self.kind, self.scale, self.mean, self.__name__ = kind, scale, mean, name

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        scale = (SCALES[self.scale](*fans(tuple(shape))) if isinstance(self.scale, str)
                 else self.scale)
        if self.kind == "normal":
            values = generator().normal(self.mean, scale, size=shape)
        else:
            values = generator().uniform(-scale, scale, size=shape)
        return values.astype(_resolve(dtype))

    def __repr__(self) -> str:
        return self.__name__ if "(" in self.__name__ else f"{self.__name__}()"


#: σ (normal rules) or the bound ℓ (uniform rules) from (fan_in n_e, fan_out n_s).
SCALES: dict[str, Callable[[int, int], float]] = {
    "lecun_normal": lambda fan_in, fan_out: math.sqrt(1.0 / fan_in),
    "lecun_uniform": lambda fan_in, fan_out: math.sqrt(3.0 / fan_in),
    "glorot_normal": lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)),
    "glorot_uniform": lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
    "he_normal": lambda fan_in, fan_out: math.sqrt(2.0 / fan_in),
    "he_uniform": lambda fan_in, fan_out: math.sqrt(6.0 / fan_in),
}


class Constant:
    """Every element equal to ``value`` (a class, so that models pickle)."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.__name__ = f"constant({value})"

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return np.full(shape, self.value, dtype=_resolve(dtype))

    def __repr__(self) -> str:
        return self.__name__


def _positive(value: float, name: str) -> float:
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def zeros() -> Initializer:
    """All zeros (biases; Berzal's bias is the weight of a fixed input +1)."""
    return constant(0.0)


def constant(value: float) -> Initializer:
    """Every element equal to ``value``."""
    return Constant(value)


def normal(std: float = 0.01, mean: float = 0.0) -> Initializer:
    """N(mean, std²); Fuentes Pineda contrasts variance 0.01 (std 0.1) with variance 1."""
    std = _positive(std, "std")
    return Drawn("normal", std, f"normal(std={std}, mean={mean})", mean)


def uniform(a: float = 0.05) -> Initializer:
    """U(-a, a)."""
    a = _positive(a, "a")
    return Drawn("uniform", a, f"uniform(a={a})")


def lecun_normal() -> Initializer:
    """N(0, 1/n_e): σ_w = m^(-1/2) with m the fan-in (Berzal, LeCun et al. 1998)."""
    return Drawn("normal", "lecun_normal", "lecun_normal")


def lecun_uniform() -> Initializer:
    """U(-√(3/n_e), √(3/n_e)): variance 1/n_e (Berzal)."""
    return Drawn("uniform", "lecun_uniform", "lecun_uniform")


def glorot_normal() -> Initializer:
    """N(0, 2/(n_e + n_s)) (Glorot and Bengio 2010, Fuentes Pineda)."""
    return Drawn("normal", "glorot_normal", "glorot_normal")


def glorot_uniform() -> Initializer:
    """U(-√(6/(n_e + n_s)), √(6/(n_e + n_s))) (Glorot and Bengio 2010, Fuentes Pineda)."""
    return Drawn("uniform", "glorot_uniform", "glorot_uniform")


def he_normal() -> Initializer:
    """N(0, 2/n_e) (He et al. 2015, Fuentes Pineda), for ReLU networks."""
    return Drawn("normal", "he_normal", "he_normal")


def he_uniform() -> Initializer:
    """U(-√(6/n_e), √(6/n_e)): variance 2/n_e (He et al. 2015); PyTorch's
    ``kaiming_uniform_`` with its default a = 0."""
    return Drawn("uniform", "he_uniform", "he_uniform")


def _pytorch_bound(shape: tuple[int, ...]) -> float:
    """1/√n_e (0 for an empty weight, as PyTorch)."""
    fan_in = fans(tuple(shape))[0]
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0


class PyTorchDefault:
    """PyTorch's initialization of ``nn.Linear`` and ``nn.Conv2d`` (``reset_parameters``):
    W ~ U(-1/√n_e, 1/√n_e), which is ``kaiming_uniform_(W, a=√5)`` (its bound is the
    gain √(2/(1 + a²)) = 1/√3 times √(3/n_e), the bound of gain 1; He's, gain √2, is
    √(6/n_e)), and the bias from the same U(-1/√n_e, 1/√n_e), n_e being the weight's
    fan-in (in_channels/groups · kh · kw for a convolution). Var[w] = 1/(3 n_e), a third
    of LeCun's 1/n_e (``lecun_uniform``, the rule of Berzal, "Backpropagation" (Granada)).

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
    """An initializer from its name (``"he_normal"``) or the initializer itself; a factory
    (``he_normal`` for ``he_normal()``), a class (``Constant`` for ``Constant(0.5)``) and an
    in-place function (``kaiming_normal_``) are refused with the call to make instead."""
    if callable(init):
        name = getattr(init, "__name__", "")
        if isinstance(init, type):
            raise TypeError(f"init: {name} is a class: pass an initializer made from it, such "
                            f"as {name}(...), or a name ({', '.join(sorted(INITIALIZERS))})")
        if init is cast(Any, constant):
            raise TypeError("init: constant makes an initializer: pass constant(value)")
        if any(factory is init for factory in list[Any](INITIALIZERS.values())):
            raise TypeError(f"init: {name} makes an initializer: pass {name}() or the name "
                            f"{name!r}")
        if getattr(init, "__module__", None) == __name__ and name.endswith("_"):
            raise TypeError(f"init: {name} fills an existing tensor in place: call "
                            f"{name}(layer.weight) after building the layer, or pass an "
                            f"initializer by name ({', '.join(sorted(INITIALIZERS))})")
        return init
    if isinstance(init, str) and init in INITIALIZERS:
        return INITIALIZERS[init]()
    raise ValueError(f"unknown initializer {init!r}; known: {', '.join(sorted(INITIALIZERS))}")


# ------------------------------------------------- PyTorch's in-place functions
# ``torch.nn.init``'s functions fill an existing tensor in place and return it, so that
# code written for PyTorch (``model.apply(init_weights)``) runs unchanged; they draw from
# the library's generator and keep the array's memory order (``Linear`` stores W
# column-major).

Target = Any  # a Tensor (a Parameter) or a NumPy array

GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
         "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
         "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 0.75}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain g that keeps the variance through ``nonlinearity``, as
    ``torch.nn.init.calculate_gain``: 1 for linear layers, convolutions and the sigmoid,
    5/3 for tanh, √2 for ReLU, √(2/(1 + a²)) for a leaky ReLU of slope a (``param``,
    default 0.01), 3/4 for SELU. He's rule (Fuentes Pineda) is σ_w = g/√n_e with g = √2.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, int | float):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; known: "
                         f"{', '.join([*GAINS, 'leaky_relu'])}")
    return GAINS[nonlinearity]


def _array(tensor: Target, where: str) -> np.ndarray:
    """The floating-point array that ``where`` fills in place."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise TypeError(f"{where}: expected a floating-point Tensor or array to fill in "
                        f"place, got {type(tensor).__name__}"
                        + (f" of dtype {array.dtype}" if isinstance(array, np.ndarray) else ""))
    return array


def _fill(tensor: Target, values: Any) -> Target:
    """Write ``values`` into the tensor's own array (its memory order kept); a tensor's
    version goes up, as an optimizer step's does."""
    np.copyto(_array(tensor, "init"), values, casting="unsafe")
    if isinstance(tensor, Tensor):
        written(tensor)
    return tensor


def _matrix_fans(tensor: Target, where: str) -> tuple[int, int]:
    """(fan_in, fan_out) as PyTorch computes them, for tensors of 2 or more dimensions."""
    shape = _array(tensor, where).shape
    if len(shape) < 2:
        raise ValueError(f"{where}: fan in and fan out cannot be computed for a tensor of "
                         f"shape {shape}, with fewer than 2 dimensions")
    return fans(shape)


def uniform_(tensor: Target, a: float = 0.0, b: float = 1.0) -> Target:
    """Fill with U(a, b), as ``torch.nn.init.uniform_`` (whose default is U(0, 1); the
    initializer :func:`uniform` is U(-a, a))."""
    array = _array(tensor, "uniform_")
    if not -math.inf < a <= b < math.inf:  # (NumPy would draw from [b, a) for a > b)
        raise ValueError(f"uniform_: needs finite bounds a <= b, got a={a!r}, b={b!r}")
    return _fill(tensor, generator().uniform(a, b, size=array.shape))


def normal_(tensor: Target, mean: float = 0.0, std: float = 1.0) -> Target:
    """Fill with N(mean, std²), as ``torch.nn.init.normal_`` (std 1 by default; Fuentes
    Pineda contrasts variance 1 with 0.01)."""
    array = _array(tensor, "normal_")
    if not 0 <= std < math.inf:
        raise ValueError(f"normal_: std must be a finite number >= 0, got {std!r}")
    return _fill(tensor, generator().normal(mean, std, size=array.shape))


def trunc_normal_(tensor: Target, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0) -> Target:
    """Fill with N(mean, std²) truncated to [a, b], as ``torch.nn.init.trunc_normal_``; a
    and b are values, not numbers of std. Exact draws by rejection from the best of three
    proposals (Robert 1995): the normal itself, the uniform on [a, b], or an exponential
    from the bound nearer the mean, so that an interval far in a tail (``a=6, b=7``) takes
    a few rounds, not millions."""
    array = _array(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: needs a < b, got a={a!r}, b={b!r}")
    if not 0 < std < math.inf or not math.isfinite(mean):
        raise ValueError(f"trunc_normal_: needs a finite mean and a positive finite std, got "
                         f"mean={mean!r}, std={std!r}")
    low, high = (a - mean) / std, (b - mean) / std
    values = mean + std * _truncated_standard_normal(low, high, array.shape)
    return _fill(tensor, np.clip(values, a, b))  # (a bound that rounding crossed)


def _truncated_standard_normal(low: float, high: float, shape: tuple[int, ...]) -> np.ndarray:
    """Draws from N(0, 1) truncated to [low, high], by rejection from the proposal that
    accepts most often. Per unit of the truncated mass, the normal accepts 1/√(2π), the
    uniform on [low, high] exp(m²/2)/(high - low) (m the point nearest 0, accepted with
    probability exp((m² - z²)/2)), and low + Exp(λ), λ = (low + √(low² + 4))/2, where
    low > 0, λ exp(λ low - λ²/2) (accepted with probability exp(-(z - λ)²/2))."""
    if high <= 0:  # mirrored, the bound nearer 0 is low (where the exponential starts)
        return -_truncated_standard_normal(-high, -low, shape)
    nearest = max(low, 0.0)
    rate = (low + math.sqrt(low * low + 4)) / 2
    scores = {"normal": -0.5 * math.log(2 * math.pi),
              "uniform": nearest * nearest / 2 - math.log(high - low),
              "exponential": math.log(rate) + rate * (low - rate / 2) if low > 0 else -math.inf}
    proposal = max(scores, key=scores.__getitem__)
    out = np.empty(math.prod(shape))
    todo = np.arange(out.size)
    while todo.size:
        if proposal == "normal":
            z = generator().standard_normal(todo.size)
            keep = (z >= low) & (z <= high)
        elif proposal == "uniform":
            z = generator().uniform(low, high, todo.size)
            keep = generator().random(todo.size) <= np.exp((nearest - z) * (nearest + z) / 2)
        else:
            z = low + generator().exponential(1 / rate, todo.size)
            keep = (z <= high) & (generator().random(todo.size) <= np.exp(-(z - rate)**2 / 2))
        out[todo[keep]] = z[keep]
        todo = todo[~keep]
    return out.reshape(shape)


def constant_(tensor: Target, val: float) -> Target:
    """Fill with ``val``, as ``torch.nn.init.constant_``."""
    return _fill(tensor, val)


def ones_(tensor: Target) -> Target:
    """Fill with ones, as ``torch.nn.init.ones_``."""
    return _fill(tensor, 1.0)


def zeros_(tensor: Target) -> Target:
    """Fill with zeros, as ``torch.nn.init.zeros_`` (Berzal's biases start at zero)."""
    return _fill(tensor, 0.0)


def eye_(tensor: Target) -> Target:
    """Fill a matrix with the identity (ones on the diagonal), as ``torch.nn.init.eye_``."""
    shape = _array(tensor, "eye_").shape
    if len(shape) != 2:
        raise ValueError(f"eye_: needs a matrix, got a tensor of shape {shape}")
    return _fill(tensor, np.eye(*shape))


def xavier_uniform_(tensor: Target, gain: float = 1.0) -> Target:
    """Fill with U(-g √(6/(n_e + n_s)), g √(6/(n_e + n_s))) (Glorot and Bengio 2010,
    Fuentes Pineda), as ``torch.nn.init.xavier_uniform_``."""
    fan_in, fan_out = _matrix_fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Target, gain: float = 1.0) -> Target:
    """Fill with N(0, g² · 2/(n_e + n_s)) (Glorot and Bengio 2010, Fuentes Pineda), as
    ``torch.nn.init.xavier_normal_``."""
    fan_in, fan_out = _matrix_fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Target, a: float, mode: str, nonlinearity: str, where: str) -> float:
    """g/√n with n the fan-in or fan-out (``mode``) and g the gain of ``nonlinearity``."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _matrix_fans(tensor, where)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"{where}: the tensor of shape {_array(tensor, where).shape} has "
                         f"{mode} 0")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Target, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Target:
    """Fill with U(-√3 σ, √3 σ), σ = g/√n (He et al. 2015, Fuentes Pineda), as
    ``torch.nn.init.kaiming_uniform_``: with the defaults, g = √2 (a leaky ReLU of slope
    ``a`` = 0) and n the fan-in; ``a = √5`` gives PyTorch's layer default (:func:`pytorch`).
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Target, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Target:
    """Fill with N(0, σ²), σ = g/√n (He et al. 2015, Fuentes Pineda: σ² = 2/n_e for ReLU),
    as ``torch.nn.init.kaiming_normal_``."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"))


def orthogonal_(tensor: Target, gain: float = 1.0) -> Target:
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013), as
    ``torch.nn.init.orthogonal_``: the Q of the QR factorization of a Gaussian matrix of
    shape (rows, elements/rows), signs fixed by R's diagonal, so that Q is uniformly
    distributed; tensors of more than 2 dimensions are flattened after the first."""
    shape = _array(tensor, "orthogonal_").shape
    if len(shape) < 2:
        raise ValueError(f"orthogonal_: needs a tensor of at least 2 dimensions, got shape "
                         f"{shape}")
    rows = shape[0]
    columns = math.prod(shape) // rows if rows else 0
    flat = generator().standard_normal((rows, columns))
    if rows < columns:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < columns:
        q = q.T
    return _fill(tensor, (gain * q).reshape(shape))
