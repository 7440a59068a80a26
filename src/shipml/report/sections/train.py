"""The train result: which model was trained and registered, from which run, and its metrics.

The table has one column per split (with its row count when known); the
cross-validation summary is a line below it. The gate's section reuses
:func:`run_line` and :func:`train_table` when both results are in one report.
"""

from __future__ import annotations

from ...contracts.train import TrainDetails
from ...results import Result
from .. import markdown as md
from ..limits import Section
from . import generic
from .common import parse, standalone, store_note

HEADLINE = {"classification": ("roc_auc", "accuracy", "f1"), "regression": ("rmse", "mae", "r2")}


def headline(details: TrainDetails) -> str:
    """The test metrics a reviewer compares first, e.g. ``roc_auc 0.8533, accuracy 0.7950``."""
    test = details.metrics.test
    return ", ".join(
        f"{name} {md.num(test[name])}" for name in HEADLINE.get(details.task, ()) if name in test
    )


def summary_line(details: TrainDetails) -> str:
    """The one line printed at the end of ``shipml train`` and recorded as the result's summary."""
    return (
        f"{details.estimator or 'model'} trained; test {headline(details) or 'no metrics'}; "
        f"registered {details.registered_model} v{details.model_version} as @{details.alias}"
    )


def run_line(train: TrainDetails) -> str:
    """``Trained in [MLflow run `8c1f0e2d`](...): registered **churn-classifier v8** (alias ...).``"""
    model = md.model_version(train.registered_model, train.model_version)
    alias = f" (alias `{md.cell(train.alias)}`)" if train.alias else ""
    short = (train.run_id or "")[:8]
    if train.run_url:
        run = f"[MLflow run `{short}`]({train.run_url})"
    else:
        run = f"MLflow run `{short}`" if train.run_id else "MLflow"
    return f"Trained in {run}: registered {model}{alias}.{store_note(train.tracking_uri)}"


def _what(train: TrainDetails) -> str | None:
    if not train.estimator:
        return None
    features = f", {md.plural(len(train.features), 'feature')}" if train.features else ""
    return (
        f"**{md.cell(train.estimator)}** ({md.cell(train.task)}, target `{md.cell(train.target)}`{features})."
    )


def train_table(train: TrainDetails) -> list[str]:
    """Metric by split (train, val, test); empty when no split has metrics."""
    by_split = {s: v for s, v in train.metrics.splits().items() if s != "cv"}
    if not by_split:
        return []
    names: list[str] = []
    for values in by_split.values():
        names += [m for m in values if m not in names]
    head = ["metric"] + [
        f"{s} ({md.plural(train.rows[s], 'row')})" if s in train.rows else s for s in by_split
    ]
    rows = [[md.cell(n), *(md.num(v.get(n)) for v in by_split.values())] for n in names]
    return md.table(head, "l" + "r" * len(by_split), rows)


def _cv_line(train: TrainDetails) -> str | None:
    cv = train.metrics.cv
    if not cv:
        return None
    parts = [
        f"{k[: -len('_mean')]} {md.num(v)} ± {md.num(cv.get(k[: -len('_mean')] + '_std', 0.0))}"
        for k, v in cv.items()
        if k.endswith("_mean")
    ]
    return f"Cross-validation: {', '.join(parts)}." if parts else None


def sections(result: Result, train: TrainDetails, title_suffix: str = "") -> list[Section]:
    title = (
        f"Model: trained {md.model_version(train.registered_model, train.model_version)}"
        if train.registered_model
        else "Model: trained"
    )
    lines = [f"{md.icon(result.status)} {run_line(train)}"]
    if (what := _what(train)) is not None:
        lines.append(what)
    table = train_table(train)
    if table:
        lines += ["", *table]
    if (cv := _cv_line(train)) is not None:
        lines += ["", cv]
    return [Section(title + title_suffix, lines)]


def render(result: Result) -> str:
    details = parse(TrainDetails, result, []) if result.status != "error" else None
    if details is None:
        return generic.render(result)
    return standalone(result, sections(result, details))
