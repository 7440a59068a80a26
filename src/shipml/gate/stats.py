"""Paired statistics for two models scored on the same rows.

Pairing is the point: both models see the same rows, so their errors are
correlated and the *difference* is far less noisy than either metric alone.
Every routine here uses that: the bootstrap resamples row indices once and
applies the same resample to both models; the paired-proportions method
(:mod:`.paired_proportions`) looks only at the rows where exactly one model
is right; DeLong carries the covariance of the two AUCs.

Sign convention everywhere: ``delta = challenger - champion`` (raw metric units,
not direction-adjusted).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from .. import beside
from .metrics import FloatArray, MetricSpec
from .resample import Buffers, chunk_draws, chunk_sizes, counts_of

_MAX_WORKERS = 8
"""More processes than this gain nothing: chunks are memory-bound."""
_SPREAD_ABOVE = 1 << 24
"""Cells (rows x resamples) below which the bootstrap stays in one process (about 0.1 s of work)."""


class BootstrapResult(NamedTuple):
    delta: float
    ci_low: float
    ci_high: float
    p_value: float


class DeLongResult(NamedTuple):
    auc_a: float
    auc_b: float
    delta: float
    """auc_b - auc_a."""
    var: float
    z: float
    p_value: float
    ci: tuple[float, float]


def _workers(n_chunks: int, cells: int) -> int:
    """Processes for the bootstrap (see :func:`shipml.beside.spread`): one per usable core.

    Below :data:`_SPREAD_ABOVE` cells the work takes less than forking costs.
    """
    if cells < _SPREAD_ABOVE or not beside.can_fork():
        return 1
    return max(1, min(beside.usable_cpus(), n_chunks, _MAX_WORKERS))


def bootstrap_workers(n: int, n_resamples: int) -> int:
    """How many processes :func:`paired_replicates` uses for this size (benchmarks print it)."""
    return _workers(len(chunk_sizes(n, n_resamples)), n * n_resamples)


def _percentile_ci(deltas: FloatArray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    lo, hi = np.nanquantile(deltas, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _bootstrap_p(deltas: FloatArray) -> float:
    """Two-sided p-value of "no difference", consistent with the percentile CI.

    The CI excludes 0 at level 1-α exactly when this is below α (up to the +1
    terms, which keep a finite number of resamples from claiming p = 0).
    """
    d = deltas[~np.isnan(deltas)]
    if len(d) == 0:
        return float("nan")
    b = len(d)
    below = (np.count_nonzero(d <= 0) + 1) / (b + 1)
    above = (np.count_nonzero(d >= 0) + 1) / (b + 1)
    return float(min(1.0, 2.0 * min(below, above)))


def row_order(
    pairs: Mapping[str, tuple[MetricSpec, NDArray[Any], NDArray[Any], NDArray[Any]]],
) -> NDArray[np.intp] | None:
    """The order :func:`paired_replicates` puts the rows in before drawing resamples (None: as given).

    It is the first metric's preferred order (ROC AUC's spares every gather of
    counts). Resampled row indices refer to rows in this order, so a replay
    reads ``y[order][idx]``. The order is fixed from the data before any draw,
    and the draws are uniform over positions, so each resample is still an
    ordinary bootstrap resample of the rows.
    """
    for spec, y, champion, challenger in pairs.values():
        if spec.row_order is not None and (order := spec.row_order(y, champion, challenger)) is not None:
            return order
    return None


def paired_replicates(
    pairs: Mapping[str, tuple[MetricSpec, NDArray[Any], NDArray[Any], NDArray[Any]]],
    *,
    n_resamples: int,
    seed: int,
) -> dict[str, tuple[float, FloatArray]]:
    """Point difference and bootstrap replicates of ``metric(challenger) - metric(champion)``.

    ``pairs`` maps a key to ``(metric, y, champion_input, challenger_input)``,
    all over the same rows. The resamples are drawn once and shared by every
    metric and both models; their indices refer to the rows in :func:`row_order`.
    """
    if not pairs:
        return {}
    n = len(next(iter(pairs.values()))[1])
    order = row_order(pairs)
    if order is not None:
        pairs = {key: (spec, y[order], a[order], b[order]) for key, (spec, y, a, b) in pairs.items()}
    bound = {
        key: (spec.bind(y, champ), spec.bind(y, chall)) for key, (spec, y, champ, chall) in pairs.items()
    }
    point_counts = np.ones((1, n), dtype=np.float64)
    points = {key: float(b(point_counts)[0] - a(point_counts)[0]) for key, (a, b) in bound.items()}
    ranking = {key for key, (spec, *_) in pairs.items() if spec.ranking}

    def block_deltas(counts: NDArray[np.integer[Any]]) -> dict[str, FloatArray]:
        wide = counts.astype(np.float64) if len(ranking) < len(pairs) else counts
        return {
            key: b(counts if key in ranking else wide) - a(counts if key in ranking else wide)
            for key, (a, b) in bound.items()
        }

    def share_deltas(jobs: list[tuple[int, int]]) -> dict[str, FloatArray]:
        buffers = Buffers(n)
        blocks = [
            block_deltas(counts_of(idx, n, buffers.counts))
            for chunk, m in jobs
            for idx in chunk_draws(n, m, seed, chunk, buffers)
        ]
        return {key: np.concatenate([block[key] for block in blocks]) for key in pairs}

    jobs = list(enumerate(chunk_sizes(n, n_resamples)))
    shares = _shares(jobs, _workers(len(jobs), n * n_resamples))
    parts = beside.spread([partial(share_deltas, share) for share in shares])  # in chunk order
    return {key: (points[key], np.concatenate([part[key] for part in parts])) for key in pairs}


def _shares(jobs: list[tuple[int, int]], workers: int) -> list[list[tuple[int, int]]]:
    """``jobs`` cut into ``workers`` consecutive runs of near-equal length."""
    size, extra = divmod(len(jobs), workers)
    bounds = [i * size + min(i, extra) for i in range(workers + 1)]
    return [jobs[bounds[i] : bounds[i + 1]] for i in range(workers)]


def undefined_share(deltas: FloatArray) -> float:
    """Share of resamples on which the metric was undefined (e.g. only one class drawn)."""
    return float(np.mean(np.isnan(deltas))) if len(deltas) else 1.0


def summarise(point: float, deltas: FloatArray, confidence: float) -> BootstrapResult:
    """Percentile CI and p-value from bootstrap replicates of a difference (undefined ones dropped)."""
    if undefined_share(deltas) == 1.0:
        return BootstrapResult(point, float("nan"), float("nan"), float("nan"))
    lo, hi = _percentile_ci(deltas, confidence)
    return BootstrapResult(point, lo, hi, _bootstrap_p(deltas))


def paired_bootstrap(
    y: NDArray[Any],
    champion: NDArray[Any],
    challenger: NDArray[Any],
    metric: MetricSpec,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapResult:
    """Percentile CI and p-value of ``metric(challenger) - metric(champion)`` on shared resamples."""
    reps = paired_replicates({"m": (metric, y, champion, challenger)}, n_resamples=n_resamples, seed=seed)
    return summarise(*reps["m"], confidence)


def discordant_counts(champion_correct: NDArray[Any], challenger_correct: NDArray[Any]) -> tuple[int, int]:
    """(rows only the champion got right, rows only the challenger got right)."""
    a = np.asarray(champion_correct, dtype=bool)
    b = np.asarray(challenger_correct, dtype=bool)
    return int(np.count_nonzero(a & ~b)), int(np.count_nonzero(~a & b))


def _midranks_by_class(positive: NDArray[np.bool_], score: FloatArray) -> tuple[FloatArray, FloatArray]:
    """DeLong's structural components from one sort (Sun & Xu 2014).

    Returns ``v10`` per positive (share of negatives it outranks, ties count ½)
    and ``v01`` per negative (share of positives that outrank it, ties ½), each
    in the original row order so the two models' components pair row by row.
    Sun & Xu derive these from three midrank computations; all three follow from
    one sort of the pooled scores: for each sorted row, the rows strictly below
    and at-or-below it are ``searchsorted`` positions, and a cumulative count of
    negatives splits them by class. The sort is the only O(n log n) step.
    """
    order = np.argsort(score)
    s = score[order]
    pos = positive[order]
    m = int(np.count_nonzero(pos))
    k = len(s) - m
    neg_cum = np.zeros(len(s) + 1, dtype=np.int64)
    np.cumsum(~pos, out=neg_cum[1:])
    if np.any(s[1:] == s[:-1]):
        below = np.searchsorted(s, s, side="left")  # rows with a strictly lower score
        at_or_below = np.searchsorted(s, s, side="right")
        neg_below, neg_at_or_below = neg_cum[below], neg_cum[at_or_below]
    else:  # no ties (continuous scores): row j has exactly j rows below it
        below = np.arange(len(s))
        at_or_below = below + 1
        neg_below, neg_at_or_below = neg_cum[:-1], neg_cum[1:]
    neg_mid = (neg_below + neg_at_or_below) * 0.5
    pos_mid = ((below - neg_below) + (at_or_below - neg_at_or_below)) * 0.5
    values = np.where(pos, neg_mid / k, 1.0 - pos_mid / m)
    out = np.empty(len(s))
    out[order] = values
    return out[positive], out[~positive]


def delong(
    y: NDArray[Any], score_a: NDArray[Any], score_b: NDArray[Any], confidence: float = 0.95
) -> DeLongResult:
    """DeLong's test of two correlated ROC AUCs on the same rows, in O(n log n).

    ``y`` is binary (truthy = positive). The CI is the normal-theory interval of
    ``auc_b - auc_a`` from the same variance as the test, so the two agree.
    """
    positive = np.asarray(y).astype(bool)
    m = int(np.count_nonzero(positive))
    k = len(positive) - m
    if m < 2 or k < 2:
        raise ValueError(f"DeLong needs at least 2 positives and 2 negatives (got {m} and {k})")
    comps = [_midranks_by_class(positive, np.asarray(s, dtype=np.float64)) for s in (score_a, score_b)]
    v10 = np.vstack([c[0] for c in comps])
    v01 = np.vstack([c[1] for c in comps])
    aucs = v10.mean(axis=1)
    s10 = np.cov(v10)
    s01 = np.cov(v01)
    cov = s10 / m + s01 / k
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    delta = float(aucs[1] - aucs[0])
    zq = float(sps.norm.ppf(0.5 + confidence / 2))
    if var <= 0:
        # identical rankings: no sampling variability in the difference
        z = 0.0 if delta == 0 else float(np.sign(delta) * np.inf)
        p = 1.0 if delta == 0 else 0.0
        return DeLongResult(float(aucs[0]), float(aucs[1]), delta, max(var, 0.0), z, p, (delta, delta))
    se = float(np.sqrt(var))
    z = delta / se
    p = float(2 * sps.norm.sf(abs(z)))
    return DeLongResult(float(aucs[0]), float(aucs[1]), delta, var, z, p, (delta - zq * se, delta + zq * se))
