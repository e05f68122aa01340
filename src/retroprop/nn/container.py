"""Containers that compose modules: g = f_L ∘ ... ∘ f_1 (``Sequential``, seed 001) and
x + f(x) (``Residual``, seed 003)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from retroprop.nn.module import Module
from retroprop.tensor.tensor import Tensor


class Sequential(Module):
    """Apply modules one after another: g(x) = f_L(... f_2(f_1(x))).

    Indexable (an integer gives a module, a slice a new ``Sequential``
    sharing the modules), iterable, and ``len`` gives the number of layers.
    An error inside a layer says which layer it was.

    Examples
    --------
    >>> import retroprop as rp
    >>> model = rp.nn.Sequential(rp.nn.Linear(4, 8), rp.nn.ReLU(), rp.nn.Linear(8, 2))
    >>> len(model), type(model[1]).__name__
    (3, 'ReLU')
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for index, module in enumerate(modules):
            self.append(module, index)

    def get_config(self) -> dict[str, Any]:
        return {"modules": list(self)}

    def append(self, module: Module, index: int | None = None) -> Sequential:
        """Add ``module`` at the end."""
        position = len(self) if index is None else index
        if not isinstance(module, Module):
            raise TypeError(
                f"Sequential: layer {position} must be a Module, got {type(module).__name__}"
            )
        self._modules[str(position)] = module
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def forward(self, x: Tensor) -> Tensor:
        for index, module in enumerate(self._modules.values()):
            try:
                x = module(x)
            except (ValueError, TypeError) as error:
                raise type(error)(f"layer {index} ({type(module).__name__}): {error}") from error
        return x


class Residual(Module):
    """y = x + f(x): a skip connection, so the gradient reaches x undiminished through the
    identity path (He et al. 2015; seed 003's remedy for vanishing gradients)."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: Tensor) -> Tensor:
        out = self.module(x)
        if out.shape != x.shape:
            raise ValueError(
                f"Residual: the inner module maps shape {x.shape} to {out.shape}; x + f(x) needs "
                "them equal"
            )
        return x + out


class Flatten(Module):
    """Merge the axes from ``start_dim`` on: (N, C, H, W) -> (N, C·H·W)."""

    def __init__(self, start_dim: int = 1) -> None:
        super().__init__()
        self.start_dim = start_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}"
