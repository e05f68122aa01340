"""Interleaved timing: alternate the contenders round by round and compare medians, or
the ratios of the times taken within a round.

NumPy's OpenBLAS and PyTorch's OpenMP keep their worker threads spinning for
a while after each call; on a 2-core machine a contender that starts right
after the other would share the cores with those spinning threads. Each
block therefore starts after a short pause and a few warm-up calls.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def interleaved(contenders: Mapping[str, Callable[[], object]], rounds: int, repeat: int,
                warmup: int = 3, pause: float = 0.3,
                clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Seconds per call of each contender in every round, measured in alternating rounds
    (each round's block of ``repeat`` calls after ``warmup`` untimed ones)."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            time.sleep(pause)
            for _ in range(warmup):
                fn()
            start = clock()
            for _ in range(repeat):
                fn()
            samples[name].append((clock() - start) / repeat)
    return samples


def trained_rounds(contenders: Mapping[str, Callable[..., float]], data: tuple[Any, ...],
                   rounds: int, seed: Callable[[int], object], warmup: int = 1,
                   pause: float = 0.3, clock: Callable[[], float] = time.perf_counter
                   ) -> dict[str, dict[str, Any]]:
    """Train each contender from scratch on ``data`` in alternating rounds (``seed(round)``
    first), after ``warmup`` untimed rounds that pay the libraries' first-call costs
    (thread pools, kernel dispatch, lazy imports). For each contender: the seconds of
    every timed round (``"rounds"``), their median, and the last test accuracy."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    accuracy: dict[str, float] = {}
    for round_ in range(warmup + rounds):
        for name, train in contenders.items():
            seed(round_)
            time.sleep(pause)
            start = clock()
            accuracy[name] = train(*data)
            if round_ >= warmup:
                times[name].append(clock() - start)
    return {name: {"seconds": statistics.median(times[name]), "rounds": times[name],
                   "accuracy": accuracy[name]} for name in contenders}


def paired_ratios(ours: Sequence[float], theirs: Sequence[float]) -> list[float]:
    """ours / theirs round by round: the two runs of a round saw the same load on the
    machine, so their ratio is steadier than the ratio of two medians."""
    return [a / b for a, b in zip(ours, theirs, strict=True)]


def ratio_summary(ours: Sequence[float], theirs: Sequence[float]) -> dict[str, float]:
    """The median of the within-round ratios ours / theirs, with their range."""
    ratios = paired_ratios(ours, theirs)
    return {"ratio": statistics.median(ratios), "ratio_min": min(ratios),
            "ratio_max": max(ratios)}
