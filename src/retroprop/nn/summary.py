"""A model's summary, as Keras's ``model.summary()``: each layer, its output shape and its
number of parameters, then the totals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from retroprop.nn.module import Module, evaluating
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor


def count_params(model: Module, trainable: bool | None = None) -> int:
    """The number of parameter values: all of them, or only the trainable
    (``requires_grad``) ones (``trainable=True``), or only the frozen ones (``False``)."""
    return sum(p.data.size for p in model.parameters()
               if trainable is None or p.requires_grad == trainable)


def example_shape(input_shape: Any, where: str) -> tuple[int, ...]:
    """``input_shape``, the shape of one example without the batch axis (``784`` or
    ``(1, 28, 28)``), as a tuple of positive integers; a ValueError naming ``where``
    otherwise (a bool is not a size, though Python counts it as an int)."""
    shape = ((input_shape,) if isinstance(input_shape, int | np.integer) else
             tuple(input_shape) if isinstance(input_shape, Sequence | np.ndarray)
             and not isinstance(input_shape, str) else None)
    if shape is None or not all(isinstance(d, int | np.integer) and not isinstance(d, bool)
                                and d > 0 for d in shape):
        raise ValueError(f"{where}: input_shape must be positive integers (the shape of one "
                         f"example, without the batch axis), got {input_shape!r}")
    return tuple(int(d) for d in shape)


def _guess_input_shape(model: Module) -> tuple[int, ...] | None:
    """The input of the first layer when it tells it (``Linear``'s ``in_features``)."""
    for module in model.modules():
        if hasattr(module, "in_features"):
            return (int(module.in_features),)
        if module is not model and module._parameters:
            return None
    return None


def _output_shapes(model: Module, input_shape: Sequence[int]) -> dict[int, Any]:
    """Run one example through the model and note each module's output shape (by id)."""
    shapes: dict[int, Any] = {}
    wrapped = []
    for module in model.modules():
        forward = module.forward

        def recording(*args: Any, _module: Module = module, _forward: Any = forward,
                      **kwargs: Any) -> Any:
            out = _forward(*args, **kwargs)
            shapes[id(_module)] = tuple(out.shape) if isinstance(out, Tensor) else None
            return out

        module.forward = recording  # type: ignore[method-assign]
        wrapped.append(module)
    try:
        with evaluating(model), no_grad():
            model(Tensor(np.zeros((1, *input_shape)), dtype=model.dtype))
    except (ValueError, TypeError) as error:
        raise ValueError(f"summary: the model does not take inputs of shape "
                         f"{tuple(input_shape)} (one example, without the batch axis): "
                         f"{error}") from error
    finally:
        for module in wrapped:
            del module.forward
    return shapes


def summary(model: Module, input_shape: int | Sequence[int] | None = None) -> str:
    """A table of the model's layers: name and type, output shape (the batch axis shown as
    None) and number of parameters, then the total, trainable and frozen parameter counts.

    Parameters
    ----------
    model : Module
    input_shape : int or sequence of int, optional
        One example's shape, without the batch axis: ``784`` or ``(1, 28, 28)``. When it
        is not given, it is read from a first ``Linear`` layer; otherwise the output
        shapes are left out.

    Examples
    --------
    >>> import retroprop as rp
    >>> model = rp.nn.Sequential(rp.nn.Linear(4, 8), rp.nn.ReLU(), rp.nn.Linear(8, 2))
    >>> print(summary(model))
    Sequential
    Layer (type)  Output shape    Params
    ====================================
    0 (Linear)    (None, 8)           40
    1 (ReLU)      (None, 8)            0
    2 (Linear)    (None, 2)           18
    ====================================
    Total params: 58
    Trainable params: 58
    Non-trainable params: 0
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be a Module, got {type(model).__name__}")
    input_shape = (example_shape(input_shape, "summary") if input_shape is not None
                   else _guess_input_shape(model))
    shapes = _output_shapes(model, input_shape) if input_shape is not None else {}
    rows = []
    for name, module in model.named_modules():
        if module is model:
            continue
        depth = name.count(".")
        shape = shapes.get(id(module))
        shown = "" if shape is None else str((None, *shape[1:])) if shape else "()"
        own = sum(p.data.size for p in module._parameters.values() if p is not None)
        label = "  " * depth + f"{name.rsplit('.', 1)[-1]} ({type(module).__name__})"
        rows.append((label, shown, f"{own:,}"))
    widths = [max([len(h), *(len(r[i]) for r in rows)]) + 2
              for i, h in enumerate(("Layer (type)", "Output shape", "Params"))]
    line = "=" * sum(widths)
    table = [type(model).__name__,
             f"{'Layer (type)':<{widths[0]}}{'Output shape':<{widths[1]}}"
             f"{'Params':>{widths[2]}}", line]
    table += [f"{a:<{widths[0]}}{b:<{widths[1]}}{c:>{widths[2]}}" for a, b, c in rows]
    total, trainable = count_params(model), count_params(model, trainable=True)
    table += [line, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(table)
