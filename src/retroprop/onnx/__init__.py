"""ONNX export of trained networks: ``rp.onnx.export(model, "model.onnx", input_shape)``.

Needs the optional ``onnx`` package (``pip install onnx onnxruntime``), imported only
when a model is exported.
"""

from retroprop.onnx.export import export, to_onnx
from retroprop.onnx.layers import CONVERTERS

__all__ = ["CONVERTERS", "export", "to_onnx"]
