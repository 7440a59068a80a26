"""Difference of two paired proportions (accuracy of two models on the same rows): one method, CI and p.

Only the discordant rows inform the difference: ``b`` rows only the champion
gets right, ``c`` rows only the challenger gets right, ``n`` rows in all, and
the estimate is ``Δ = (c - b) / n`` (challenger minus champion accuracy).

The interval that decides a rule and the p shown beside it come from the same
procedure, so a verdict can never contradict the p-value next to it:

* **Tango's score method** (Tango 1998, *Statistics in Medicine* 17:891-908;
  recommended in Fagerland, Lydersen & Laake 2014, *Stat Methods Med Res*
  23:406-425). The score statistic for ``H0: Δ = Δ0`` is
  ``Z(Δ0) = (c - b - nΔ0) / sqrt(n(2q̃ + Δ0(1 - Δ0)))`` with ``q̃`` the
  maximum-likelihood estimate of the champion-only share constrained to
  ``Δ = Δ0``. The CI is every ``Δ0`` the two-sided test at level α does not
  reject (``|Z(Δ0)| < z``); the p shown is the same test at ``Δ0 = 0``, which
  reduces to McNemar's test without continuity correction,
  ``(c - b) / sqrt(b + c)``. So "the CI's lower bound is above the margin m"
  holds exactly when the one-sided score test of ``Δ <= m`` rejects at α/2.
  It is the default at every discordant count: its 95% coverage measured
  0.948-0.959 from 8 to 24 discordant rows and its false-pass rate on equal
  models stayed at or below α/2 (docs/gate-statistics.md), as Fagerland et al.
  found.
* **Exact conditional**, only below ``exact_below`` discordant rows when a user
  sets ``gate.mcnemar_exact_below`` (a review that must show the exact McNemar p).
  Given ``d = b + c``, ``c`` is
  binomial ``(d, π)`` with ``Δ = (d/n)(2π - 1)``. The CI maps the
  Clopper-Pearson interval of π (the inversion of the exact binomial test) onto
  that scale; the p shown is the exact McNemar test (two-sided, twice the
  smaller tail). The bound is above a margin exactly when the exact binomial
  test of ``π = (1 + nm/d) / 2`` rejects at α/2. The scale ``d/n`` is taken as
  observed: conditional on the discordant count, as the exact McNemar test is.
  That ignores the uncertainty of ``d/n``, so the interval is conservative at
  small effects and liberal at large ones (coverage 0.93-0.98 measured): why it
  is not the default.

Every quantity depends on ``(b, c, n)`` only, so it cannot depend on row order.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from scipy import stats as sps

TANGO = "tango-score"
EXACT = "exact-conditional"


class PairedProportions(NamedTuple):
    delta: float
    """(c - b) / n: challenger accuracy minus champion accuracy."""
    ci_low: float
    ci_high: float
    p_value: float
    """Two-sided p of "no difference" from the same method as the CI."""
    method: str


def tango_z(b: int, c: int, n: int, delta0: float) -> float:
    """Tango's score statistic for ``H0: Δ = delta0`` (positive: challenger better than ``delta0``)."""
    a = 2.0 * n
    bb = -b - c + (2.0 * n - c + b) * delta0
    cc = -b * delta0 * (1.0 - delta0)
    disc = max(bb * bb - 4.0 * a * cc, 0.0)
    q = (math.sqrt(disc) - bb) / (2.0 * a)
    num = c - b - n * delta0
    var = n * (2.0 * q + delta0 * (1.0 - delta0))
    if var <= 0.0:
        return 0.0 if num == 0 else math.copysign(math.inf, num)
    return num / math.sqrt(var)


def _root(b: int, c: int, n: int, target: float, lo: float, hi: float) -> float:
    """The ``Δ0`` in ``[lo, hi]`` where the decreasing ``Z(Δ0)`` crosses ``target``.

    Bisection until the bracket stops shrinking in floating point."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if tango_z(b, c, n, mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def tango(b: int, c: int, n: int, confidence: float) -> PairedProportions:
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    est = (c - b) / n
    low = -1.0 if tango_z(b, c, n, -1.0) <= z else _root(b, c, n, z, -1.0, est)
    high = 1.0 if tango_z(b, c, n, 1.0) >= -z else _root(b, c, n, -z, est, 1.0)
    z0 = tango_z(b, c, n, 0.0)
    p = 1.0 if z0 == 0 else float(min(1.0, 2.0 * sps.norm.sf(abs(z0))))
    return PairedProportions(est, low, high, p, TANGO)


def exact_conditional(b: int, c: int, n: int, confidence: float) -> PairedProportions:
    d = b + c
    if d == 0:
        return PairedProportions(0.0, 0.0, 0.0, 1.0, EXACT)
    alpha = 1.0 - confidence
    pi_low = 0.0 if c == 0 else float(sps.beta.ppf(alpha / 2, c, d - c + 1))
    pi_high = 1.0 if c == d else float(sps.beta.ppf(1 - alpha / 2, c + 1, d - c))
    scale = d / n
    tails = min(float(sps.binom.cdf(c, d, 0.5)), float(sps.binom.sf(c - 1, d, 0.5)))
    return PairedProportions(
        (c - b) / n, scale * (2 * pi_low - 1), scale * (2 * pi_high - 1), min(1.0, 2.0 * tails), EXACT
    )


def compare(b: int, c: int, n: int, confidence: float, *, exact_below: int) -> PairedProportions:
    """The documented method: Tango, or exact conditional below ``exact_below`` discordant rows."""
    if n <= 0:
        raise ValueError("no rows")
    # No discordant row (identical predictions): conditional on that, the difference is exactly 0,
    # which is what "identical predictions decide exactly" (gate.min_discordant) promises.
    if b + c < exact_below or b + c == 0:
        return exact_conditional(b, c, n, confidence)
    return tango(b, c, n, confidence)
