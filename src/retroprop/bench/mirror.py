"""The same network in PyTorch, with retroprop's weights copied in."""

from __future__ import annotations

from typing import Any

from retroprop import nn
from retroprop._optional import require


def torch_copy(model: nn.Sequential) -> Any:
    """A ``torch.nn.Sequential`` of the same Linear/ReLU/Tanh/Sigmoid/Flatten/Dropout layers,
    holding copies of ``model``'s weights."""
    torch = require("torch", extra="bench")

    simple = {nn.ReLU: torch.nn.ReLU, nn.Tanh: torch.nn.Tanh, nn.Sigmoid: torch.nn.Sigmoid,
              nn.Flatten: torch.nn.Flatten}
    layers = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            copy = torch.nn.Linear(layer.in_features, layer.out_features,
                                   dtype=torch.from_numpy(layer.weight.data).dtype)
            with torch.no_grad():
                copy.weight.copy_(torch.from_numpy(layer.weight.data))
                copy.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(copy)
        elif isinstance(layer, nn.Dropout):
            layers.append(torch.nn.Dropout(layer.p))
        elif type(layer) in simple:
            layers.append(simple[type(layer)]())
        else:
            raise TypeError(f"torch_copy: no PyTorch twin for {type(layer).__name__}")
    return torch.nn.Sequential(*layers)
