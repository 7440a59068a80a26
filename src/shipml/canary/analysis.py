"""One analysis of the canary against stable over one window: traffic, service checks, model signals.

Every check goes through :func:`shipml.judging.judge` (the gate's rule judging,
capability-neutral): stable is the baseline, the canary the candidate. What
this module adds is what a live comparison needs and a model gate does not:

* **traffic first**: a track with fewer than ``min_requests`` prediction
  requests in the window makes the whole analysis inconclusive (the step is
  held), whatever the other numbers say: they are noise;
* **no data is inconclusive, never pass**: an empty vector or a NaN (0/0) for
  either track;
* **model signals** with a noise floor: PSI / Jensen–Shannon of the score
  histograms and the class mix's total variation are judged only when the
  distance two samples of one model would show at these counts is below half
  the threshold (:mod:`.signals`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from string import Template
from typing import Literal

from .. import judging
from ..config.canary import REQUESTS, CanaryCheck, CanarySection
from ..contracts.canary import CheckOutcome, CheckRecord
from ..prometheus_api import PrometheusClient, Vector
from . import signals

Track = Literal["stable", "canary"]


@dataclass(frozen=True)
class Analysis:
    outcome: CheckOutcome
    checks: list[CheckRecord]
    at: str
    seconds: float

    @property
    def failed(self) -> list[CheckRecord]:
        return [c for c in self.checks if c.outcome == "fail"]

    @property
    def inconclusive(self) -> list[CheckRecord]:
        return [c for c in self.checks if c.outcome == "inconclusive"]


def render(template: str, cfg: CanarySection, track: Track) -> str:
    """A query template for one track: ``$selector`` and ``$window`` filled in, nothing else touched."""
    return Template(template).safe_substitute(selector=cfg.selector(track), window=cfg.window)


class Analyser:
    """Runs the configured queries for both tracks and judges them."""

    def __init__(
        self, client: PrometheusClient, cfg: CanarySection, now: Callable[[], datetime] | None = None
    ) -> None:
        self.client = client
        self.cfg = cfg
        self._now = now or (lambda: datetime.now(timezone.utc))

    def _both(self, template: str, what: str) -> tuple[Vector, Vector, str]:
        canary_q = render(template, self.cfg, "canary")
        canary = self.client.query(canary_q, what=f"{what} (canary)")
        stable = self.client.query(render(template, self.cfg, "stable"), what=f"{what} (stable)")
        return canary, stable, canary_q

    def run(self) -> Analysis:
        started = time.perf_counter()
        at = self._now().isoformat(timespec="seconds")
        records = [self._traffic()]
        records += [self._check(check) for check in self.cfg.checks]
        if self.cfg.model_signals.enabled:
            records += self._model()
        if records[0].outcome != "pass":
            outcome: CheckOutcome = "inconclusive"  # too little traffic: nothing else may decide
        else:
            outcome, _ = judging.combine([(r.outcome, r.reason) for r in records])
        return Analysis(outcome, records, at, round(time.perf_counter() - started, 3))

    # -- traffic -----------------------------------------------------------------------------------

    def _traffic(self) -> CheckRecord:
        canary_v, stable_v, query = self._both(REQUESTS, "requests")
        canary, stable = canary_v.value(), stable_v.value()
        need = self.cfg.min_requests
        low = [t for t, v in (("canary", canary), ("stable", stable)) if v is None or v < need]
        reason = (
            f"{' and '.join(low)} served fewer than {need} prediction requests in {self.cfg.window}: hold"
            if low
            else f"both tracks served at least {need} prediction requests in {self.cfg.window}"
        )
        return CheckRecord(
            name="requests",
            kind="traffic",
            query=query,
            canary=canary,
            stable=stable,
            threshold=f"≥ {need} each",
            outcome="inconclusive" if low else "pass",
            reason=reason,
        )

    # -- service checks ----------------------------------------------------------------------------

    def _check(self, check: CanaryCheck) -> CheckRecord:
        canary_v, stable_v, query = self._both(check.query, check.name)
        canary, stable = canary_v.value(), stable_v.value()
        clauses, threshold = _clauses(check, stable)
        record = CheckRecord(
            name=check.name,
            kind="service",
            query=query,
            canary=canary,
            stable=stable,
            threshold=threshold,
            outcome="inconclusive",
            reason="",
            unit=check.unit,
        )
        missing = [t for t, v in (("canary", canary), ("stable", stable)) if v is None]
        if canary is None or (stable is None and check.max_regression is not None):
            record.reason = f"no data for {' and '.join(missing)}: not judged"
            return record
        outcome, sentences = judging.judge(
            clauses, higher_is_better=check.higher_is_better, baseline=stable, candidate=canary
        )
        record.outcome = outcome
        record.reason = "; ".join(sentences)
        return record

    # -- model signals -----------------------------------------------------------------------------

    def _model(self) -> list[CheckRecord]:
        ms = self.cfg.model_signals
        canary_v, stable_v, query = self._both(ms.score_query, "score histogram")
        c_counts = signals.bucket_counts(canary_v.by_label("le"))
        s_counts = signals.bucket_counts(stable_v.by_label("le"))
        keys = sorted(set(c_counts) | set(s_counts), key=lambda k: float(k.replace("+Inf", "inf")))
        n_c, n_s = sum(c_counts.values()), sum(s_counts.values())
        c_sh, s_sh = signals.shares(c_counts, keys), signals.shares(s_counts, keys)
        nonempty = sum(1 for a, b in zip(c_sh, s_sh, strict=True) if a > 0 or b > 0)
        noise = signals.psi_noise(nonempty, n_c, n_s)
        blocker = None
        if n_c <= 0 or n_s <= 0:
            blocker = "no predictions scored for " + " and ".join(
                t for t, n in (("canary", n_c), ("stable", n_s)) if n <= 0
            )
        elif noise > ms.psi_max / 2:
            blocker = (
                f"{n_c:.0f} canary and {n_s:.0f} stable predictions: two samples of one model would "
                f"differ by PSI ≈ {noise:.3f}, too close to the limit {ms.psi_max:g} to judge"
            )
        psi = signals.psi(s_sh, c_sh) if blocker is None else None
        js = signals.jensen_shannon(s_sh, c_sh) if blocker is None else None
        records = [
            self._distance("score-psi", query, psi, ms.psi_max, blocker, f"n={n_c:.0f}/{n_s:.0f}"),
            self._distance("score-js", query, js, ms.js_max, blocker, f"n={n_c:.0f}/{n_s:.0f}"),
        ]
        canary_v, stable_v, query = self._both(ms.class_query, "class mix")
        c_cls, s_cls = canary_v.by_label("class"), stable_v.by_label("class")
        classes = sorted(set(c_cls) | set(s_cls))
        n_c, n_s = sum(c_cls.values()), sum(s_cls.values())
        c_sh, s_sh = signals.shares(c_cls, classes), signals.shares(s_cls, classes)
        blocker = None
        if n_c <= 0 or n_s <= 0:
            blocker = "no predicted classes counted (a regressor, or no rows)"
        else:
            floor = signals.tv_noise(s_sh, n_c, n_s)
            if floor > ms.class_mix_max / 2:
                blocker = (
                    f"{n_c:.0f} canary and {n_s:.0f} stable rows: sampling alone moves the class mix by "
                    f"≈ {floor:.3f}, too close to the limit {ms.class_mix_max:g} to judge"
                )
        tv = signals.total_variation(s_sh, c_sh) if blocker is None else None
        mix = ", ".join(f"{k} {c:.0%}/{s:.0%}" for k, c, s in zip(classes, c_sh, s_sh, strict=True))
        records.append(self._distance("class-mix", query, tv, ms.class_mix_max, blocker, mix))
        return records

    @staticmethod
    def _distance(
        name: str, query: str, value: float | None, limit: float, blocker: str | None, note: str
    ) -> CheckRecord:
        """A distance between the tracks: the canary column holds it, stable is its own reference (0)."""
        record = CheckRecord(
            name=name, kind="model", query=query, canary=value, stable=0.0, threshold=f"≤ {limit:g}",
            outcome="inconclusive", reason=blocker or "",
        )  # fmt: skip
        if value is None:
            record.stable = None
            return record
        outcome, sentences = judging.judge(
            judging.Clauses(maximum=limit), higher_is_better=False, baseline=None, candidate=value
        )
        record.outcome = outcome
        record.reason = f"{'; '.join(sentences)} ({note})"
        return record


def _clauses(check: CanaryCheck, stable: float | None) -> tuple[judging.Clauses, str]:
    """The judging clauses of a check and its threshold in words.

    A relative margin smaller than the check's ``regression_floor`` (2 ms of a 3 ms
    p99) is replaced by the floor as an absolute margin: a difference within the
    metric's resolution is not a regression.
    """
    words: list[str] = []
    if check.minimum is not None:
        words.append(f"≥ {check.minimum:g}{check.unit}")
    if check.maximum is not None:
        words.append(f"≤ {check.maximum:g}{check.unit}")
    margin, relative = check.max_regression, check.relative
    if margin is not None:
        worse = "-" if check.higher_is_better else "+"
        if relative and stable is not None and margin * abs(stable) < check.regression_floor:
            margin, relative = check.regression_floor, False
        if relative:
            factor = 1 - margin if check.higher_is_better else 1 + margin
            words.append(f"{'≥' if check.higher_is_better else '≤'} {factor:g} × stable")
        else:
            words.append(f"{'≥' if check.higher_is_better else '≤'} stable {worse} {margin:g}{check.unit}")
    clauses = judging.Clauses(
        minimum=check.minimum, maximum=check.maximum, max_regression=margin, relative=relative
    )
    return clauses, ", ".join(words)
