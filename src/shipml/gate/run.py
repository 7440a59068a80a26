"""The gate's judging half: load the fetched models, score once, decide, measure.

The MLflow half (resolve, download, record) is :mod:`shipml.gate.fetch`, which runs it
in a helper process and calls :func:`run_gate` with what it fetched. The order matters
for trust: both models were pinned to versions before anything was downloaded, every
input problem is reported before any statistic is computed, and what the gate saw (the
champion version) is written onto the challenger version so promotion can refuse if the
champion has moved since.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import runner
from ..contracts.gate import EvaluationInfo, GateDetails, MetricOutcome, ModelInfo
from ..contracts.tags import GIT_SHA as GIT_SHA_TAG
from ..errors import InputDataError
from ..progress import stage
from .budgets import evaluate_budgets
from .decision import evaluate, point_estimates, verdict
from .metrics import default_primary_metric, get_metric
from .models import LoadedModel, ModelRef, compare_features, load
from .scoring import Scored, feature_columns, load_evaluation, resolve_target, resolve_task, score
from .slices import evaluate_slices

if TYPE_CHECKING:
    from ..config import ShipmlConfig
    from .fetch import Fetched, GateOptions


def import_scoring_stack() -> None:
    """Import what loading and scoring will need, now: the fetch helper is busy with MLflow meanwhile."""
    import pandas  # noqa: F401
    import sklearn.base  # noqa: F401

    with contextlib.suppress(ImportError):  # pickle-serialised models load without skops
        import skops.io  # noqa: F401  (its trusted-type lists import most of scikit-learn)


def _info(ref: ModelRef) -> ModelInfo:
    sha = ref.tags.get(GIT_SHA_TAG)
    return ModelInfo(
        uri=ref.uri,
        version=ref.version,
        run_id=ref.run_id,
        registered_model=ref.registered_model,
        git_sha=sha if sha and sha != "unknown" else None,
    )


def primary_delta(
    scored: Scored, outcomes: list[MetricOutcome], primary: str, cfg: ShipmlConfig
) -> float | None:
    """The primary metric's Δ: from its rule when it has one, else the point difference."""
    for o in outcomes:
        if o.slice is None and o.metric == primary:
            return o.delta
    if scored.champion is None:
        return None
    classes = scored.challenger.classes
    spec = get_metric(primary, scored.task, None if classes is None else len(classes), search_path=cfg.root)
    champ, chall = point_estimates(
        scored.y_true, scored.champion, scored.challenger, spec, scored.task, cfg.gate.threshold
    )
    assert champ is not None
    values = [champ, chall]
    delta = values[1] - values[0]
    return delta if np.isfinite(delta) else None


def _frames(
    scored: Scored, models: tuple[LoadedModel | None, LoadedModel], target: str, ignore: list[str]
) -> Any:
    return tuple(
        None if m is None else scored.frame[feature_columns(m, scored.frame, target, ignore)] for m in models
    )


def run_gate(cfg: ShipmlConfig, opts: GateOptions, fetched: Fetched) -> tuple[GateDetails, str]:
    """Decide on what :func:`shipml.gate.fetch.fetch` pinned and downloaded; the details and summary line."""
    from ..mlflow_api import store
    from ..report.sections.gate import summary_line

    challenger_ref, champion_ref = fetched.challenger, fetched.champion
    with stage("Loading models"):
        challenger = load(challenger_ref, fetched.challenger_dir)
        champion = (
            load(champion_ref, fetched.champion_dir)
            if champion_ref is not None and fetched.champion_dir is not None
            else None
        )
    if champion is not None:
        diffs = compare_features(champion, challenger)
        if diffs and not opts.allow_feature_changes:
            raise InputDataError(
                f"champion and challenger use different feature sets: {'; '.join(diffs)}",
                hint="retrain on the champion's features, or pass --allow-feature-changes to score each "
                "model on its own columns of the same rows",
            )
        if diffs:
            runner.warning(f"feature sets differ ({'; '.join(diffs)}); each model scored on its own columns")
    task = resolve_task(cfg, challenger)
    target = resolve_target(cfg, challenger, champion)
    with stage("Reading the evaluation set"):
        evaluation = load_evaluation(fetched.evaluation, fetched.evaluation_source, target)
    with stage(f"Scoring both models on {len(evaluation.frame):,} rows"):
        scored = score(evaluation, task, champion, challenger, cfg.data.ignore)
    classes = scored.challenger.classes
    n_classes = None if classes is None else len(classes)
    primary = cfg.gate.primary_metric or default_primary_metric(task, n_classes)
    # a primary metric that does not fit the task is a config error, even without a rule on it
    get_metric(primary, task, n_classes, search_path=cfg.root)
    with stage("Paired statistics"):
        metrics = evaluate(
            scored.y_true,
            scored.champion,
            scored.challenger,
            cfg.gate.rules,
            cfg.gate,
            task,
            search_path=cfg.root,
        )
        metrics += evaluate_slices(scored, cfg.gate, search_path=cfg.root)
    budgets: list[MetricOutcome] = []
    if opts.budgets:
        with stage("Timing both models (latency) and sizing them"):
            budgets = evaluate_budgets(
                champion,
                challenger,
                _frames(scored, (champion, challenger), target, cfg.data.ignore),
                task,
                cfg.gate.budgets,
                cfg.gate.confidence,
            )
    status, reasons = verdict(metrics + [b for b in budgets if b.rule != "report only"])
    details = GateDetails(
        verdict=status,
        first_model=champion_ref is None,
        primary_metric=primary,
        primary_metric_delta=primary_delta(scored, metrics, primary, cfg),
        n_rows=len(scored.y_true),
        champion=_info(champion_ref) if champion_ref is not None else None,
        challenger=_info(challenger_ref),
        metrics=metrics,
        budgets=budgets,
        reasons=reasons,
        evaluation=EvaluationInfo(
            source=evaluation.source, sha256=evaluation.sha256, target=target, task=task
        ),
        store=store.describe(store.tracking_uri(cfg)),
    )
    return details, summary_line(details)
