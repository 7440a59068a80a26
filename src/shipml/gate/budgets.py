"""Serving-cost budgets: latency and size of the challenger relative to the champion.

Latency only means something relative to the same machine and the same moment,
so both models are timed in one run, call by call interleaved (A, B, then B,
A, ...) on the same rows, single rows and batches alike, within a wall-clock
cap; the report gives the ratio. Single rows are timed only as long as the
precision asks: every 50 calls the p50 and p95 of each model get a
distribution-free CI, and timing stops once each is within
``budgets.latency_precision`` of its value, or, for a quantile with a ratio limit,
once the ratio's range from those CIs lies wholly on one side of the limit (more
calls could not change that verdict); the cap still applies. Each latency quantile row gets its own
comparison: a paired bootstrap of the call indices (the two models' timings of
the same input are a pair) gives a percentile CI of that quantile's difference (ms) and
the p-value that inverts it, so a difference inside timer noise is not painted
red and the p50 row never borrows the p95 row's evidence. A size change is
marked only when a size limit fails: size is measured exactly, nothing to test.
Budget limits are judged on the measured point values.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .. import judging, runner
from ..contracts.gate import MetricOutcome
from .encoding import finite_or_none
from .models import LoadedModel

if TYPE_CHECKING:
    import pandas as pd

    from ..config.gate import BudgetSection
    from .metrics import Task

TIME_CAP_S = 20.0  # wall-clock cap of the whole measurement (both models, rows and batches)
BATCH_SHARE = 0.4  # of the cap, for batches (timed first)
BATCH_CALLS = 5  # batch calls per model per repeat
QUANTILE_METHOD = "paired-bootstrap-percentile"
QUANTILE_RESAMPLES = 2000


@dataclass
class Timings:
    """Per-call wall times in milliseconds."""

    row: np.ndarray[Any, np.dtype[np.float64]]
    batch: np.ndarray[Any, np.dtype[np.float64]]


def _method(model: LoadedModel, task: Task) -> Any:
    if task == "classification" and hasattr(model.model, "predict_proba"):
        return model.model.predict_proba
    return model.model.predict


def _time(call: Any, frame: pd.DataFrame) -> float:
    start = time.perf_counter_ns()
    call(frame)
    return (time.perf_counter_ns() - start) / 1e6


def _interleaved(
    calls: list[Any], inputs: list[list[pd.DataFrame]], rounds: int, deadline: float
) -> list[list[float]]:
    """Time input ``i`` on every model back to back (alternating who goes first), until done or the deadline.

    Interleaving call by call means a slow phase of the machine (another job, a
    CPU frequency change) hits both models alike, and stopping at the deadline
    always leaves both with the same number of timings.
    """
    times: list[list[float]] = [[] for _ in calls]
    order = list(range(len(calls)))
    for _ in range(rounds):
        for i in range(len(inputs[0])):
            order.reverse()
            for m in order:
                times[m].append(_time(calls[m], inputs[m][i]))
            if time.monotonic() > deadline:
                return times
    return times


PRECISION_EVERY = 50  # single-row calls per model between precision checks
PRECISION_MIN_CALLS = 100  # never stop before: a p95 from fewer calls rests on a handful of values
_Z95 = 1.959963984540054


def quantile_ci(times: np.ndarray[Any, np.dtype[np.float64]], q: float) -> tuple[float, float, float]:
    """(low, value, high): the sample quantile and its 95% distribution-free CI (order statistics).

    The ranks come from the normal approximation to the binomial count of calls below the true
    quantile, so the interval needs no assumption about the shape of the latency distribution.
    """
    x = np.sort(times)
    n = len(x)
    spread = _Z95 * np.sqrt(n * q * (1 - q))
    lo = int(max(0, np.floor(n * q - spread)))
    hi = int(min(n - 1, np.ceil(n * q + spread)))
    return float(x[lo]), float(np.quantile(x, q)), float(x[hi])


def _precise(times: np.ndarray[Any, np.dtype[np.float64]], q: float, precision: float) -> bool:
    lo, value, hi = quantile_ci(times, q)
    return value > 0 and (hi - lo) / 2 <= precision * value


def precise_enough(times: list[float], precision: float) -> bool:
    """Whether the p50 and p95 of ``times`` are each known within ± ``precision`` of their value."""
    arr = np.asarray(times, dtype=np.float64)
    return all(_precise(arr, q, precision) for q in (0.5, 0.95))


def ratio_decided(champion: list[float], challenger: list[float], q: float, limit: float) -> bool:
    """Whether ``quantile(challenger) / quantile(champion)`` is surely on one side of ``limit``.

    Conservative: the ratio's range is built from both quantiles' 95% CIs (challenger's low
    over champion's high, and the reverse), so "decided" needs both models' timings to agree.
    """
    a_lo, _, a_hi = quantile_ci(np.asarray(champion, dtype=np.float64), q)
    b_lo, _, b_hi = quantile_ci(np.asarray(challenger, dtype=np.float64), q)
    if a_lo <= 0:
        return False
    return b_hi / a_lo < limit or b_lo / a_hi > limit


def _enough(times: list[list[float]], precision: float, limits: dict[float, float]) -> bool:
    """Every quantile is precise enough, or (a judged ratio) its side of the limit is already clear."""
    arrays = [np.asarray(t, dtype=np.float64) for t in times]
    for q in (0.5, 0.95):
        if all(_precise(a, q, precision) for a in arrays):
            continue
        limit = limits.get(q)
        if limit is None or len(times) != 2 or not ratio_decided(times[0], times[1], q, limit):
            return False
    return True


def _rows_until_precise(
    calls: list[Any],
    inputs: list[list[pd.DataFrame]],
    rounds: int,
    deadline: float,
    precision: float,
    limits: dict[float, float] | None = None,
) -> list[list[float]]:
    """Single rows, interleaved, in blocks; stop once every quantile is precise or its ratio decided.

    ``limits`` maps a quantile (0.5, 0.95) to the champion/challenger ratio the gate judges it
    against: once that ratio is clearly on one side, more calls cannot change the verdict.
    """
    per_round = len(inputs[0])
    plan = [i for _ in range(rounds) for i in range(per_round)]
    times: list[list[float]] = [[] for _ in calls]
    for start in range(0, len(plan), PRECISION_EVERY):
        block = plan[start : start + PRECISION_EVERY]
        got = _interleaved(calls, [[frames[i] for i in block] for frames in inputs], 1, deadline)
        for mine, new in zip(times, got, strict=True):
            mine.extend(new)
        if time.monotonic() > deadline or len(got[0]) < len(block):
            break
        if len(times[0]) >= PRECISION_MIN_CALLS and _enough(times, precision, limits or {}):
            break
    return times


def measure_latency(
    models: list[LoadedModel], frames: list[pd.DataFrame], task: Task, cfg: BudgetSection
) -> list[Timings]:
    """Time every model on the same single rows and batches, within :data:`TIME_CAP_S`."""
    n = len(frames[0])
    batch_idx = np.resize(np.arange(n), cfg.batch_size)
    rows = [[f.iloc[[i]] for i in range(min(cfg.latency_rows, n))] for f in frames]
    batches = [[f.iloc[batch_idx]] * BATCH_CALLS for f in frames]
    calls = [_method(m, task) for m in models]
    for call, frame_rows, frame_batch in zip(calls, rows, batches, strict=True):
        call(frame_rows[0])  # warm-up: lazy imports and caches are not the model's serving cost
        call(frame_batch[0])
    start = time.monotonic()
    enabled = gc.isenabled()
    gc.disable()  # a collection landing in one model's call would be charged to that model
    try:
        batch_times = _interleaved(calls, batches, cfg.repeats, start + TIME_CAP_S * BATCH_SHARE)
        limits = {q: r for q, r in ((0.5, cfg.latency_p50_ratio), (0.95, cfg.latency_p95_ratio)) if r}
        row_times = _rows_until_precise(
            calls, rows, cfg.repeats, start + TIME_CAP_S, cfg.latency_precision, limits
        )
    finally:
        if enabled:
            gc.enable()
    wanted_rows, wanted_batches = len(rows[0]) * cfg.repeats, BATCH_CALLS * cfg.repeats
    precise = len(row_times[0]) > 0 and _enough(row_times, cfg.latency_precision, limits)
    if (len(row_times[0]) < wanted_rows and not precise) or len(batch_times[0]) < wanted_batches:
        runner.notice(
            f"latency: {len(row_times[0])} of {wanted_rows} single-row and {len(batch_times[0])} of "
            f"{wanted_batches} batch calls timed per model ({TIME_CAP_S:.0f}s cap)"
        )
    elif not precise:
        runner.notice(
            f"latency: p50/p95 not within ±{cfg.latency_precision:.0%} after all {wanted_rows} single-row "
            "calls per model (noisy machine): the CI columns show how far to trust them"
        )
    return [Timings(np.asarray(r), np.asarray(b)) for r, b in zip(row_times, batch_times, strict=True)]


def judge_budget(
    name: str,
    champion: float | None,
    challenger: float,
    *,
    max_ratio: float | None = None,
    max_value: float | None = None,
    unit: str = "",
    slice_name: str | None = None,
) -> MetricOutcome:
    """A serving-cost budget (lower is better) as an outcome of the same shape as a metric rule."""
    outcome, texts = judging.judge_limits(
        challenger, champion, max_ratio=max_ratio, max_value=max_value, unit=unit
    )
    if champion is None and max_ratio is not None:
        texts = [t.replace("nothing to compare with", "first model: no champion") for t in texts]
    parts = [f"ratio <= {max_ratio:g}"] if max_ratio is not None else []
    parts += [f"max {max_value:g}{unit}"] if max_value is not None else []
    rule = ", ".join(parts) or "report only"
    numbers = f"challenger {judging.fmt(challenger)}{unit}"
    if champion is not None:
        numbers += f" vs champion {judging.fmt(champion)}{unit}"
    prefix = f"[{slice_name}] " if slice_name else ""
    return MetricOutcome(
        metric=name,
        slice=slice_name,
        higher_is_better=False,
        champion=finite_or_none(champion),
        challenger=finite_or_none(challenger),
        delta=finite_or_none(challenger - champion) if champion is not None else None,
        test="measured",
        rule=rule,
        outcome=outcome,
        reason=f"{prefix}{name} {outcome.upper()}: {numbers}; rule {rule}: {'; '.join(texts)}",
    )


class QuantileCI(NamedTuple):
    """Percentile CI and p of ``quantile(challenger) - quantile(champion)`` in ms."""

    low: float
    high: float
    p_value: float


def quantile_difference_ci(
    champion: np.ndarray[Any, Any],
    challenger: np.ndarray[Any, Any],
    q: float,
    confidence: float,
    *,
    n_resamples: int = QUANTILE_RESAMPLES,
    seed: int = 0,
) -> QuantileCI:
    """Paired bootstrap over call indices (call ``i`` of both models timed the same input back to back).

    The p-value is the two-sided bootstrap p of "no difference", below α
    exactly when the percentile CI excludes 0 (up to the +1 terms that keep a
    finite bootstrap from claiming p = 0).
    """
    a = np.asarray(champion, dtype=np.float64)
    b = np.asarray(challenger, dtype=np.float64)
    n = min(len(a), len(b))
    if n < 2:
        nan = float("nan")
        return QuantileCI(nan, nan, nan)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    diff = np.quantile(b[:n][idx], q / 100, axis=1) - np.quantile(a[:n][idx], q / 100, axis=1)
    alpha = 1 - confidence
    lo, hi = np.quantile(diff, [alpha / 2, 1 - alpha / 2])
    below = (np.count_nonzero(diff <= 0) + 1) / (n_resamples + 1)
    above = (np.count_nonzero(diff >= 0) + 1) / (n_resamples + 1)
    return QuantileCI(float(lo), float(hi), float(min(1.0, 2 * min(below, above))))


def evaluate_budgets(
    champion: LoadedModel | None,
    challenger: LoadedModel,
    frames: tuple[pd.DataFrame | None, pd.DataFrame],
    task: Task,
    cfg: BudgetSection,
    confidence: float,
) -> list[MetricOutcome]:
    """Latency (p50/p95 per row and per batch) and serialized size as gate outcomes."""
    models = [m for m in (champion, challenger) if m is not None]
    inputs = [
        f for f, m in zip(frames, (champion, challenger), strict=True) if m is not None and f is not None
    ]
    timings = measure_latency(models, inputs, task, cfg)
    old = timings[0] if champion is not None else None
    new = timings[-1]
    alpha = 1 - confidence
    out = []
    for unit, attr in (("per_row", "row"), (f"per_batch_{cfg.batch_size}", "batch")):
        a = getattr(old, attr) if old is not None else None
        b = getattr(new, attr)
        for q, limit in ((50, cfg.latency_p50_ratio), (95, cfg.latency_p95_ratio)):
            judged = judge_budget(
                f"latency_p{q}_ms_{unit}",
                float(np.percentile(a, q)) if a is not None else None,
                float(np.percentile(b, q)),
                max_ratio=limit if attr == "row" else None,
                unit=" ms",
            )
            update: dict[str, Any] = {"reason": f"{judged.reason} ({len(b)} timed calls per model)"}
            if a is not None:  # timings are noisy: colour a difference only if this quantile's differs
                ci = quantile_difference_ci(a, b, q, confidence)
                update |= {
                    "ci_low": finite_or_none(ci.low),
                    "ci_high": finite_or_none(ci.high),
                    "p_value": finite_or_none(ci.p_value),
                    "p_raw": finite_or_none(ci.p_value),
                    "test": QUANTILE_METHOD,
                    "method": QUANTILE_METHOD,
                    "confidence": confidence,
                    "significant": bool(ci.p_value < alpha),
                }
            judged = judged.model_copy(update=update)
            out.append(judged)
    size_old = champion.size_bytes / 1e6 if champion is not None else None
    out.append(
        judge_budget(
            "model_size_mb",
            size_old,
            challenger.size_bytes / 1e6,
            max_ratio=cfg.size_ratio,
            max_value=cfg.max_size_mb,
            unit=" MB",
        )
    )
    out[-1] = out[-1].model_copy(update={"significant": out[-1].outcome == "fail"})
    return out
