"""``shipml gate`` end to end: resolve, load, score once, decide, measure, record.

The order matters for trust: both models are pinned to versions before anything
is downloaded, every input problem is reported before any statistic is
computed, and what the gate saw (the champion version) is written onto the
challenger version so promotion can refuse if the champion has moved since.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import runner
from ..contracts.gate import EvaluationInfo, GateDetails, MetricOutcome, ModelInfo
from ..contracts.tags import GIT_SHA as GIT_SHA_TAG
from ..contracts.tags import gate_tags
from ..errors import InputDataError, first_line
from ..mlflow_api.registry import record_gate_decision
from ..progress import stage
from .budgets import evaluate_budgets
from .decision import evaluate, point_estimates, verdict
from .metrics import default_primary_metric, get_metric
from .models import LoadedModel, ModelRef, compare_features, load, resolve
from .scoring import (
    Scored,
    evaluation_path,
    feature_columns,
    load_evaluation,
    resolve_target,
    resolve_task,
    score,
)
from .slices import evaluate_slices

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from ..config import ShipmlConfig


@dataclass(frozen=True)
class GateOptions:
    champion: str | None = None
    challenger: str | None = None
    evaluation: str | None = None
    allow_feature_changes: bool = False
    record: bool = True
    budgets: bool = True


def _info(ref: ModelRef) -> ModelInfo:
    sha = ref.tags.get(GIT_SHA_TAG)
    return ModelInfo(
        uri=ref.uri,
        version=ref.version,
        run_id=ref.run_id,
        registered_model=ref.registered_model,
        git_sha=sha if sha and sha != "unknown" else None,
    )


def check_provenance(ref: ModelRef) -> None:
    """Refuse to judge a challenger this job did not produce (a default alias left by another run).

    A misspelt input can send training elsewhere while the gate, on the real registry,
    finds ``@challenger`` from an earlier run and passes it: green, and wrong. So when the
    challenger comes from the default alias: it must be the version this job's train step
    registered (its result file, when present), and it must have been trained from this
    run's commit. Naming ``--challenger`` explicitly judges any version on purpose.
    """
    from ..results import default_result_path, read_result

    train_file = default_result_path("train")
    if train_file.is_file():
        trained = read_result(train_file).details
        model, version = trained.get("registered_model"), str(trained.get("model_version") or "")
        if model == ref.registered_model and version and version != ref.version:
            raise InputDataError(
                f"the challenger alias points at {ref.registered_model} v{ref.version}, but this job's "
                f"train step registered v{version} ({train_file})",
                hint=f"another run moved the alias: pass --challenger models:/{model}/{version}, "
                "or re-run train and gate together",
            )
    commit = runner.run_context().commit
    sha = ref.tags.get(GIT_SHA_TAG)
    if commit and sha and sha != "unknown" and sha != commit:
        raise InputDataError(
            f"{ref.label()} was trained from commit {sha[:7]}, but this run is at {commit[:7]}: "
            "it is not the model this change produced",
            hint="train in this job before the gate (check the train step's tracking-uri input), or pass "
            "--challenger models:/NAME/N to judge that version on purpose",
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


def _record(
    client: MlflowClient, challenger: ModelRef, details: GateDetails, summary: str
) -> dict[str, str] | None:
    if not (challenger.registered_model and challenger.version):
        return None
    ctx = runner.run_context()
    tags = gate_tags(
        verdict=details.verdict,
        champion_version=details.champion.version if details.champion else None,
        primary_metric=details.primary_metric,
        primary_delta=details.primary_metric_delta,
        summary=summary,
        run_url=ctx.run_url,
        commit=ctx.commit,
    )
    try:
        record_gate_decision(client, challenger.registered_model, challenger.version, tags)
    except Exception as exc:  # the verdict stands; only `promote` without --gate-result loses its input
        runner.warning(
            f"could not record the gate decision on {challenger.registered_model} v{challenger.version}: "
            f"{first_line(exc)}; "
            "promote with --gate-result instead"
        )
        return None
    return tags


def _frames(
    scored: Scored, models: tuple[LoadedModel | None, LoadedModel], target: str, ignore: list[str]
) -> Any:
    return tuple(
        None if m is None else scored.frame[feature_columns(m, scored.frame, target, ignore)] for m in models
    )


def run_gate(cfg: ShipmlConfig, opts: GateOptions) -> tuple[GateDetails, str]:
    """Decide; return the result details and the one-line summary recorded with them."""
    from ..mlflow_api import store
    from ..mlflow_api.client import connect
    from ..report.sections.gate import summary_line

    client = connect(cfg, extra="gate")
    with stage("Resolving champion and challenger"):
        challenger_ref = resolve(client, cfg, "challenger", opts.challenger)
        assert challenger_ref is not None
        if not opts.challenger:
            check_provenance(challenger_ref)
        champion_ref = resolve(client, cfg, "champion", opts.champion)
    if champion_ref is not None and champion_ref.pinned_uri == challenger_ref.pinned_uri:
        runner.warning(f"the challenger and the champion are the same model ({challenger_ref.pinned_uri})")
    with tempfile.TemporaryDirectory(prefix="shipml-gate-") as tmp:
        scratch = Path(tmp)
        with stage("Loading models"):
            challenger = load(challenger_ref, scratch)
            champion = load(champion_ref, scratch) if champion_ref is not None else None
        if champion is not None:
            diffs = compare_features(champion, challenger)
            if diffs and not opts.allow_feature_changes:
                raise InputDataError(
                    f"champion and challenger use different feature sets: {'; '.join(diffs)}",
                    hint="retrain on the champion's features, or pass --allow-feature-changes to score each "
                    "model on its own columns of the same rows",
                )
            if diffs:
                runner.warning(
                    f"feature sets differ ({'; '.join(diffs)}); each model scored on its own columns"
                )
        task = resolve_task(cfg, challenger)
        target = resolve_target(cfg, challenger, champion)
        with stage("Reading the evaluation set"):
            path, source = evaluation_path(client, cfg, challenger_ref, opts.evaluation, scratch)
            evaluation = load_evaluation(path, source, target)
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
    summary = f"{status}: {summary_line(details)}"
    if opts.record:
        details.recorded_tags = _record(client, challenger_ref, details, summary)
    return details, summary_line(details)
