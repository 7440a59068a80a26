"""Single-row latency timing stops when its quantiles are precise enough, not at a fixed count."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from shipml.gate import budgets
from shipml.gate.budgets import PRECISION_MIN_CALLS, _rows_until_precise, precise_enough, quantile_ci


def test_quantile_ci_covers_the_true_quantile_at_about_95_percent() -> None:
    """Distribution-free: the same coverage on a skewed latency-like distribution."""
    rng = np.random.default_rng(3)
    truth = {0.5: 1.0, 0.95: float(np.exp(1.6448536269514722))}  # lognormal(0, 1): exp(z_q)
    for q in (0.5, 0.95):
        hits = 0
        for _ in range(1000):
            lo, _, hi = quantile_ci(rng.lognormal(0.0, 1.0, 300), q)
            hits += lo <= truth[q] <= hi
        assert 0.93 <= hits / 1000 <= 0.985, (q, hits)


def _fake_clock(monkeypatch: pytest.MonkeyPatch, draw: Any) -> list[int]:
    calls = [0]

    def fake_time(call: Any, frame: Any) -> float:
        calls[0] += 1
        return float(draw())

    monkeypatch.setattr(budgets, "_time", fake_time)
    return calls


def _run(rounds: int = 3, rows: int = 200, precision: float = 0.05) -> list[list[float]]:
    inputs = [[object()] * rows, [object()] * rows]
    return _rows_until_precise([None, None], inputs, rounds, time.monotonic() + 60, precision)


def test_steady_timings_stop_at_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    _fake_clock(monkeypatch, lambda: 2.0 + rng.normal(0, 0.01))
    times = _run()
    assert len(times[0]) == len(times[1]) == PRECISION_MIN_CALLS  # 100, not 600
    assert all(precise_enough(t, 0.05) for t in times)


def test_noisy_timings_are_measured_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    _fake_clock(monkeypatch, lambda: rng.lognormal(0.0, 1.5))
    times = _run()
    assert len(times[0]) == len(times[1]) == 600  # latency_rows × repeats: the documented cap
    assert not precise_enough(times[0], 0.05)


def test_a_looser_precision_stops_sooner(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    _fake_clock(monkeypatch, lambda: rng.lognormal(0.0, 0.3))
    tight = len(_run(precision=0.02)[0])
    loose = len(_run(precision=0.2)[0])
    assert PRECISION_MIN_CALLS <= loose < tight


def test_a_ratio_clearly_inside_its_limit_stops_noisy_timing_at_the_minimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The judged p95 ratio is ~1 against a limit of 2: more calls could not change the verdict."""
    rng = np.random.default_rng(5)
    # a steady median, and a heavy tail (1 call in 10 stalls) that keeps p95 from ±5% in 600 calls
    _fake_clock(monkeypatch, lambda: 2.0 + rng.normal(0, 0.02) + (rng.random() < 0.1) * rng.lognormal(1, 1))
    inputs = [[object()] * 200, [object()] * 200]
    deadline = time.monotonic() + 60
    unjudged = _rows_until_precise([None, None], inputs, 3, deadline, 0.05)
    assert len(unjudged[0]) == 600
    judged = _rows_until_precise([None, None], inputs, 3, deadline, 0.05, {0.95: 2.0})
    assert len(judged[0]) < 600  # p50 got precise, and p95's side of the limit became clear


def test_a_ratio_near_its_limit_is_measured_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Challenger ~1.9x slower against a limit of 2: the side is not clear, so timing goes on."""
    rng = np.random.default_rng(6)
    which = [0]

    def draw() -> float:
        which[0] += 1
        return float(rng.lognormal(0.0, 0.8)) * (1.9 if which[0] % 2 else 1.0)

    _fake_clock(monkeypatch, draw)
    inputs = [[object()] * 200, [object()] * 200]
    times = _rows_until_precise([None, None], inputs, 3, time.monotonic() + 60, 0.05, {0.95: 2.0})
    assert len(times[0]) == 600
    assert not budgets.ratio_decided(times[0][:100], times[1][:100], 0.95, 2.0)


def test_ratio_decided_needs_both_cis_to_clear_the_limit() -> None:
    steady = [1.0 + 0.001 * i for i in range(200)]
    assert budgets.ratio_decided(steady, [x * 1.2 for x in steady], 0.95, 2.0)  # clearly below
    assert budgets.ratio_decided(steady, [x * 3.0 for x in steady], 0.95, 2.0)  # clearly above
    assert not budgets.ratio_decided(steady, [x * 2.0 for x in steady], 0.95, 2.0)  # on the limit
