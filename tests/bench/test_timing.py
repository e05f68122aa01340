"""The benchmarks' timing: warm-up rounds are not timed, rounds alternate, ratios pair rounds."""

import time

import pytest

from retroprop.bench.timing import paired_ratios, trained_rounds


def test_trained_rounds_skips_the_warmup_and_alternates():
    calls, seeds = [], []

    def contender(name, first, later):
        def train(data):
            time.sleep(later if name in calls else first)
            calls.append(name)
            return data
        return train

    results = trained_rounds({"slow_start": contender("slow_start", 0.3, 0.01),
                              "steady": contender("steady", 0.02, 0.02)},
                             (0.5,), rounds=3, seed=seeds.append, warmup=1, pause=0)
    assert calls == ["slow_start", "steady"] * 4
    assert seeds == [0, 0, 1, 1, 2, 2, 3, 3]
    assert len(results["slow_start"]["rounds"]) == 3
    # the 0.3 s first call was the untimed warm-up (a sleep never ends early)
    assert max(results["slow_start"]["rounds"]) < 0.2
    assert min(results["steady"]["rounds"]) >= 0.02
    assert results["steady"]["accuracy"] == 0.5


def test_paired_ratios_divide_round_by_round():
    assert paired_ratios([1.0, 2.0, 6.0], [2.0, 2.0, 3.0]) == [0.5, 1.0, 2.0]
    with pytest.raises(ValueError):
        paired_ratios([1.0], [1.0, 2.0])
