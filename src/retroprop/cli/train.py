"""``retroprop train`` and ``retroprop evaluate``."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import retroprop as rp
from retroprop.atomic import atomic_write
from retroprop.checks import check_count
from retroprop.cli.config import TrainConfig
from retroprop.cli.labels import encode_labels, label_indices
from retroprop.datasets import DataSet
from retroprop.optim.registry import SAMPLERS
from retroprop.report import PREDICTIONS, build_report, save_predictions
from retroprop.serialization import load_model, read_metadata
from retroprop.train.trainer import training_rows
from retroprop.train.weighted_loss import balanced


def prepare(X: np.ndarray, preprocessing: dict[str, Any], input_shape: list[int],
            where: str = "evaluate") -> np.ndarray:
    """Apply the preprocessing saved with a model, then reshape to its input shape."""
    size = int(np.prod(input_shape))
    if X[0].size != size:
        raise ValueError(f"{where}: the model takes examples of {size} values (shape "
                         f"{tuple(input_shape)}), the data has examples of shape "
                         f"{X.shape[1:]} ({X[0].size} values)")
    if preprocessing["kind"] == "scale":
        X = rp.datasets.scale(X, preprocessing["maximum"])
    else:
        X = ((X.reshape(len(X), -1) - np.asarray(preprocessing["mean"]))
             / np.asarray(preprocessing["scale"]))
    return np.asarray(X, dtype=np.float32).reshape(len(X), *input_shape)


def standardization(X: np.ndarray) -> dict[str, Any]:
    """The preprocessing of a feature table (what ``prepare`` applies, what the model file
    records): each feature's mean and scale over the rows of ``X``."""
    scaler = rp.data.StandardScaler().fit(X.reshape(len(X), -1))
    return {"kind": "standardize", "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist()}


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
    unused = config.unused(tabular=False)
    return {k: getattr(config, k) for k in ("lr", "momentum", "nesterov") if k not in unused}


def check(config: TrainConfig, given: set[str], tabular: bool,
          cross_validation: bool = False) -> dict[str, Any]:
    """Refuse what cannot work before loading the data or writing anything; warn about
    the settings given that do not apply (``cross_validation``: to ``--cv K``); return the
    settings used (what the run records)."""
    unused = config.unused(tabular, cross_validation)
    if config.optimizer_key() in SAMPLERS:
        raise ValueError(f"--optimizer {config.optimizer} draws weight vectors from the "
                         "posterior, to be averaged, and retroprop train keeps one: use "
                         "rp.optim.SGLD with rp.callbacks.PosteriorSamples from Python (see "
                         "`retroprop experiment bayesian-fitting`)")
    if "patience" not in unused and not config.validation_split > 0:
        raise ValueError(f"--patience {config.patience} stops training when the validation "
                         "loss stops improving, so it needs a validation set: give "
                         "--validation-split > 0 (it is 0)")
    if config.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {config.epochs}")
    if config.batch_size < 0:
        raise ValueError(f"--batch-size must be a number of examples, or 0 for full-batch "
                         f"learning, got {config.batch_size}")
    if not 0 <= config.validation_split < 1:
        raise ValueError(f"--validation-split must be a fraction in [0, 1), got "
                         f"{config.validation_split}")
    if config.checkpoint_every < 0:
        raise ValueError(f"--checkpoint-every must be 0 (after epochs only) or a number of "
                         f"batches, got {config.checkpoint_every}")
    if config.class_weight not in (None, "balanced"):
        raise ValueError(f"--class-weight must be balanced (n_samples / (n_classes · "
                         f"count(class)), as scikit-learn's), got {config.class_weight!r}")
    if config.verbose not in (0, 1, 2):
        raise ValueError(f"--verbose must be 0, 1 or 2, got {config.verbose}")
    for name in sorted(given & set(unused)):
        print(f"retroprop: warning: --{name.replace('_', '-')} is ignored: {unused[name]}",
              file=sys.stderr)
    used = {k: v for k, v in config.as_dict().items()
            if k not in unused and k not in ("verbose", "overwrite")}
    if "hidden" in used:
        used["hidden"] = config.hidden_sizes()
    return used


#: The files that a run writes in its folder.
RUN_FILES = ("config.json", "checkpoint.rpz", "history.csv", "model.rpz", PREDICTIONS,
             "report.html", "learning_curves.png")


def run_folder(config: TrainConfig, dataset: str) -> Path:
    """A new folder for the run: ``--output`` (refused if it exists and is not empty,
    unless ``--overwrite``, which first deletes the :data:`RUN_FILES` of the run it
    replaces, so that neither ``--resume`` nor ``evaluate`` can take the old run's
    checkpoint or model for the new one's), or ``runs/<dataset>-<time>`` with ``-2``,
    ``-3``, ... added when runs start in the same second."""
    if config.output:
        output = Path(config.output)
        if output.exists() and any(output.iterdir()):
            if not config.overwrite:
                raise FileExistsError(f"--output {output} already exists and is not empty; "
                                      "choose another folder or pass --overwrite to replace "
                                      "its files")
            for name in RUN_FILES:
                (output / name).unlink(missing_ok=True)
        output.mkdir(parents=True, exist_ok=True)
        return output
    base = Path("runs") / f"{Path(dataset).stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    base.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        output = base if attempt == 1 else base.with_name(f"{base.name}-{attempt}")
        try:
            output.mkdir()  # atomic: of two runs, only one creates a given folder
            return output
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a new run folder next to {base}")


def is_tabular(config: TrainConfig) -> bool:
    """Whether the data set is a CSV file (``--label-column`` and ``--missing`` apply)."""
    return Path(config.dataset).suffix.lower() == ".csv"


@dataclass
class Prepared:
    """A data set as ``retroprop train`` trains on it: ``X``, ``X_test`` preprocessed and
    shaped as the model's input; ``y``, ``y_test`` class indices 0..``classes``-1, named by
    ``class_names`` (None when the labels were indices already). ``preprocessing`` is None
    when a feature table was left as loaded, for cross-validation to standardize each fold
    with its own training rows."""

    data: DataSet
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    preprocessing: dict[str, Any] | None
    input_shape: list[int]
    classes: int
    class_names: list[str] | None


def load_prepared(config: TrainConfig, standardize: bool = True) -> Prepared:
    """Load ``config.dataset`` (a CSV file with ``label_column`` and ``missing``), encode
    its labels as class indices and preprocess its examples: images scaled by their maximum,
    feature tables standardized with the mean and scale of the rows the model trains on
    (the training split less the validation rows ``fit`` takes from its end; left as
    loaded when ``standardize`` is False)."""
    options = {"label_column": config.label_column, "missing": config.missing}
    data = rp.datasets.load_dataset(config.dataset, **(options if is_tabular(config) else {}))
    (X, y), (X_test, y_test) = data.train, data.test
    y, y_test, class_names = encode_labels(y, y_test, data.class_names, data.source)
    preprocessing: dict[str, Any] | None = None
    if data.maximum is not None:
        preprocessing = {"kind": "scale", "maximum": data.maximum}
    elif standardize:
        preprocessing = standardization(X[:training_rows(len(X), config.validation_split)])
    input_shape = input_shape_for(config, X.shape[1:])
    if preprocessing is not None:
        X, X_test = (prepare(a, preprocessing, input_shape, "train") for a in (X, X_test))
    classes = len(class_names) if class_names else int(max(y.max(), y_test.max())) + 1
    return Prepared(data, X, y, X_test, y_test, preprocessing, input_shape, classes,
                    class_names)


class EpochLogger(rp.callbacks.CSVLogger):
    """``history.csv`` with epochs numbered from 1, as the console and the plots show them."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        super().on_epoch_end(epoch + 1, logs)


def train(config: TrainConfig, given: set[str] | None = None, resume: bool = False
          ) -> dict[str, Any]:
    """Train as ``config`` says, save the run, and return its summary.

    ``given`` names the settings that the user chose (the others are defaults): those that
    do not apply are reported. The run folder holds ``config.json`` from the start and a
    resumable ``checkpoint.rpz`` (every ``checkpoint_every`` batches and every epoch);
    ``resume`` continues the run in ``config.output`` from that checkpoint.
    """
    used = check(config, given or set(), is_tabular(config))  # before the (slow) loading
    prepared = load_prepared(config)
    data = prepared.data
    rp.manual_seed(config.seed)
    model = build_model(config, prepared.input_shape, prepared.classes)
    optimizer = rp.optim.create(config.optimizer, model.parameters(),
                                **optimizer_settings(config))
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)

    output = Path(config.output) if resume and config.output else run_folder(config,
                                                                                 data.source)
    used |= {"dataset": data.source, "output": str(output.resolve())}
    checkpoint = output / "checkpoint.rpz"
    if resume and not checkpoint.is_file():
        raise FileNotFoundError(f"--resume {output}: no {checkpoint}; the run stopped before "
                                "its first checkpoint: start it again")
    if not resume:
        atomic_write(output / "config.json", json.dumps(used, indent=2))
    callbacks: list[rp.callbacks.Callback] = [
        rp.callbacks.GradientMonitor(), EpochLogger(output / "history.csv"),
        rp.callbacks.ModelCheckpoint(checkpoint, resumable=True,
                                     every_batches=config.checkpoint_every or None)]
    if config.patience is not None:
        callbacks.append(rp.callbacks.EarlyStopping(patience=config.patience))
    class_weight = None if config.class_weight is None else balanced(
        prepared.y[:training_rows(len(prepared.y), config.validation_split)])
    start = time.perf_counter()
    try:
        # the progress bar is not part of the run's state: --resume may print another way
        history = trainer.fit(prepared.X, prepared.y, epochs=config.epochs,
                              batch_size=config.batch_size or None,
                              validation_split=config.validation_split, callbacks=callbacks,
                              verbose=config.verbose, resume_from=checkpoint if resume else None,
                              class_weight=class_weight)
    except KeyboardInterrupt:
        print(f"retroprop: interrupted; continue with: retroprop train --resume {output}",
              file=sys.stderr)
        raise
    seconds = time.perf_counter() - start
    result = trainer.evaluate(prepared.X_test, prepared.y_test)
    metadata = {"dataset": data.source, "preprocessing": prepared.preprocessing,
                "input_shape": prepared.input_shape, "classes": prepared.classes,
                "class_names": prepared.class_names,
                "data_kind": data.kind, "image_shape": list(data.train[0].shape[1:]),
                "feature_names": data.feature_names,
                "config": used, "test": result}
    rp.save(model, output / "model.rpz", metadata=metadata)
    save_predictions(output, prepared.y_test, trainer.predict_classes(prepared.X_test),
                     prepared.X_test)
    report = build_report(output)
    rp.viz.plot_history(history.history, output / "learning_curves.png",
                        title=f"{config.model} on {Path(data.source).name}")
    atomic_write(output / "config.json", json.dumps(used, indent=2))
    print(f"test loss {result['loss']:.4f}  test accuracy {result['accuracy']:.4f}  "
          f"({seconds:.1f} s of training)")
    print(f"saved model, history.csv, learning_curves.png and {report.name} in {output}")
    return {"output": str(output), "seconds": seconds, **result}


def model_file(path: str) -> Path:
    """A model file, or the ``model.rpz`` of a run folder."""
    candidate = Path(path)
    return candidate / "model.rpz" if candidate.is_dir() else candidate


def print_confusion(matrix: np.ndarray, class_names: list[str] | None) -> None:
    names = [n[:12] for n in class_names] if class_names else [str(i) for i in
                                                               range(len(matrix))]
    head = max(3, *(len(n) for n in names))
    width = max(4, len(str(matrix.max())) + 1, *(len(n) + 1 for n in names))
    print(" " * (head + 1) + "".join(f"{n:>{width}}" for n in names))
    for name, row in zip(names, matrix, strict=True):
        print(f"{name:>{head}} " + "".join(f"{v:>{width}}" for v in row))


def evaluate(model_path: str, dataset: str | None, label_column: str | None = None,
             missing: str | None = None, batch_size: int | None = None) -> dict[str, Any]:
    """Accuracy and confusion matrix of a saved model (or a run folder) on a data set's test
    split; a CSV file is read with the model's ``label_column`` and ``missing``, or with
    these where given. The model takes ``batch_size`` examples at a time (default
    :data:`~retroprop.train.trainer.PREDICT_BATCH`), which bounds the memory, not the
    results."""
    if batch_size is not None:
        check_count(batch_size, "evaluate: --batch-size", also="(examples at a time)")
    path = model_file(model_path)
    metadata = read_metadata(path)
    model = load_model(path)
    name = dataset or metadata.get("dataset")
    if name is None:
        raise ValueError("evaluate: the model file names no dataset; pass --dataset")
    if "preprocessing" not in metadata:
        raise ValueError(f"evaluate: {path} holds no preprocessing metadata; it was not "
                         "saved by retroprop train")
    settings = metadata.get("config", {})
    given = {"label_column": label_column, "missing": missing}
    options: dict[str, Any] = {k: given[k] if given[k] is not None else settings[k]
                               for k in given if given[k] is not None or k in settings}
    data = rp.datasets.load_dataset(name, **(
        options if Path(name).suffix.lower() == ".csv" else {}))
    X, y = data.test
    class_names = metadata.get("class_names")
    if class_names is not None or data.class_names is not None:
        y = label_indices(y, data.class_names, class_names, f"evaluate --dataset {name}")
    X = prepare(X, metadata["preprocessing"], metadata["input_shape"],
                f"evaluate --dataset {name}")
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters()))
    result = trainer.evaluate(X, y, batch_size)
    matrix = rp.metrics.confusion_matrix(y, trainer.predict_classes(X, batch_size),
                                         num_classes=metadata.get("classes"))
    print(f"{name}: test loss {result['loss']:.4f}  accuracy {result['accuracy']:.4f}")
    print("confusion matrix (rows: true class, columns: predicted class)")
    print_confusion(matrix, class_names)
    return {**result, "confusion_matrix": matrix}
