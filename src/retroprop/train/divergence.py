"""What went wrong when training diverges: the layer where the numbers first left the finite
range, found only once the loss is no longer finite (no cost on the steps before).

A step whose gradient overflowed leaves non-finite weights, so the next loss is non-finite:
the first parameter, in the model's order (the forward order of a ``Sequential``), whose
weights or gradient are not finite names the layer whose gradient went first. When every
weight is still finite, they have grown until the forward pass overflows (exploding
gradients, Fuentes Pineda, "Introducción al Deep Learning", módulo 8): the first layer
whose output is not finite is named, with the largest weight.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.nn.functional import all_finite
from retroprop.random import generator
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor

if TYPE_CHECKING:
    from retroprop.nn.module import Module


def divergence_error(model: Module, epoch: int, batch: int, loss: float, xb: np.ndarray,
                     exploded_from: tuple[float, float] | None = None) -> FloatingPointError:
    """The error that stops a diverged ``fit`` (call it before the weights are restored).
    ``exploded_from`` = (first loss of the run, factor) when the loss is still finite but
    rose more than ``factor`` times."""
    if exploded_from is None:
        what = f"the loss is {loss}; {culprit(model, xb)}"
    else:
        first, factor = exploded_from
        what = (f"the loss {loss:.4g} is more than {factor:g} times its first value in this "
                f"run ({first:.4g}): the gradients exploded ({_largest_weight(model)})")
    return FloatingPointError(
        f"fit: training diverged at epoch {epoch + 1}, batch {batch}: {what}. The weights "
        f"are restored to the start of epoch {epoch + 1}, and the optimizer's state "
        "(momentum, averages, step sizes) is cleared. Use a smaller learning rate (lr=), "
        "or clip the gradients (Trainer(clip_grad_norm=) or clip_grad_value=)")


def _largest_weight(model: Module) -> str:
    largest = max(((float(np.abs(p.data).max(initial=0.0)), name)
                   for name, p in model.named_parameters()), default=(0.0, "none"))
    return f"largest |w| = {largest[0]:.3g}, in {largest[1]}"


def culprit(model: Module, xb: np.ndarray) -> str:
    """Where the values first became non-finite, in words."""
    for name, param in model.named_parameters():
        if not all_finite(param.data) or (param.grad is not None
                                          and not all_finite(param.grad)):
            return (f"the gradient of {name} first went non-finite (parameters checked in "
                    "the model's order): the last step made its weights non-finite")
    layer = first_non_finite_output(model, xb)
    where = f"the output of layer {layer} is the first that is not finite" \
        if layer is not None else "the model's outputs are finite, the loss overflowed"
    return f"{where}; the weights have grown ({_largest_weight(model)}): the gradients exploded"


def first_non_finite_output(model: Module, xb: np.ndarray) -> str | None:
    """The first layer without sub-layers whose output on ``xb`` is not finite, by name and
    class (a forward pass with the same random draws as before, weights untouched)."""
    outputs: list[tuple[str, Any]] = []
    state = generator().bit_generator.state
    try:
        with no_grad(), _recording(model, outputs):
            model(Tensor._wrap(xb))
    except (ArithmeticError, ValueError):
        pass
    finally:
        generator().bit_generator.state = state
    for name, value in outputs:
        if isinstance(value, Tensor) and not all_finite(value.data):
            return name
    return None


@contextmanager
def _recording(model: Module, outputs: list[tuple[str, Any]]) -> Iterator[None]:
    """Record, in call order, the output of every module that has no sub-modules."""
    leaves = [(f"{name or 'model'!r} ({type(module).__name__})", module)
              for name, module in model.named_modules()
              if next(module.children(), None) is None]
    for label, module in leaves:
        def forward(*args: Any, _forward: Any = module.forward, _label: str = label,
                    **kwargs: Any) -> Any:
            result = _forward(*args, **kwargs)
            outputs.append((_label, result))
            return result

        module.forward = forward  # type: ignore[method-assign]
    try:
        yield
    finally:
        for _, module in leaves:
            del module.forward
