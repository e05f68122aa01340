"""Settings of ``retroprop train``: defaults, a TOML file, then command-line flags."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass
class TrainConfig:
    """Every setting of ``retroprop train`` (the TOML keys have these names)."""

    dataset: str = "digits"
    model: str = "mlp"
    hidden: str = "256,128"
    activation: str = "relu"
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = False
    epochs: int = 20
    batch_size: int = 32
    dropout: float = 0.0
    validation_split: float = 0.1
    patience: int | None = None
    seed: int = 0
    output: str | None = None

    def hidden_sizes(self) -> list[int]:
        try:
            sizes = [int(s) for s in str(self.hidden).split(",") if s.strip()]
        except ValueError:
            raise ValueError(f"--hidden must be comma-separated integers such as 256,128, got "
                             f"{self.hidden!r}") from None
        if any(s <= 0 for s in sizes):
            raise ValueError(f"--hidden sizes must be positive, got {self.hidden!r}")
        return sizes

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Settings from a TOML file: top-level keys or a ``[train]`` table."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise FileNotFoundError(f"--config: no file {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"--config {path}: not valid TOML ({error})") from None
    data = data.get("train", data)
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"--config {path}: unknown settings {unknown}; known: {sorted(known)}")
    return data


def resolve(file_settings: dict[str, Any], flags: dict[str, Any]) -> TrainConfig:
    """Defaults, overridden by the file, overridden by the flags given."""
    given = {k: v for k, v in flags.items() if v is not None}
    return TrainConfig(**{**file_settings, **given})
