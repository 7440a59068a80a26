"""``shipml validate --init``: a starter suite profiled from the reference data.

GX 1.x dropped its onboarding profiler, so teams start from an empty suite and
often never write one. This writes the compact YAML form with what the
reference data already shows: non-null where it has no nulls, category sets for
low-cardinality columns, uniqueness for id-like columns, value ranges widened
by a margin (so next week's data is not rejected for a slightly larger maximum),
and loose row-count bounds. Ranges and row counts are warnings; the user edits
the file, promotes what matters to errors, and commits it.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import yaml

from ..datasets import python_value
from .inputs import family

if TYPE_CHECKING:
    import pandas as pd

MAX_CATEGORIES = 50
MARGIN = 0.1  # of the observed range, on each side


def _flow(value: Any) -> str:
    return (
        str(yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False))
        .strip()
        .removesuffix("\n...")
    )


def _bound(value: float, integral: bool, up: bool) -> float | int:
    if integral:
        return int(math.ceil(value) if up else math.floor(value))
    return float(f"{value:.6g}")


def _column_items(series: pd.Series) -> list[str]:
    items: list[str] = []
    values = series.dropna()
    if len(values) == len(series):
        items.append("not_null")
    fam = family(series)
    distinct = int(values.nunique())
    if fam == "number" and distinct > 2:
        low, high = float(values.min()), float(values.max())
        margin = MARGIN * (high - low) if high > low else max(abs(high) * MARGIN, 1.0)
        integral = bool((values == values.round()).all())
        lower = low - margin
        if low >= 0:
            lower = max(0.0, lower)  # counts, prices, ages: never invite negatives
        bounds = {"min": _bound(lower, integral, up=False), "max": _bound(high + margin, integral, up=True)}
        items.append(f"between: {_flow({**bounds, 'severity': 'warning'})}")
    elif fam in ("text", "bool", "number") and 0 < distinct <= MAX_CATEGORIES and distinct < len(values):
        categories = sorted(values.unique().tolist(), key=str)
        items.append(f"in_set: {_flow([python_value(v) for v in categories])}")
    elif fam == "text" and distinct == len(values) and distinct > MAX_CATEGORIES:
        items.append("unique")
    return items


def starter_suite(frame: pd.DataFrame, *, name: str, source: str) -> tuple[str, int]:
    """YAML text of the starter suite and the number of expectations in it."""
    rows = len(frame)
    row_bounds = {"min": max(1, rows // 10), "max": rows * 10, "severity": "warning"}
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        f"# Starter expectation suite written by `shipml validate --init` from {source}",
        f"# ({rows} rows, {stamp}). Review it: tighten or loosen ranges, promote the checks",
        "# that must stop a pipeline to `severity: error` (the default), and commit it.",
        "# Item forms: `- not_null`, `- between: {min: 0, max: 10}`,",
        "# `- {in_set: [a, b], severity: warning}`,",
        "# or any GX 1.x type: `- expect_column_values_to_match_regex: {regex: '^C[0-9]+$'}`.",
        f"name: {_flow(name)}",
        "table:",
        f"  - row_count_between: {_flow(row_bounds)}",
        "columns:",
    ]
    count = 1
    for column in frame.columns:
        items = _column_items(frame[column])
        lines.append(f"  {_flow(str(column))}:" + ("" if items else " []"))
        lines += [f"    - {item}" for item in items]
        count += len(items)
    return "\n".join(lines) + "\n", count
