"""Re-judging the rules on subsets of the evaluation rows, one column value at a time.

A model can win on average and lose badly for one region or one contract type;
slices catch that. Each slice reuses the predictions already computed (rows are
selected, models are not re-run) and the same decision code as the whole set,
with the slice's own minimum size: a slice too small to decide says so instead
of flipping a coin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import progress
from ..contracts.gate import MetricOutcome
from ..errors import ConfigError
from .decision import evaluate
from .metrics import Predictions

if TYPE_CHECKING:
    import pandas as pd

    from ..config.gate import GateSection, SliceSpec
    from .scoring import Scored

MAX_AUTO_VALUES = 50


def _subset(p: Predictions | None, mask: np.ndarray[Any, Any]) -> Predictions | None:
    if p is None:
        return None
    return Predictions(
        labels=None if p.labels is None else np.asarray(p.labels)[mask],
        scores=np.asarray(p.scores)[mask],
        classes=p.classes,
    )


def _values(frame: pd.DataFrame, spec: SliceSpec, index: int) -> list[Any]:
    if spec.column not in frame.columns:
        raise ConfigError(
            f"gate.slices[{index}].column: '{spec.column}' is not a column of the evaluation set",
            hint=f"use one of {', '.join(map(str, frame.columns[:15]))}",
        )
    if spec.values is not None:
        return list(spec.values)
    present = frame[spec.column].dropna().unique().tolist()
    if len(present) > MAX_AUTO_VALUES:
        raise ConfigError(
            f"gate.slices[{index}]: column '{spec.column}' has {len(present)} distinct values",
            hint=f"list the ones to check under `values:` "
            f"(at most {MAX_AUTO_VALUES} are sliced automatically)",
        )
    return sorted(present, key=str)


def _mask(column: pd.Series[Any], value: Any) -> np.ndarray[Any, Any]:
    mask = (column == value).to_numpy()
    if not mask.any() and isinstance(value, str):  # YAML gave "1" for an int column, or the like
        mask = (column.astype(str) == value).to_numpy()
    return np.asarray(mask, dtype=bool)


def evaluate_slices(
    scored: Scored, gate: GateSection, search_path: Path | None = None
) -> list[MetricOutcome]:
    """Every slice's outcomes, labelled ``column=value``."""
    out: list[MetricOutcome] = []
    pairs = [
        (spec, value)
        for index, spec in enumerate(gate.slices)
        for value in _values(scored.frame, spec, index)
    ]
    # Each slice runs its own paired tests: with many slice values this is the slow part.
    for spec, value in progress.bar(pairs, len(pairs), "slices"):
        mask = _mask(scored.frame[spec.column], value)
        challenger = _subset(scored.challenger, mask)
        assert challenger is not None
        out += evaluate(
            scored.y_true[mask],
            _subset(scored.champion, mask),
            challenger,
            spec.rules if spec.rules is not None else gate.rules,
            gate,
            scored.task,
            slice_name=f"{spec.column}={value}",
            min_rows=spec.min_rows,
            search_path=search_path,
        )
    return out
