"""Settings of ``retroprop train``: defaults, a TOML file, then command-line flags.

Every setting is type-checked wherever it comes from (a TOML string "no" is not a
boolean), and the settings that the chosen model, optimizer and data do not use are
reported and left out of the run's record.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

# What each setting accepts, as (Python types, words for the error message).
KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "a string"),
    "int": ((int,), "an integer"),
    "float": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "hidden": ((str, int, list), 'a list of integers such as [256, 128], or "256,128"'),
    "label": ((str, int), "a column name or an integer index"),
}

#: The settings that only some optimizers take (the others ignore them).
MOMENTUM_OPTIMIZERS = ("sgd", "adaptive_gains", "rmsprop")
NO_LEARNING_RATE = ("vsgd", "levenberg_marquardt", "lm")


@dataclass
class TrainConfig:
    """Every setting of ``retroprop train`` (the TOML keys have these names)."""

    dataset: str = "digits"
    model: str = "mlp"
    hidden: Any = "256,128"
    activation: str = "relu"
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = False
    epochs: int = 20
    batch_size: int = 32
    dropout: float = 0.0
    validation_split: float = 0.1
    class_weight: str | None = None
    patience: int | None = None
    seed: int = 0
    checkpoint_every: int = 100
    label_column: Any = None
    missing: str = "error"
    verbose: int = 1
    overwrite: bool = False
    output: str | None = None

    def hidden_sizes(self) -> list[int]:
        hidden = self.hidden
        parts = hidden if isinstance(hidden, list) else str(hidden).split(",")
        try:
            sizes = [_integer(s) for s in parts if not isinstance(s, str) or s.strip()]
        except ValueError:
            raise ValueError(f"--hidden must be comma-separated integers such as 256,128, got "
                             f"{hidden!r}") from None
        if any(s <= 0 for s in sizes):
            raise ValueError(f"--hidden sizes must be positive, got {hidden!r}")
        return sizes

    def optimizer_key(self) -> str:
        return self.optimizer.lower().replace("-", "_")

    def unused(self, tabular: bool, cross_validation: bool = False) -> dict[str, str]:
        """The settings that this configuration does not use, each with the reason;
        ``cross_validation``: ``--cv K`` trains one network per fold, without a validation
        split, early stopping, checkpoints, a run folder or progress output."""
        reasons: dict[str, str] = {}
        if self.model == "lenet5":
            reasons |= dict.fromkeys(("hidden", "dropout"), "--model lenet5 has a fixed "
                                     "architecture")
        key = self.optimizer_key()
        if key not in MOMENTUM_OPTIMIZERS:
            reasons["momentum"] = f"--optimizer {self.optimizer} takes no momentum"
        if key != "sgd":
            reasons["nesterov"] = f"--optimizer {self.optimizer} has no Nesterov form"
        if key in NO_LEARNING_RATE:
            reasons["lr"] = f"--optimizer {self.optimizer} sets its own step sizes"
        if not tabular:
            reasons |= dict.fromkeys(("label_column", "missing"), "they apply to CSV files")
        if self.patience is None:
            reasons["patience"] = "no early stopping"
        if self.class_weight is None:
            reasons["class_weight"] = "the classes weigh alike"
        if cross_validation:
            reasons |= dict.fromkeys(
                ("validation_split", "patience", "checkpoint_every", "output", "overwrite",
                 "verbose"), "--cv trains each fold for --epochs and prints only the scores")
        return reasons

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(value)
    return int(value)


def _kind(name: str) -> str:
    if name == "hidden":
        return "hidden"
    if name == "label_column":
        return "label"
    field_type = {f.name: str(f.type) for f in fields(TrainConfig)}[name]
    return field_type.split(" |")[0]


def check_types(settings: dict[str, Any], where: str) -> dict[str, Any]:
    """Each setting's value against its type; TOML lists of integers for ``hidden``."""
    for name, value in settings.items():
        if value is None:
            continue
        accepted, words = KINDS[_kind(name)]
        wrong_bool = isinstance(value, bool) and bool not in accepted
        if wrong_bool or not isinstance(value, accepted):
            raise ValueError(f"{where}: {name} must be {words}, got {value!r} "
                             f"({type(value).__name__})")
        if name == "hidden" and isinstance(value, list) and not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(f"{where}: hidden must be a list of integers, got {value!r}")
    return settings


def load_toml(path: str | Path, where: str) -> dict[str, Any]:
    """A TOML file's tables, or a clear error (``where`` names the option or command)."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise FileNotFoundError(f"{where}: no file {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{where} {path}: not valid TOML ({error})") from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """Settings from a TOML file: top-level keys or a ``[train]`` table (not both),
    type-checked."""
    data = load_toml(path, "--config")
    if isinstance(data.get("train"), dict):
        outside = sorted(set(data) - {"train"})
        if outside:
            raise ValueError(f"--config {path}: with a [train] table every setting goes in it; "
                             f"found {outside} outside it (before the [train] line)")
        data = data["train"]
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"--config {path}: unknown settings {unknown}; known: {sorted(known)}")
    return check_types(data, f"--config {path}")


def recorded(run_dir: str | Path) -> TrainConfig:
    """The settings of the run in ``run_dir`` (its ``config.json``), for ``--resume``."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"--resume {run_dir}: no {path}; give the folder of a run "
                                "started by retroprop train")
    try:
        settings = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"--resume {run_dir}: {path} is not valid JSON ({error})") from None
    known = {f.name for f in fields(TrainConfig)}
    if not isinstance(settings, dict) or not set(settings) >= {"dataset", "output"}:
        raise ValueError(f"--resume {run_dir}: {path} is not the record of a retroprop run")
    settings = {k: v for k, v in settings.items() if k in known}
    return TrainConfig(**check_types(settings, f"--resume {run_dir} ({path})"))


def resolve(file_settings: dict[str, Any], flags: dict[str, Any]
            ) -> tuple[TrainConfig, set[str]]:
    """Defaults, overridden by the file, overridden by the flags given; and the names of
    the settings that the user gave (in the file or as flags)."""
    given = {k: v for k, v in flags.items() if v is not None}
    settings = check_types({**file_settings, **given}, "retroprop train")
    return TrainConfig(**settings), set(settings)
