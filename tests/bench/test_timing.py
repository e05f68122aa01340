"""The benchmarks' timing: warm-up rounds are not timed, rounds alternate, ratios pair rounds.

A fake clock that only the contenders advance makes every time exact: no test depends
on the load of the machine."""

import pytest

from retroprop.bench.timing import interleaved, paired_ratios, ratio_summary, trained_rounds


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_trained_rounds_skips_the_warmup_and_alternates():
    clock, calls, seeds = FakeClock(), [], []

    def contender(name, first, later):
        def train(data):
            clock.now += later if name in calls else first
            calls.append(name)
            return data
        return train

    results = trained_rounds({"slow_start": contender("slow_start", 0.3, 0.01),
                              "steady": contender("steady", 0.02, 0.02)},
                             (0.5,), rounds=3, seed=seeds.append, warmup=1, pause=0,
                             clock=clock)
    assert calls == ["slow_start", "steady"] * 4
    assert seeds == [0, 0, 1, 1, 2, 2, 3, 3]
    # the 0.3 s first call was the untimed warm-up round
    assert results["slow_start"]["rounds"] == pytest.approx([0.01] * 3)
    assert results["steady"]["rounds"] == pytest.approx([0.02] * 3)
    assert results["slow_start"]["seconds"] == pytest.approx(0.01)
    assert results["steady"]["accuracy"] == 0.5


def test_interleaved_times_each_round_after_its_warmup_calls():
    clock, calls = FakeClock(), []

    def contender(name, seconds):
        def call():
            calls.append(name)
            clock.now += seconds * len(calls)  # every call slower than the one before
        return call

    samples = interleaved({"a": contender("a", 1.0), "b": contender("b", 10.0)}, rounds=2,
                          repeat=2, warmup=1, pause=0, clock=clock)
    assert calls == ["a"] * 3 + ["b"] * 3 + ["a"] * 3 + ["b"] * 3
    # the k-th call overall takes k (a) or 10·k (b) seconds; each round times its calls
    # after the first: a's 2nd and 3rd, b's 5th and 6th, a's 8th and 9th, b's 11th and 12th
    assert samples["a"] == pytest.approx([2.5, 8.5])
    assert samples["b"] == pytest.approx([55.0, 115.0])


def test_paired_ratios_divide_round_by_round():
    assert paired_ratios([1.0, 2.0, 6.0], [2.0, 2.0, 3.0]) == [0.5, 1.0, 2.0]
    with pytest.raises(ValueError):
        paired_ratios([1.0], [1.0, 2.0])


def test_ratio_summary_is_the_median_within_round_ratio_and_its_range():
    summary = ratio_summary([1.0, 2.0, 6.0, 1.0], [2.0, 2.0, 3.0, 4.0])
    assert summary == {"ratio": pytest.approx(0.75), "ratio_min": 0.25, "ratio_max": 2.0}
