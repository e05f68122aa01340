"""``retroprop export MODEL --onnx out.onnx``: a saved model (a model file, or the
``model.rpz`` of a run folder, as ``retroprop evaluate`` takes it) as an ONNX file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register the ``export`` sub-command."""
    export = commands.add_parser(
        "export", help="write a saved model as an ONNX file",
        description="Write a model saved by retroprop (model.rpz) as an ONNX model "
                    "(needs pip install onnx).")
    export.add_argument("model", help="model file (model.rpz), or a run folder written by "
                                      "retroprop train")
    export.add_argument("--onnx", required=True, metavar="OUT", help="the .onnx file to write")
    export.add_argument("--input-shape", metavar="SHAPE",
                        help="shape of one example without the batch axis, comma-separated "
                             "(e.g. 1,28,28); default: the one retroprop train saved, or the "
                             "first Linear layer's in_features")


def input_shape(model: Any, metadata: dict[str, Any], given: str | None) -> list[int]:
    """The shape of one input example: given, saved by ``retroprop train``, or the
    ``in_features`` of a ``Linear`` layer that comes before any ``Conv2d`` or ``Flatten``."""
    from retroprop import nn

    if given is not None:
        try:
            return [int(d) for d in given.split(",")]
        except ValueError:
            raise ValueError(f"export: --input-shape must be integers separated by commas, "
                             f"got {given!r}") from None
    if metadata.get("input_shape"):
        return list(metadata["input_shape"])
    for module in model.modules():
        if isinstance(module, nn.Linear):
            return [module.in_features]
        if isinstance(module, nn.Conv2d | nn.Flatten):
            break
    raise ValueError("export: the model file does not say its input shape; pass "
                     "--input-shape (e.g. 1,28,28)")


def run(args: argparse.Namespace) -> None:
    import retroprop as rp
    from retroprop.cli.train import model_file
    from retroprop.serialization import load_model, read_metadata

    path = model_file(args.model)
    model = load_model(path)
    target = Path(args.onnx)
    if target.exists() and target.samefile(path):
        raise ValueError(f"export: --onnx {args.onnx} is the model file being exported; "
                         "choose another path (e.g. model.onnx)")
    shape = input_shape(model, read_metadata(path), args.input_shape)
    rp.onnx.export(model, args.onnx, shape)
    print(f"wrote {args.onnx}: input 'input' of shape (N, {', '.join(map(str, shape))})")
