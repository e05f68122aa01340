"""A small builder of ONNX graphs: nodes with fresh output names and initializers."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


def require_onnx() -> Any:
    """The ``onnx`` package, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install onnx onnxruntime "
                          "(or pip install 'retroprop[onnx]')") from None
    return onnx


class Graph:
    """Nodes and initializers of one ONNX graph, in the order they are added.

    Parameters
    ----------
    dtype : float32 or float64
        The dtype of the model: constants are stored in it.
    """

    def __init__(self, dtype: np.dtype) -> None:
        self.onnx = require_onnx()
        self.dtype = np.dtype(dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()
        self._stored: dict[tuple[int, str, tuple[int, ...], bytes], str] = {}
        #: the module whose nodes are being added (set by the exporter): a constant is
        #: stored once per module that gives it, so that only a module used again shares
        self.owner: object = None

    def _fresh(self, hint: str) -> str:
        """A name not used before in the graph: ``hint`` (the layer's path; "output" for
        the empty path of a model that is a single layer), then ``hint_2``, ``hint_3``..."""
        hint = hint or "output"
        name, count = hint, 1
        while name in self._names:
            count += 1
            name = f"{hint}_{count}"
        self._names.add(name)
        return name

    def constant(self, value: Any, hint: str, dtype: Any = None) -> str:
        """An initializer holding ``value`` (in the model's dtype unless ``dtype`` is given);
        returns its name. A value that the same module (:attr:`owner`) gave before (the same
        dtype, shape and bytes: the weights of a layer used at several places, shared
        weights) is not stored again: the name of its initializer is returned, which the
        nodes of each use read. Equal values of distinct modules (two biases of 0) are
        stored apart, each named by its module's path."""
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype or self.dtype))
        key = (id(self.owner), array.dtype.str, array.shape,
               hashlib.sha256(array.data).digest())
        if key not in self._stored:
            self._stored[key] = self._fresh(hint)
            self.initializers.append(self.onnx.numpy_helper.from_array(array,
                                                                      self._stored[key]))
        return self._stored[key]

    def node(self, op: str, inputs: list[str], hint: str, **attributes: Any) -> str:
        """Add the node ``op(inputs)`` with ``attributes``; returns its output's name."""
        output = self._fresh(hint)
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output,
                                                     **attributes))
        return output

    def elem_type(self) -> int:
        """The ONNX element type of the model's dtype."""
        return self.onnx.helper.np_dtype_to_tensor_dtype(self.dtype)
