"""Which method compares a metric between the two models, and the comparison itself.

One method per metric produces both the confidence interval that decides a
rule and the p-value shown beside it, so they cannot disagree:

* binary ROC AUC: DeLong's test and its normal-theory interval (same variance);
* accuracy: the paired-proportions method of :mod:`.paired_proportions`
  (Tango's score interval and test; the exact conditional method below
  ``gate.mcnemar_exact_below`` discordant rows when a user asks for it);
* everything else (F1, log loss, PR AUC, rmse, user metrics...): the paired
  bootstrap, percentile interval and the p-value that inverts it, because no
  analytic paired method exists for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..config.gate import GateSection, MetricRule
from ..errors import ConfigError
from . import paired_proportions
from .encoding import Encoded
from .metrics import MetricSpec
from .stats import delong, discordant_counts, summarise, undefined_share

BOOTSTRAP = "paired-bootstrap-percentile"
DELONG = "delong"


@dataclass(frozen=True)
class Comparison:
    """The paired statistics of one metric between the two models (``delta`` = challenger - champion)."""

    delta: float
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    method: str
    blocker: str | None = None
    """Why the data cannot decide a statistical clause."""
    note: str | None = None


def pick_test(rule: MetricRule, spec: MetricSpec, n_classes: int | None) -> str:
    """``delong``, ``mcnemar`` (paired proportions) or ``bootstrap``; explicit choices must fit the metric."""
    binary_auc = spec.name == "roc_auc" and (n_classes or 0) == 2
    if rule.test == "delong" and not binary_auc:
        raise ConfigError(
            f"gate rule for {spec.name!r}: the DeLong test applies to binary roc_auc only",
            hint="use test: bootstrap or auto",
        )
    if rule.test == "mcnemar" and spec.name != "accuracy":
        raise ConfigError(
            f"gate rule for {spec.name!r}: the McNemar-type paired-proportions method applies to "
            "accuracy only",
            hint="use test: bootstrap or auto",
        )
    if rule.test != "auto":
        return rule.test
    if binary_auc:
        return "delong"
    if spec.name == "accuracy":
        return "mcnemar"
    return "bootstrap"


def _discordance_blocker(spec: MetricSpec, gate: GateSection, enc: Encoded) -> str | None:
    if spec.needs != "label" or enc.champion_labels is None or enc.challenger_labels is None:
        return None
    if spec.name == "accuracy":
        b, c = discordant_counts(enc.champion_labels == enc.y, enc.challenger_labels == enc.y)
        disagree = b + c
        what = "rows where exactly one model is right"
    else:
        disagree = int(np.count_nonzero(enc.champion_labels != enc.challenger_labels))
        what = "rows where the models' predictions differ"
    if 0 < disagree < gate.min_discordant:
        return f"only {disagree} {what} (min_discordant {gate.min_discordant}): too few to decide"
    return None


def compare(
    spec: MetricSpec,
    test: str,
    confidence: float,
    gate: GateSection,
    enc: Encoded,
    replicates: tuple[float, NDArray[np.float64]] | None,
) -> Comparison:
    """The comparison of one metric by its method; ``replicates`` are its bootstrap replicates, if any."""
    blocker = _discordance_blocker(spec, gate, enc)
    nan = float("nan")
    if test == "delong":
        n_pos = int(np.count_nonzero(enc.y == 1))
        fewest = min(n_pos, len(enc.y) - n_pos)
        if fewest < 2:
            why = f"only {fewest} row(s) of one class: DeLong's variance is undefined"
            return Comparison(nan, nan, nan, confidence, nan, DELONG, blocker or why)
        champ_scores: NDArray[Any] = np.asarray(enc.champion_scores)
        res = delong(enc.y == 1, champ_scores[:, 1], enc.challenger_scores[:, 1], confidence)
        return Comparison(res.delta, res.ci[0], res.ci[1], confidence, res.p_value, DELONG, blocker)
    if test == "mcnemar":
        champ_labels, chall_labels = np.asarray(enc.champion_labels), np.asarray(enc.challenger_labels)
        b, c = discordant_counts(champ_labels == enc.y, chall_labels == enc.y)
        pp = paired_proportions.compare(b, c, len(enc.y), confidence, exact_below=gate.mcnemar_exact_below)
        return Comparison(pp.delta, pp.ci_low, pp.ci_high, confidence, pp.p_value, pp.method, blocker)
    assert replicates is not None
    boot = summarise(*replicates, confidence)
    undefined = undefined_share(replicates[1])
    note = None
    if undefined > 0.1 and blocker is None:
        blocker = (
            f"{spec.name} is undefined on {undefined:.0%} of bootstrap resamples "
            "(too few rows of some class): too little evidence to decide"
        )
    elif undefined > 0:
        note = f"{spec.name} undefined on {undefined:.1%} of resamples, which were dropped"
    return Comparison(
        boot.delta, boot.ci_low, boot.ci_high, confidence, boot.p_value, BOOTSTRAP, blocker, note
    )
