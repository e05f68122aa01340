"""``rp.onnx.export(model, path, input_shape)``: write a trained network as an ONNX model."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from retroprop.atomic import atomic_write
from retroprop.nn.module import Module, evaluating
from retroprop.nn.summary import example_shape
from retroprop.onnx.graph import Graph, require_onnx
from retroprop.onnx.layers import CONVERTERS
from retroprop.stacklevel import user_stacklevel
from retroprop.tensor import Tensor, no_grad

OPSET = 17
"""ONNX operator set of the exported graphs (LayerNormalization needs 17)."""
IR_VERSION = 8
"""ONNX file format version matching opset 17, read by every runtime since 2021."""


class Exporter:
    """Walks a module tree with a sample input, adding each layer's ONNX nodes to ``graph``
    and noting the layers it cannot convert."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.unsupported: list[str] = []

    def convert(self, module: Module, x: str, sample: Tensor, path: str) -> tuple[str, Tensor]:
        """The graph name and a sample of ``module``'s output for input ``x`` (sample
        ``sample``), ``path`` naming the module in messages."""
        converter = CONVERTERS.get(type(module))
        if converter is None:
            where = f"layer {path!r}" if path else "the model"
            self.unsupported.append(f"{where} ({type(module).__name__})")
            name = x
        else:
            outer, self.graph.owner = self.graph.owner, module  # whose constants they are
            try:
                name = converter(self, module, x, sample, path)
            finally:
                self.graph.owner = outer
        try:
            return name, module(sample)
        except (ValueError, TypeError, IndexError) as error:
            where = f"layer {path!r} ({type(module).__name__})" if path else "the model"
            raise ValueError(f"{where}: {error}") from None

    def refusal(self) -> ValueError:
        """The error that names every layer met so far that has no ONNX form."""
        return ValueError(
            f"rp.onnx.export: cannot export {', '.join(self.unsupported)}: no ONNX form; "
            f"exportable layers are {', '.join(sorted(c.__name__ for c in CONVERTERS))}")


def to_onnx(model: Module, input_shape: int | Sequence[int]) -> Any:
    """The ``onnx.ModelProto`` of ``model`` in inference form (see :func:`export`)."""
    onnx = require_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"rp.onnx.export: model must be a Module, got {type(model).__name__}")
    shape = example_shape(input_shape, "rp.onnx.export")
    hooked = [name or "the model" for name, module in model.named_modules()
              if module._hooks is not None and (module._hooks.pre or module._hooks.post)]
    if hooked:
        warnings.warn(f"rp.onnx.export: the forward hooks of {hooked} are not in the file, "
                      "which computes the layers' forward only (what a hook changes, the "
                      "exported model does not): remove them before exporting",
                      UserWarning, stacklevel=user_stacklevel())
    graph = Graph(model.dtype)
    exporter = Exporter(graph)
    with evaluating(model), no_grad():
        sample = Tensor(np.zeros((1, *shape)), dtype=model.dtype)
        try:
            output, result = exporter.convert(model, "input", sample, "")
        except Exception as error:
            # a layer without an ONNX form may not run on its own (ModuleList has no
            # forward) or give what the next layer cannot take (RNN's tuple): name it
            if exporter.unsupported:
                raise exporter.refusal() from None
            if not isinstance(error, ValueError | TypeError | IndexError):
                raise
            raise ValueError(f"rp.onnx.export: the model does not accept inputs of shape "
                             f"(N, {', '.join(map(str, shape))}): {error}") from None
    if exporter.unsupported:
        raise exporter.refusal()
    if output == "input":
        output = graph.node("Identity", ["input"], "output")
    helper, elem = onnx.helper, graph.elem_type()
    onnx_graph = helper.make_graph(
        graph.nodes, "retroprop", [helper.make_tensor_value_info("input", elem, ["N", *shape])],
        [helper.make_tensor_value_info(output, elem, ["N", *result.shape[1:]])],
        graph.initializers)
    from retroprop import __version__

    proto = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="retroprop", producer_version=__version__,
                              ir_version=IR_VERSION)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export(model: Module, path: str | os.PathLike[str], input_shape: int | Sequence[int]) -> Any:
    """Write ``model`` to ``path`` as an ONNX model (opset 17), checked by ``onnx.checker``.

    The graph is the model in inference form: dropout is the identity (or the multiplication
    by the keep probability for ``Dropout(scale="inference")``), batch normalization uses
    the population statistics, noise layers vanish and ``StochasticBinary`` outputs its
    probability, exactly as ``model.eval()`` computes. The input is named ``input`` and has
    shape (N, *input_shape), N free; the file is written atomically. Forward hooks
    (``register_forward_hook``) are Python code, not layers: they are left out, with a
    warning. A layer used at several places (shared weights: ``seq * 3``,
    ``nn.Sequential(layer, nn.ReLU(), layer)``) gives its nodes at each place, which read
    the same initializers: its weights are in the file once.

    Exportable: ``Sequential``, ``Residual``, ``Flatten``, ``Linear`` (with its
    activation), ``Conv2d`` (stride, padding, dilation, groups), ``MaxPool2d``,
    ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``BatchNorm1d``, ``BatchNorm2d``,
    ``LayerNorm``, ``Dropout``, ``GaussianNoise``, ``StochasticBinary`` and every
    activation (``Step``, ``Sign``, ``Sigmoid``, ``Tanh``, ``LeCunTanh``,
    ``TanhLinear``, ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax``, ``LogSoftmax``,
    ``Identity``). Needs ``pip install onnx`` (and ``onnxruntime`` to run the result).

    A float64 model gives a float64 graph, its constants (weights, statistics, ε of batch
    normalization, slopes) in float64; ONNX attributes are float32, which rounds ELU's α
    and LayerNorm's ε (a relative 1e-9 or less). onnxruntime's CPU provider has no float64
    kernels for Conv, AveragePool and Elu: convert such a model to float32
    (``model.to(np.float32)``) to run it there.

    Parameters
    ----------
    model : Module
    path : where to write the ``.onnx`` file
    input_shape : int or sequence of int
        The shape of one example, without the batch axis: ``784`` or ``(1, 28, 28)``.

    Returns
    -------
    onnx.ModelProto
        The model written.

    Raises
    ------
    ValueError
        Naming every layer that has no ONNX form (by its dotted path and class), or when
        the model does not accept inputs of ``input_shape``.

    Examples
    --------
    >>> import os, tempfile, retroprop as rp
    >>> model = rp.nn.Sequential(rp.nn.Linear(4, 8), rp.nn.ReLU(), rp.nn.Linear(8, 3))
    >>> proto = rp.onnx.export(model, os.path.join(tempfile.mkdtemp(), "m.onnx"), 4)
    >>> [node.op_type for node in proto.graph.node]
    ['MatMul', 'Add', 'Relu', 'MatMul', 'Add']
    """
    proto = to_onnx(model, input_shape)
    atomic_write(path, proto.SerializeToString())
    return proto
