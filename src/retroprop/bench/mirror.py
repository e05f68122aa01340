"""The same network in PyTorch, with retroprop's weights copied in."""

from __future__ import annotations

from typing import Any

from retroprop import nn
from retroprop._optional import require


def _layer(layer: nn.Module) -> Any:
    """The PyTorch layer doing what ``layer`` does, with copies of its parameters and
    buffers."""
    torch = require("torch", extra="bench")
    t = torch.nn
    simple = {nn.ReLU: t.ReLU, nn.Tanh: t.Tanh, nn.Sigmoid: t.Sigmoid, nn.Flatten: t.Flatten}
    if type(layer) in simple:
        return simple[type(layer)]()
    if isinstance(layer, nn.Dropout):
        return t.Dropout(layer.p)
    if isinstance(layer, nn.MaxPool2d):
        return t.MaxPool2d(layer.kernel_size, layer.stride, layer.padding, layer.dilation)
    if isinstance(layer, nn.AvgPool2d):
        return t.AvgPool2d(layer.kernel_size, layer.stride, layer.padding)
    if isinstance(layer, nn.Linear):
        twin = t.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
    elif isinstance(layer, nn.Conv2d):
        twin = t.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                        layer.padding, layer.dilation, layer.groups,
                        bias=layer.bias is not None)
    elif isinstance(layer, nn.BatchNorm1d | nn.BatchNorm2d):
        kind = t.BatchNorm1d if isinstance(layer, nn.BatchNorm1d) else t.BatchNorm2d
        twin = kind(layer.num_features, eps=layer.eps, momentum=layer.momentum)
    else:
        raise TypeError(f"torch_copy: no PyTorch twin for {type(layer).__name__}")
    arrays = {name: param.data for name, param in layer.named_parameters()}
    arrays |= dict(layer.named_buffers())
    twin = twin.to(torch.from_numpy(next(iter(arrays.values()))).dtype)
    with torch.no_grad():
        for name, array in arrays.items():
            getattr(twin, name).copy_(torch.from_numpy(array))
    return twin


def torch_copy(model: nn.Sequential) -> Any:
    """A ``torch.nn.Sequential`` of the same layers (Linear, Conv2d, batch norm, pooling,
    Flatten, Dropout, ReLU/Tanh/Sigmoid), holding copies of ``model``'s weights and running
    statistics, in their dtype."""
    torch = require("torch", extra="bench")
    return torch.nn.Sequential(*[_layer(layer) for layer in model])
