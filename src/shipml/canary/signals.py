"""Model signals: how far apart two tracks' score histograms and class mixes are, and the noise floor.

Pure arithmetic on the bucket counts Prometheus returns, no numpy. Each
distance comes with what it would be for two samples of one distribution of
these sizes, so the analysis can refuse to judge on noise: PSI between two
samples of the same model has expectation about ``(k - 1)(1/n₁ + 1/n₂)`` for
``k`` non-empty buckets (its chi-square limit), far above a 0.2 threshold for a
few dozen predictions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

EPSILON = 1e-4  # share given to an empty bucket so log ratios stay finite (the usual PSI practice)


def bucket_counts(cumulative: Mapping[str, float]) -> dict[str, float]:
    """Per-bucket counts from a Prometheus histogram's cumulative ``le`` buckets (``+Inf`` last)."""

    def bound(le: str) -> float:
        return math.inf if le in ("+Inf", "Inf") else float(le)

    out: dict[str, float] = {}
    previous = 0.0
    for le in sorted(cumulative, key=bound):
        value = max(cumulative[le], previous)  # increase() extrapolation can dip below its neighbour
        out[le] = value - previous
        previous = value
    return out


def shares(counts: Mapping[str, float], keys: list[str]) -> list[float]:
    total = sum(counts.get(k, 0.0) for k in keys)
    if total <= 0:
        return [0.0 for _ in keys]
    return [counts.get(k, 0.0) / total for k in keys]


def _smoothed(p: list[float]) -> list[float]:
    q = [max(x, EPSILON) for x in p]
    total = sum(q)
    return [x / total for x in q]


def psi(expected: list[float], actual: list[float]) -> float:
    """Population stability index of ``actual`` (canary) against ``expected`` (stable) shares."""
    e, a = _smoothed(expected), _smoothed(actual)
    return sum((ai - ei) * math.log(ai / ei) for ei, ai in zip(e, a, strict=True))


def jensen_shannon(p: list[float], q: list[float]) -> float:
    """Jensen–Shannon divergence in bits (0 identical, 1 disjoint); empty buckets need no smoothing."""
    m = [(pi + qi) / 2 for pi, qi in zip(p, q, strict=True)]

    def kl(x: list[float]) -> float:
        return sum(xi * math.log2(xi / mi) for xi, mi in zip(x, m, strict=True) if xi > 0)

    return max(0.0, (kl(p) + kl(q)) / 2)


def total_variation(p: list[float], q: list[float]) -> float:
    """Half the L1 distance of two share vectors: the share of predictions that would have to move."""
    return sum(abs(pi - qi) for pi, qi in zip(p, q, strict=True)) / 2


def psi_noise(nonempty: int, n_canary: float, n_stable: float) -> float:
    """Expected PSI of two same-distribution samples of these sizes (chi-square approximation)."""
    if n_canary <= 0 or n_stable <= 0:
        return math.inf
    return max(nonempty - 1, 1) * (1 / n_canary + 1 / n_stable)


def tv_noise(stable: list[float], n_canary: float, n_stable: float) -> float:
    """Expected total variation of two same-distribution samples (normal approximation per class)."""
    if n_canary <= 0 or n_stable <= 0:
        return math.inf
    spread = 1 / n_canary + 1 / n_stable
    return sum(math.sqrt(2 / math.pi * p * (1 - p) * spread) for p in stable) / 2
