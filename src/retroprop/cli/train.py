"""``retroprop train`` and ``retroprop evaluate``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

import retroprop as rp
from retroprop.cli.config import TrainConfig
from retroprop.report import build_report, save_predictions
from retroprop.serialization import read_metadata


def prepare(X: np.ndarray, preprocessing: dict[str, Any], input_shape: list[int]) -> np.ndarray:
    """Apply the preprocessing saved with a model, then reshape to its input shape."""
    if preprocessing["kind"] == "scale":
        X = rp.datasets.scale(X, preprocessing["maximum"])
    else:
        X = ((X - np.asarray(preprocessing["mean"])) / np.asarray(preprocessing["scale"]))
    return np.asarray(X, dtype=np.float32).reshape(len(X), *input_shape)


def input_shape_for(config: TrainConfig, image_shape: tuple[int, ...]) -> list[int]:
    """The model's input shape: flat vectors for the MLP, (1, H, W) images for LeNet-5."""
    if config.model == "lenet5":
        if image_shape != (28, 28):
            raise ValueError(f"--model lenet5 needs 28x28 images, the data set has examples "
                             f"of shape {image_shape}")
        return [1, 28, 28]
    if config.model == "mlp":
        return [int(np.prod(image_shape))]
    raise ValueError(f"unknown model {config.model!r}; known: mlp, lenet5")


def build_model(config: TrainConfig, input_shape: list[int], classes: int) -> rp.nn.Module:
    if config.model == "lenet5":
        return rp.models.lenet5(classes, activation=config.activation)
    sizes = [int(np.prod(input_shape)), *config.hidden_sizes(), classes]
    return rp.models.mlp(sizes, activation=config.activation, dropout=config.dropout)


def optimizer_settings(config: TrainConfig) -> dict[str, Any]:
    """The flags that the chosen optimizer takes: lr for the rate-based ones, momentum
    and nesterov for SGD, none for vSGD and Levenberg–Marquardt."""
    name = config.optimizer.lower().replace("-", "_")
    if name in ("vsgd", "levenberg_marquardt", "lm"):
        return {}
    settings: dict[str, Any] = {"lr": config.lr}
    if name == "sgd":
        settings |= {"momentum": config.momentum, "nesterov": config.nesterov}
    elif name in ("adaptive_gains", "rmsprop"):
        settings["momentum"] = config.momentum
    return settings


def train(config: TrainConfig) -> dict[str, Any]:
    """Train as ``config`` says, save the run, and return its summary."""
    rp.manual_seed(config.seed)
    ((X, y), (X_test, y_test)), maximum = rp.datasets.load(config.dataset)
    if y.dtype.kind not in "iu":
        raise ValueError(f"{config.dataset}: retroprop train trains classifiers; the labels must "
                         f"be integers, got dtype {y.dtype}")
    if maximum is not None:
        preprocessing: dict[str, Any] = {"kind": "scale", "maximum": maximum}
    else:
        scaler = rp.data.StandardScaler().fit(X.reshape(len(X), -1))
        preprocessing = {"kind": "standardize", "mean": scaler.mean_.tolist(),
                         "scale": scaler.scale_.tolist()}
    input_shape = input_shape_for(config, X.shape[1:])
    X, X_test = prepare(X, preprocessing, input_shape), prepare(X_test, preprocessing, input_shape)
    classes = int(max(y.max(), y_test.max())) + 1
    model = build_model(config, input_shape, classes)
    optimizer = rp.optim.create(config.optimizer, model.parameters(),
                                **optimizer_settings(config))
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)

    output = Path(config.output or f"runs/{Path(config.dataset).stem}-"
                  f"{time.strftime('%Y%m%d-%H%M%S')}")
    output.mkdir(parents=True, exist_ok=True)
    callbacks: list[rp.callbacks.Callback] = [rp.callbacks.GradientMonitor(),
                                              rp.callbacks.CSVLogger(output / "history.csv")]
    if config.patience is not None:
        callbacks.append(rp.callbacks.EarlyStopping(patience=config.patience))
    start = time.perf_counter()
    history = trainer.fit(X, y, epochs=config.epochs, batch_size=config.batch_size or None,
                          validation_split=config.validation_split, callbacks=callbacks)
    seconds = time.perf_counter() - start
    result = trainer.evaluate(X_test, y_test)
    metadata = {"dataset": config.dataset, "preprocessing": preprocessing,
                "input_shape": input_shape, "classes": classes, "config": config.as_dict(),
                "test": result}
    rp.save(model, output / "model.rpz", metadata=metadata)
    save_predictions(output, y_test, trainer.predict_classes(X_test), X_test)
    report = build_report(output)
    rp.viz.plot_history(history.history, output / "learning_curves.png",
                        title=f"{config.model} on {config.dataset}")
    (output / "config.json").write_text(json.dumps(config.as_dict(), indent=2))
    print(f"test loss {result['loss']:.4f}  test accuracy {result['accuracy']:.4f}  "
          f"({seconds:.1f} s of training)")
    print(f"saved model, history.csv, learning_curves.png and {report.name} in {output}")
    return {"output": str(output), "seconds": seconds, **result}


def evaluate(model_path: str, dataset: str | None) -> dict[str, Any]:
    """Accuracy and confusion matrix of a saved model on a data set's test split."""
    metadata = read_metadata(model_path)
    model = rp.load(model_path)
    name = dataset or metadata.get("dataset")
    if name is None:
        raise ValueError("evaluate: the model file names no dataset; pass --dataset")
    (_, (X, y)), _ = rp.datasets.load(name)
    if "preprocessing" not in metadata:
        raise ValueError(f"evaluate: {model_path} holds no preprocessing metadata; it was not "
                         "saved by retroprop train")
    X = prepare(X, metadata["preprocessing"], metadata["input_shape"])
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters()))
    result = trainer.evaluate(X, y)
    matrix = rp.metrics.confusion_matrix(y, trainer.predict_classes(X),
                                         num_classes=metadata.get("classes"))
    print(f"{name}: test loss {result['loss']:.4f}  accuracy {result['accuracy']:.4f}")
    print("confusion matrix (rows: true class, columns: predicted class)")
    width = max(4, len(str(matrix.max())) + 1)
    print(" " * 4 + "".join(f"{j:>{width}}" for j in range(len(matrix))))
    for i, row in enumerate(matrix):
        print(f"{i:>3} " + "".join(f"{v:>{width}}" for v in row))
    return {**result, "confusion_matrix": matrix}
