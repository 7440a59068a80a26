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

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from ..beside import usable_cpus
from .metrics import FloatArray, MetricSpec

_CHUNK_ELEMENTS = 1 << 21
"""Resamples are generated in chunks of about this many cells."""
_ROW_WISE_ABOVE = 16_384
_MAX_WORKERS = 8
"""More threads than this gain nothing: chunks are memory-bound."""


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


def _chunks(n: int, n_resamples: int) -> list[int]:
    """Resamples per chunk: a fixed split that depends only on ``(n, n_resamples)``."""
    per_chunk = max(1, _CHUNK_ELEMENTS // max(n, 1))
    full, rest = divmod(n_resamples, per_chunk)
    return [per_chunk] * full + ([rest] if rest else [])


def _chunk_indices(n: int, m: int, seed: int, chunk: int) -> NDArray[np.unsignedinteger[Any]]:
    """Chunk ``chunk``'s row indices, from its own stream.

    Each chunk has an independent child stream of ``seed`` (NumPy's SeedSequence
    spawn keys), so chunks can be drawn on any core in any order and the
    resamples still depend only on ``(n, n_resamples, seed)``.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    draw = np.uint32 if n <= np.iinfo(np.uint32).max else np.uint64  # 32-bit draws are twice as fast
    return rng.integers(0, n, size=(m, n), dtype=draw)


def resample_indices(n: int, n_resamples: int, seed: int) -> Iterator[NDArray[np.unsignedinteger[Any]]]:
    """Row indices of bootstrap resamples, ``(chunk, n)`` at a time, drawn with replacement.

    The stream depends only on ``(n, n_resamples, seed)``, so every metric and
    both models see exactly the same resamples (and a reference implementation
    can replay them).
    """
    for k, m in enumerate(_chunks(n, n_resamples)):
        yield _chunk_indices(n, m, seed, k)


def _counts_of(idx: NDArray[np.unsignedinteger[Any]], n: int) -> NDArray[np.integer[Any]]:
    """Row multiplicities of one chunk of resamples, as uint8 unless a row was drawn over 255 times.

    Small counts keep the gathers of the ranking metrics inside the CPU cache. A
    uint8 row that wrapped around no longer sums to ``n``, which is cheaper to
    check than the maximum of the wide counts.
    """
    m = idx.shape[0]
    if n <= _ROW_WISE_ABOVE:  # small rows: one flat bincount beats a Python loop over resamples
        flat = idx.astype(np.intp) + (np.arange(m, dtype=np.intp) * n)[:, None]
        return _narrowest(np.bincount(flat.ravel(), minlength=m * n).reshape(m, n))
    counts = np.empty((m, n), dtype=np.uint8)
    for i in range(m):  # row by row, so bincount's scattered writes stay in the cache
        counts[i] = np.bincount(idx[i], minlength=n)
    if np.any(counts.sum(axis=1, dtype=np.int64) != n):  # a count wrapped around
        return _narrowest(np.stack([np.bincount(row, minlength=n) for row in idx]))
    return counts


def _narrowest(counts: NDArray[np.integer[Any]]) -> NDArray[np.integer[Any]]:
    top = int(counts.max(initial=0))
    return counts.astype(np.uint8 if top <= 0xFF else np.uint16) if top <= 0xFFFF else counts


def resample_counts(n: int, n_resamples: int, seed: int) -> Iterator[NDArray[np.integer[Any]]]:
    """The resamples of :func:`resample_indices` as row multiplicities (see :func:`_counts_of`)."""
    for idx in resample_indices(n, n_resamples, seed):
        yield _counts_of(idx, n)


def _workers(n_chunks: int) -> int:
    """Threads for the bootstrap: NumPy releases the GIL in the draws, counts and gathers."""
    return max(1, min(usable_cpus(), n_chunks, _MAX_WORKERS))


def bootstrap_threads(n: int, n_resamples: int) -> int:
    """How many threads :func:`paired_replicates` uses for this size (benchmarks print it)."""
    return _workers(len(_chunks(n, n_resamples)))


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


def paired_replicates(
    pairs: Mapping[str, tuple[MetricSpec, NDArray[Any], NDArray[Any], NDArray[Any]]],
    *,
    n_resamples: int,
    seed: int,
) -> dict[str, tuple[float, FloatArray]]:
    """Point difference and bootstrap replicates of ``metric(challenger) - metric(champion)``.

    ``pairs`` maps a key to ``(metric, y, champion_input, challenger_input)``,
    all over the same rows. The resamples are drawn once and shared by every
    metric and both models.
    """
    if not pairs:
        return {}
    n = len(next(iter(pairs.values()))[1])
    bound = {
        key: (spec.bind(y, champ), spec.bind(y, chall)) for key, (spec, y, champ, chall) in pairs.items()
    }
    point_counts = np.ones((1, n), dtype=np.float64)
    points = {key: float(b(point_counts)[0] - a(point_counts)[0]) for key, (a, b) in bound.items()}
    ranking = {key for key, (spec, *_) in pairs.items() if spec.ranking}

    def chunk_deltas(job: tuple[int, int]) -> dict[str, FloatArray]:
        counts = _counts_of(_chunk_indices(n, job[1], seed, job[0]), n)
        wide = counts.astype(np.float64) if len(ranking) < len(pairs) else counts
        return {
            key: b(counts if key in ranking else wide) - a(counts if key in ranking else wide)
            for key, (a, b) in bound.items()
        }

    jobs = list(enumerate(_chunks(n, n_resamples)))
    workers = _workers(len(jobs))
    if workers == 1:
        parts = [chunk_deltas(job) for job in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shipml-bootstrap") as pool:
            parts = list(pool.map(chunk_deltas, jobs))  # in chunk order, whatever finished first
    return {key: (points[key], np.concatenate([part[key] for part in parts])) for key in pairs}


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
