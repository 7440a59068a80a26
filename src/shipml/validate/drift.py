"""Per-column drift between reference and current data with Evidently 0.7.

What shipml adds on top of Evidently's ``DataDriftPreset``:

* the method is chosen here, explicitly, for every column, so the result says
  which statistic decided and the choice is reproducible across Evidently
  releases. ``auto`` uses p-value tests (K-S, chi-square) only while the smaller
  sample has at most ``effect_size_above_rows`` rows: two-sample tests gain power
  with n until any negligible difference is "significant", so above that the
  decision is made on effect sizes (normed Wasserstein, Jensen-Shannon), which
  do not grow with n;
* a multiple-testing correction (Holm or Benjamini-Hochberg) across the columns
  tested with p-values: with 20 columns at p<0.05, one false alarm per run is
  the expected outcome without it. Evidently has none, so its HTML report shows
  uncorrected verdicts; the result file and the markdown carry the corrected ones;
* deterministic sampling (``sample_rows`` + ``seed``) for data too large to
  compare in full, reported in the result.

Evidently is imported only when drift actually runs (it costs seconds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..config.validate import DriftSection
from ..contracts.validate import DriftColumn, DriftSummary
from ..errors import ConfigError, require
from ..multiplicity import adjust
from .inputs import family

if TYPE_CHECKING:
    import pandas as pd

# How the plan treats a column; the result file carries both as plain strings (shipml.contracts.validate).
Kind = Literal["num", "cat"]
Role = Literal["feature", "target", "prediction"]
P_VALUE_METHODS = frozenset({"ks", "chisquare", "z"})
METHODS_FOR: dict[Kind, frozenset[str]] = {
    "num": frozenset({"ks", "wasserstein", "psi", "jensenshannon"}),
    "cat": frozenset({"chisquare", "z", "psi", "jensenshannon"}),
}
# a global method that does not fit a column's kind -> the same family's method for that kind
SAME_FAMILY: dict[tuple[str, Kind], str] = {
    ("chisquare", "num"): "ks",
    ("z", "num"): "ks",
    ("ks", "cat"): "chisquare",
    ("wasserstein", "cat"): "jensenshannon",
}
DEFAULT_THRESHOLD = {
    "ks": 0.05,
    "chisquare": 0.05,
    "z": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
# Evidently's own comparisons (ks drifts at p <= t, the other tests at p < t, distances at d >= t)
INCLUSIVE_P = frozenset({"ks"})


@dataclass(frozen=True)
class ColumnPlan:
    column: str
    kind: Kind
    role: Role
    method: str
    threshold: float

    @property
    def uses_p_value(self) -> bool:
        return self.method in P_VALUE_METHODS


def sample(frame: pd.DataFrame, rows: int | None, seed: int) -> pd.DataFrame:
    """The same rows for the same data, seed and size, in their original order."""
    if rows is None or len(frame) <= rows:
        return frame
    import numpy as np

    index = np.sort(np.random.default_rng(seed).choice(len(frame), size=rows, replace=False))
    return frame.iloc[index]


def infer_kind(series: pd.Series) -> Kind | None:
    """num or cat; None for columns drift is not measured on (datetimes)."""
    fam = family(series)
    if fam == "datetime":
        return None
    if fam == "number":
        return "cat" if _at_most_two_values(series) else "num"
    return "cat"


def _at_most_two_values(series: pd.Series) -> bool:
    """Binary numeric columns (0/1 flags) are categorical; a look at the head settles most columns cheaply."""
    if series.head(1000).nunique(dropna=True) > 2:
        return False
    return bool(series.nunique(dropna=True) <= 2)


def _method_for(column: str, kind: Kind, section: DriftSection, rows: int, binary: bool) -> str:
    override = section.columns.get(column)
    if override and override.method and override.method != "auto":
        chosen: str = override.method
        if chosen not in METHODS_FOR[kind] or (chosen == "z" and not binary):
            need = {"z": "a binary categorical", "ks": "a numeric", "wasserstein": "a numeric"}.get(
                chosen, "a categorical"
            )
            fits = ", ".join(sorted(METHODS_FOR[kind] - (set() if binary else {"z"})))
            raise ConfigError(
                f"validate.drift.columns.{column}.method: {chosen} needs {need} column, "
                f"but '{column}' is {'numeric' if kind == 'num' else 'categorical'}",
                hint=f"use one of {fits}, or set `kind:` for the column",
            )
        return chosen
    method: str = section.method
    if method == "auto":
        small = rows <= section.effect_size_above_rows
        if kind == "num":
            return "ks" if small else "wasserstein"
        return "chisquare" if small else "jensenshannon"
    method = SAME_FAMILY.get((method, kind), method)
    if method == "z" and not binary:
        method = "chisquare"
    return method


def plan(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    section: DriftSection,
    *,
    target: str | None,
    ignore: Sequence[str],
) -> list[ColumnPlan]:
    """Which columns to compare, as what kind, with which method and threshold."""
    skipped = set(ignore) | set(section.ignore)
    unknown = [c for c in section.columns if c not in reference.columns]
    if unknown:
        raise ConfigError(
            f"validate.drift.columns.{unknown[0]}: no such column in the reference data",
            hint="fix the column name or remove the entry",
        )
    rows = min(len(reference), len(current))
    plans: list[ColumnPlan] = []
    for column in reference.columns:
        name = str(column)
        if name in skipped or column not in current.columns:
            continue
        override = section.columns.get(name)
        kind = (override.kind if override else None) or infer_kind(reference[column])
        if kind is None:
            continue
        binary = (
            kind == "cat"
            and len(set(reference[column].dropna().unique()) | set(current[column].dropna().unique())) <= 2
        )
        plans.append(column_plan(name, kind, section, rows=rows, binary=binary, target=target))
    return plans


def column_plan(
    name: str, kind: Kind, section: DriftSection, *, rows: int, binary: bool, target: str | None
) -> ColumnPlan:
    """Method, threshold and role of one column: the same rule for the pandas and the Spark engines."""
    override = section.columns.get(name)
    method = _method_for(name, kind, section, rows, binary)
    threshold = (override.threshold if override else None) or section.threshold or DEFAULT_THRESHOLD[method]
    role: Role = "target" if name == target else ("prediction" if name == section.prediction else "feature")
    return ColumnPlan(name, kind, role, method, float(threshold))


def _drifted(plan_: ColumnPlan, value: float) -> bool:
    if math.isnan(value):
        return False
    if plan_.uses_p_value:
        return value <= plan_.threshold if plan_.method in INCLUSIVE_P else value < plan_.threshold
    return value >= plan_.threshold


@dataclass
class DriftRun:
    summary: DriftSummary
    snapshot: Any  # evidently Snapshot, kept to save its HTML once everything succeeded

    def save_html(self, path: str) -> None:
        self.snapshot.save_html(path)


@dataclass
class Prepared:
    """Sampled tables and the per-column plan: everything that can fail on config, before any work."""

    reference: pd.DataFrame
    current: pd.DataFrame
    plans: list[ColumnPlan]
    full_rows: tuple[int, int]


def prepare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    section: DriftSection,
    *,
    target: str | None,
    ignore: Sequence[str],
) -> Prepared:
    require("evidently", "validate")
    ref = sample(reference, section.sample_rows, section.seed)
    cur = sample(current, section.sample_rows, section.seed + 1)
    plans = plan(ref, cur, section, target=target, ignore=ignore)
    if not plans:
        raise ConfigError(
            "validate.drift: no columns left to compare (all ignored or datetimes)",
            hint="drop columns from data.ignore/validate.drift.ignore, or run with --no-drift",
        )
    return Prepared(ref, cur, plans, (len(reference), len(current)))


def run(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    section: DriftSection,
    *,
    target: str | None,
    ignore: Sequence[str],
) -> DriftRun:
    """Compare the (sampled) tables column by column and decide dataset drift."""
    return measure(prepare(reference, current, section, target=target, ignore=ignore), section)


def measure(prepared: Prepared, section: DriftSection) -> DriftRun:
    ref, cur, plans = prepared.reference, prepared.current, prepared.plans
    scores = _evidently(ref, cur, plans, section)
    sampled = section.sample_rows if (len(ref), len(cur)) != prepared.full_rows else None
    summary = summarize(plans, scores.values, section, rows=(len(ref), len(cur)), sampled=sampled)
    return DriftRun(summary=summary, snapshot=scores.snapshot)


def summarize(
    plans: Sequence[ColumnPlan],
    values: dict[str, float],
    section: DriftSection,
    *,
    rows: tuple[int, int],
    sampled: int | None,
) -> DriftSummary:
    """Per-column verdicts (corrected across p-value columns) and dataset drift, from raw scores.

    Shared by every engine (Evidently on pandas, aggregates on Spark): the scores differ in
    where they are computed, never in how they are judged.
    """
    p_plans = [p for p in plans if p.uses_p_value]
    adjusted = dict(
        zip(
            [p.column for p in p_plans],
            adjust([values[p.column] for p in p_plans], section.correction),
            strict=True,
        )
    )
    columns: list[DriftColumn] = []
    for p in plans:
        value = values[p.column]
        p_adj = adjusted.get(p.column)
        decided_on = p_adj if p_adj is not None else value
        columns.append(
            DriftColumn(
                column=p.column,
                kind=p.kind,
                role=p.role,
                method=p.method,
                statistic=_finite(value),
                threshold=p.threshold,
                p_value=_finite(value) if p.uses_p_value else None,
                p_adjusted=_finite(p_adj) if p_adj is not None else None,
                drifted=_drifted(p, decided_on),
            )
        )
    share = sum(c.drifted for c in columns) / len(columns)
    return DriftSummary(
        share=round(share, 4),
        dataset_drift=share >= section.share_threshold,
        share_threshold=section.share_threshold,
        sampled_rows=sampled,
        reference_rows=rows[0],
        current_rows=rows[1],
        seed=section.seed,
        correction=section.correction if p_plans else "none",
        columns=columns,
    )


def _finite(value: float | None) -> float | None:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return float(value)


@dataclass
class _Scores:
    values: dict[str, float]
    snapshot: Any


def _evidently(
    ref: pd.DataFrame, cur: pd.DataFrame, plans: Sequence[ColumnPlan], section: DriftSection
) -> _Scores:
    import os

    os.environ.setdefault("DO_NOT_TRACK", "true")
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    names = [p.column for p in plans]
    definition = DataDefinition(
        numerical_columns=[p.column for p in plans if p.kind == "num"],
        categorical_columns=[p.column for p in plans if p.kind == "cat"],
    )
    preset = DataDriftPreset(
        columns=names,
        per_column_method={p.column: p.method for p in plans},
        per_column_threshold={p.column: p.threshold for p in plans},
        drift_share=section.share_threshold,
    )
    subset_ref = ref if list(ref.columns) == names else ref[names]
    subset_cur = cur if list(cur.columns) == names else cur[names]
    snapshot = Report([preset], include_tests=False).run(
        reference_data=Dataset.from_pandas(subset_ref, data_definition=definition),
        current_data=Dataset.from_pandas(subset_cur, data_definition=definition),
    )
    values: dict[str, float] = {}
    for metric in snapshot.dict().get("metrics", []):
        config = metric.get("config") or {}
        if str(config.get("type", "")).endswith("ValueDrift") and config.get("column") in names:
            raw = metric.get("value")
            values[str(config["column"])] = float(raw) if isinstance(raw, int | float) else float("nan")
    missing = [n for n in names if n not in values]
    if missing:  # a silent gap would read as "no drift"
        raise RuntimeError(f"Evidently returned no drift score for {', '.join(missing)}")
    return _Scores(values=values, snapshot=snapshot)
