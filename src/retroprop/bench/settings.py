"""What a benchmark run is asked for: quick or full, how many rounds, how many images."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """``quick``: random stand-in data, tiny sizes, one round (a check that everything
    runs, not a measurement). ``rounds``: timed rounds after the warm-up round (None:
    each benchmark's default). ``samples``: training (and at most as many test) images of
    the Fashion-MNIST epochs (None: all 60000 and 10000), for shorter runs on a busy
    machine."""

    quick: bool = False
    rounds: int | None = None
    samples: int | None = None

    def __post_init__(self) -> None:
        for name in ("rounds", "samples"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"retroprop bench: {name} must be a positive integer, "
                                 f"got {value!r}")

    def rounds_or(self, default: int) -> int:
        return 1 if self.quick else self.rounds or default

    @property
    def pause(self) -> float:
        """Seconds between contenders, for the other library's threads to go idle."""
        return 0.0 if self.quick else 0.3
