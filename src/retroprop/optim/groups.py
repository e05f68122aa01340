"""Parameter groups with per-layer learning rates (Berzal, after LeCun et al.)."""

from __future__ import annotations

from typing import Any

from retroprop.nn.init import fans
from retroprop.nn.module import Module


def fan_in_groups(model: Module, lr: float, power: float = 0.5) -> list[dict[str, Any]]:
    """One parameter group per layer with weights, with rate lr · (m / m_max)^power, m the
    layer's fan-in: Berzal (after LeCun et al.) makes the rates proportional to the
    square root of the number of inputs of a unit (power 0.5); power -0.5 gives the
    inverse rule. The layer with the largest fan-in gets ``lr``.

    Examples
    --------
    >>> import retroprop as rp
    >>> groups = fan_in_groups(rp.models.mlp([784, 100, 10]), lr=0.1)
    >>> [round(g["lr"], 4) for g in groups]
    [0.1, 0.0357]
    """
    layers = [(m, fans(m.weight.shape)[0]) for m in model.modules()
              if "weight" in m._parameters and m.weight is not None]
    if not layers:
        raise ValueError("fan_in_groups: the model has no layer with a weight")
    widest = max(fan_in for _, fan_in in layers)
    return [{"params": [p for p in module._parameters.values() if p is not None],
             "lr": lr * (fan_in / widest) ** power} for module, fan_in in layers]
