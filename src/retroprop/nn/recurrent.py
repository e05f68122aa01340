"""``RNN``: a simple (Elman) recurrent layer trained by backpropagation through time
(Berzal, "Backpropagation", Granada, "Redes recurrentes").

    h_t = φ(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh),   t = 1..T,   φ = tanh (or ReLU)

The sequence is unrolled in time into a feed-forward network whose layers share W_ih,
W_hh and the biases; backpropagation through that unrolled network (BPTT) sums, for each
shared weight, the gradients of all its copies. Here the tape does it: the forward builds
the unrolled graph (the input projection of all T steps in one product, then one step per
time instant), and ``backward()`` runs through time in reverse.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from retroprop import ops
from retroprop.nn.module import Module
from retroprop.nn.parameter import Parameter
from retroprop.random import generator
from retroprop.tensor.tensor import Tensor, _check_float_dtype, get_default_dtype

NONLINEARITIES = {"tanh": ops.tanh, "relu": ops.relu}


class RNN(Module):
    """Elman recurrent layers, as ``torch.nn.RNN`` (same parameters, names, shapes, defaults).

    Parameters
    ----------
    input_size, hidden_size : int
    num_layers : int, default 1
        Stacked layers: layer k > 0 reads the hidden states of layer k - 1.
    nonlinearity : {"tanh", "relu"}, default "tanh"
    bias : bool, default True
        b_ih and b_hh (two biases per layer, as PyTorch).
    batch_first : bool, default False
        Input and output of shape (N, T, features) instead of (T, N, features).
    dtype : float dtype, optional

    Attributes
    ----------
    weight_ih_l{k} : (hidden_size, input_size or hidden_size)
    weight_hh_l{k} : (hidden_size, hidden_size)
    bias_ih_l{k}, bias_hh_l{k} : (hidden_size,)
        All drawn from U(-1/√hidden_size, 1/√hidden_size), as PyTorch.

    Forward: ``output, h_n = rnn(x, h0=None)`` with x of shape (T, N, input_size) (or
    (T, input_size) for one sequence) and h0 of shape (num_layers, N, hidden_size) (zeros
    by default); ``output`` holds the last layer's h_t for every t, shape
    (T, N, hidden_size), and ``h_n`` each layer's last state, (num_layers, N, hidden_size).

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> rnn = rp.nn.RNN(3, 5)
    >>> output, h_n = rnn(np.ones((7, 2, 3), np.float32))  # T = 7, N = 2
    >>> output.shape, h_n.shape
    ((7, 2, 5), (1, 2, 5))
    """

    config_attributes = ("nonlinearity", "batch_first")

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"RNN: {name} must be a positive integer, got {value!r}")
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias, self.batch_first = nonlinearity, bias, batch_first
        resolved = get_default_dtype() if dtype is None else _check_float_dtype(dtype, "dtype")
        bound = 1.0 / math.sqrt(hidden_size)
        for layer in range(num_layers):
            fan_in = input_size if layer == 0 else hidden_size
            shapes: dict[str, tuple[int, ...]] = {"weight_ih": (hidden_size, fan_in),
                                                  "weight_hh": (hidden_size, hidden_size)}
            if bias:
                shapes |= {"bias_ih": (hidden_size,), "bias_hh": (hidden_size,)}
            for name, shape in shapes.items():
                values = generator().uniform(-bound, bound, shape).astype(resolved)
                setattr(self, f"{name}_l{layer}", Parameter(values))

    def _layer(self, layer: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return tuple(getattr(self, f"{n}_l{layer}") if self.bias or n.startswith("weight")
                     else None for n in names)  # type: ignore[return-value]

    def forward(self, x: Any, h0: Any = None) -> tuple[Tensor, Tensor]:
        x = x if isinstance(x, Tensor) else Tensor(x, dtype=self.weight_ih_l0.dtype)
        unbatched = x.ndim == 2
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"RNN: expected input of shape (T, N, {self.input_size}) or "
                             f"(T, {self.input_size}), got {x.shape}")
        if x.shape[1 if self.batch_first and x.ndim == 3 else 0] == 0:
            raise ValueError(f"RNN: the input of shape {x.shape} holds sequences of length "
                             "T = 0; there is no last state h_n")
        if unbatched:
            x = ops.reshape(x, (x.shape[0], 1, x.shape[1]))
        elif self.batch_first:
            x = ops.transpose(x, 1, 0, 2)
        steps, batch = x.shape[0], x.shape[1]
        expected = (self.num_layers, batch, self.hidden_size)
        if h0 is None:
            h0 = Tensor(np.zeros(expected, x.dtype), dtype=x.dtype)
        else:
            h0 = h0 if isinstance(h0, Tensor) else Tensor(h0, dtype=x.dtype)
            if unbatched and h0.ndim == 2:
                h0 = ops.reshape(h0, expected)
            if h0.shape != expected:
                raise ValueError(f"RNN: h0 must have shape {expected}, got {h0.shape}")
        phi = NONLINEARITIES[self.nonlinearity]
        sequence, last = x, []
        for layer in range(self.num_layers):
            weight_ih, weight_hh, bias_ih, bias_hh = self._layer(layer)
            projected = ops.linear(sequence, weight_ih, bias_ih)  # W_ih x_t + b_ih, all t
            h, states = h0[layer], []
            for t in range(steps):
                h = phi(projected[t] + ops.linear(h, weight_hh, bias_hh))
                states.append(h)
            sequence = ops.stack(states, axis=0)
            last.append(h)
        h_n = ops.stack(last, axis=0)
        if unbatched:
            return ops.reshape(sequence, (steps, self.hidden_size)), \
                ops.reshape(h_n, (self.num_layers, self.hidden_size))
        if self.batch_first:
            sequence = ops.transpose(sequence, 1, 0, 2)
        return sequence, h_n

    def extra_repr(self) -> str:
        options = [f"{self.input_size}, {self.hidden_size}"]
        if self.num_layers != 1:
            options.append(f"num_layers={self.num_layers}")
        if self.nonlinearity != "tanh":
            options.append(f"nonlinearity={self.nonlinearity!r}")
        if not self.bias:
            options.append("bias=False")
        if self.batch_first:
            options.append("batch_first=True")
        return ", ".join(options)
