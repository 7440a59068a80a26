"""Reading the training tables and checking they can train the configured task.

Each check names the column, the file and (for CSV) the line, because "could not
convert string to float" from inside sklearn tells a user none of those. Column
kinds are decided here once (numeric vs categorical) and reused for the
preprocessing spec, the signature and the evaluation set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import ShipmlConfig
from ..datasets import python_value as plain
from ..datasets import read_table
from ..errors import ConfigError, InputDataError
from .estimator import Task

if TYPE_CHECKING:
    import pandas as pd

NUMERIC_SCHEMA_TYPES = {"int", "float", "number"}
# An object column where at least this share of values parse as numbers is a numeric
# column with typos, not a categorical one.
MOSTLY_NUMERIC = 0.9


@dataclass
class TrainingTables:
    """The rows to train on, plus explicit held-out tables when configured."""

    target: str
    features: list[str]
    numeric: list[str]
    categorical: list[str]
    train: pd.DataFrame
    test: pd.DataFrame | None = None
    val: pd.DataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)  # role -> file, for lineage


def _is_csv(path: Path) -> bool:
    return path.is_file() and ".csv" in "".join(s.lower() for s in path.suffixes)


def _position(frame: pd.DataFrame, label: Any, path: Path) -> str:
    pos = int(frame.index.get_loc(label))  # type: ignore[arg-type]
    return f"line {pos + 2}" if _is_csv(path) else f"row {pos + 1}"


def _choose_features(cfg: ShipmlConfig, frame: pd.DataFrame, target: str, path: Path) -> list[str]:
    if cfg.data.features:
        missing = [c for c in cfg.data.features if c not in frame.columns]
        if missing:
            raise InputDataError(
                f"{cfg.where('data', 'features')}: column(s) {', '.join(map(repr, missing))} not in {path}",
                hint=f"columns there: {', '.join(map(str, frame.columns))}",
            )
        if target in cfg.data.features:
            raise ConfigError(
                f"{cfg.where('data', 'features')}: the target {target!r} is listed as a feature",
                hint="remove it from data.features",
            )
        return list(cfg.data.features)
    ignored = set(cfg.data.ignore)
    features = [str(c) for c in frame.columns if c != target and c not in ignored]
    if not features:
        raise InputDataError(f"{path} has no feature columns besides the target", hint="add feature columns")
    return features


def _declared_numeric(cfg: ShipmlConfig) -> set[str]:
    declared = set(cfg.model.preprocessing.numeric or [])
    schema = cfg.validate_.contract
    declared |= {col for col, rule in schema.items() if rule.dtype in NUMERIC_SCHEMA_TYPES}
    return declared - set(cfg.model.preprocessing.categorical or [])


def _check_numeric(frame: pd.DataFrame, column: str, path: Path, *, declared: bool) -> bool:
    """True if the column is numeric; raise if it should be but holds non-numbers."""
    import pandas as pd

    series = frame[column]
    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    present = series.dropna()
    if present.empty:
        return declared
    parsed = pd.to_numeric(present, errors="coerce")
    bad = parsed.isna()
    if not bad.any():
        return True  # numbers stored as text
    share_numeric = 1 - float(bad.mean())
    if declared or share_numeric >= MOSTLY_NUMERIC:
        label = bad[bad].index[0]
        raise InputDataError(
            f"numeric feature {column!r} has {int(bad.sum())} non-numeric value(s) in {path} "
            f"(first: {plain(present[label])!r} at {_position(frame, label, path)})",
            hint="fix the data, or list the column under model.preprocessing.categorical",
        )
    return False


def _continuous(series: pd.Series) -> bool:
    """Floats with fractions or very many levels: a regression target, not class labels."""
    import pandas as pd

    if not pd.api.types.is_float_dtype(series):
        return False
    return not bool((series == series.round()).all()) or series.nunique() > max(20, len(series) // 20)


def _check_target(cfg: ShipmlConfig, frame: pd.DataFrame, target: str, task: Task, path: Path) -> None:
    import pandas as pd

    series = frame[target]
    missing = int(series.isna().sum())
    if missing:
        label = series[series.isna()].index[0]
        raise InputDataError(
            f"target column {target!r} has {missing} missing value(s) in {path} "
            f"(first at {_position(frame, label, path)})",
            hint="drop unlabelled rows before training",
        )
    if series.nunique() < 2:
        raise InputDataError(
            f"target column {target!r} in {path} is constant "
            f"({plain(series.iloc[0])!r} in all {len(series)} rows)",
            hint="a model cannot learn from one label; check the data or data.target",
        )
    if task == "regression" and not pd.api.types.is_numeric_dtype(series):
        raise InputDataError(
            f"target column {target!r} in {path} is not numeric, but the task is regression",
            hint="use a classifier, or fix the target column",
        )
    if task == "classification" and _continuous(series):
        raise InputDataError(
            f"target column {target!r} in {path} looks continuous ({series.nunique()} distinct floats), "
            "but the task is classification",
            hint="use a regressor, or bin the target into classes",
        )


def _coerce(frame: pd.DataFrame, numeric: list[str]) -> pd.DataFrame:
    """Numeric features as float64, so the signature allows missing values at serving time."""
    import pandas as pd

    out = frame.copy()
    for column in numeric:
        out[column] = pd.to_numeric(out[column], errors="raise").astype("float64")
    return out


def _read_role(cfg: ShipmlConfig, rel: str, role: str) -> tuple[Path, pd.DataFrame]:
    path = cfg.path(rel)
    return path, read_table(path, role=role)


def load(cfg: ShipmlConfig, task: Task) -> TrainingTables:
    """Read ``data.train`` (and explicit split files) and check them; raise one line on the first problem."""
    if not cfg.data.train:
        raise ConfigError(
            f"{cfg.where('data')}: data.train is not set",
            hint="point data.train at the training table (CSV or Parquet)",
        )
    if not cfg.data.target:
        raise ConfigError(f"{cfg.where('data')}: data.target is not set", hint="name the label column")
    target = cfg.data.target
    path, frame = _read_role(cfg, cfg.data.train, "training data")
    if target not in frame.columns:
        import difflib

        close = difflib.get_close_matches(target, [str(c) for c in frame.columns], n=1)
        raise InputDataError(
            f"{cfg.where('data', 'target')}: target column {target!r} not found in {path}"
            + (f" (did you mean {close[0]!r}?)" if close else ""),
            hint=f"columns there: {', '.join(map(str, frame.columns))}",
        )
    features = _choose_features(cfg, frame, target, path)
    declared = _declared_numeric(cfg)
    forced_categorical = set(cfg.model.preprocessing.categorical or [])
    for column in (cfg.model.preprocessing.numeric or []) + sorted(forced_categorical):
        if column not in features:
            raise ConfigError(
                f"{cfg.where('model', 'preprocessing')}: {column!r} is not a feature column",
                hint=f"features: {', '.join(features)}",
            )
    numeric: list[str] = []
    categorical: list[str] = []
    for column in features:
        if frame[column].isna().all():
            raise InputDataError(
                f"feature {column!r} is empty in {path}", hint="drop it via data.ignore or fill it in"
            )
        if column in forced_categorical:
            categorical.append(column)
        elif _check_numeric(frame, column, path, declared=column in declared):
            numeric.append(column)
        else:
            categorical.append(column)
    _check_target(cfg, frame, target, task, path)
    tables = TrainingTables(
        target=target,
        features=features,
        numeric=numeric,
        categorical=categorical,
        train=_coerce(frame[[*features, target]], numeric),
        files={"train": path},
    )
    for role, rel in (("test", cfg.model.split.test_file), ("val", cfg.model.split.val_file)):
        if not rel:
            continue
        extra_path, extra = _read_role(cfg, rel, f"{role} data")
        needed = [*features, target]
        missing = [c for c in needed if c not in extra.columns]
        if missing:
            raise InputDataError(
                f"{role} data {extra_path} lacks column(s) {', '.join(map(repr, missing))}",
                hint="split files need the same feature and target columns as data.train",
            )
        for column in numeric:
            _check_numeric(extra, column, extra_path, declared=True)
        if extra[target].isna().any():
            raise InputDataError(
                f"target column {target!r} has missing values in {extra_path}", hint="drop unlabelled rows"
            )
        setattr(tables, role, _coerce(extra[needed], numeric))
        tables.files[role] = extra_path
    return tables
