"""Train/validation/test split: seeded, stratified for classification, or from files.

The test rows become the gate's evaluation set, so the split must be a pure
function of (data, config): the same seed always selects the same rows. Class
counts are checked up front because sklearn's own message ("The least populated
class in y has only 1 member") names neither the class nor the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config.model import SplitSection
from ..datasets import python_value as plain
from ..errors import InputDataError, first_line
from .estimator import Task
from .inputs import TrainingTables

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Splits:
    train: pd.DataFrame
    test: pd.DataFrame
    val: pd.DataFrame | None
    stratified: bool


def _too_few(y: pd.Series, needed: int, target: str, what: str) -> None:
    counts = y.value_counts(sort=True, ascending=True)
    label, count = plain(counts.index[0]), int(counts.iloc[0])
    if count < needed:
        raise InputDataError(
            f"class {label!r} of target {target!r} has only {count} row(s) in the training data, "
            f"too few to stratify {what} (needs at least {needed})",
            hint="add rows for that class, drop it, or set model.split.stratify: false",
        )


def _cut(frame: pd.DataFrame, size: int, seed: int, stratify: pd.Series | None) -> tuple[Any, Any]:
    """Hold out exactly ``size`` rows (a count, so shares of shares never round differently)."""
    from sklearn.model_selection import train_test_split

    if not 0 < size < len(frame):
        raise InputDataError(
            f"cannot hold out {size} of {len(frame)} rows", hint="use more rows or adjust model.split sizes"
        )
    try:
        parts = train_test_split(frame, test_size=size, random_state=seed, shuffle=True, stratify=stratify)
    except ValueError as exc:  # e.g. fewer test rows than classes
        raise InputDataError(
            f"cannot hold out {size} of {len(frame)} rows: {first_line(exc)}",
            hint="use more rows, a larger model.split.test_size, or stratify: false",
        ) from None
    return parts[0], parts[1]


def make_splits(tables: TrainingTables, task: Task, cfg: SplitSection, *, cv_folds: int = 0) -> Splits:
    target = tables.target
    stratify = cfg.stratify and task == "classification"
    rest = tables.train
    total = len(rest)
    random_cuts = (tables.test is None) + (tables.val is None and cfg.val_size > 0)
    if stratify and random_cuts:
        _too_few(rest[target], random_cuts + 1, target, f"a {random_cuts + 1}-way split")

    if tables.test is not None:
        test = tables.test
    else:
        rest, test = _cut(rest, round(cfg.test_size * total), cfg.seed, rest[target] if stratify else None)

    val: pd.DataFrame | None = tables.val
    if val is None and cfg.val_size > 0:
        # val_size is a share of all rows in data.train, like test_size
        rest, val = _cut(rest, round(cfg.val_size * total), cfg.seed, rest[target] if stratify else None)

    if cv_folds:
        if len(rest) < cv_folds:
            raise InputDataError(
                f"{len(rest)} training rows cannot make {cv_folds} CV folds", hint="lower model.cv_folds"
            )
        if stratify:
            _too_few(rest[target], cv_folds, target, f"{cv_folds} CV folds")
    return Splits(train=rest, test=test, val=val, stratified=stratify)
