"""Small training projects for the train tests, and tests of the ``model:`` config section.

The helpers build a project like a user's: a shipml.yaml next to a data file cut
from the bundled churn example, with a fast estimator so each test trains in
well under a second. Other train test modules import them from here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from shipml.config import ShipmlConfig, load_config
from shipml.errors import ConfigError
from tests.conftest import EXAMPLE

# Speed-ups for subprocesses only: the venv here is installed without bytecode, so every
# `shipml` subprocess recompiles sklearn/pandas/mlflow from source; a private pycache makes
# that a one-time cost per session. Behaviour is unchanged.

BASE_CONFIG: dict[str, Any] = {
    "project": "churn-test",
    "data": {"train": "data/train.csv", "target": "churned", "ignore": ["customer_id"]},
    "mlflow": {"experiment": "churn-test", "registered_model": "churn-test-model"},
    "model": {
        "estimator": "sklearn.linear_model.LogisticRegression",
        "params": {"max_iter": 300},
        "split": {"test_size": 0.25, "seed": 7},
    },
}


def example_rows(n: int = 400) -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / "data" / "reference.csv").head(n).copy()


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def make_project(
    root: Path,
    *,
    config: dict[str, Any] | None = None,
    data: pd.DataFrame | None = None,
    rows: int = 400,
    extra_files: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write ``root/shipml.yaml`` and ``root/data/train.csv``; return the config path.

    ``config`` is merged into :data:`BASE_CONFIG` (a ``None`` value deletes a key).
    """
    (root / "data").mkdir(parents=True, exist_ok=True)
    (data if data is not None else example_rows(rows)).to_csv(root / "data" / "train.csv", index=False)
    for rel, frame in (extra_files or {}).items():
        frame.to_csv(root / rel, index=False)
    path = root / "shipml.yaml"
    path.write_text(yaml.safe_dump(_merge(BASE_CONFIG, config or {}), sort_keys=False))
    return path


def project_config(root: Path, **kwargs: Any) -> ShipmlConfig:
    return load_config(make_project(root, **kwargs))


# -- the model: section ------------------------------------------------------------------------


def test_defaults_train_the_example_estimator(tmp_path: Path) -> None:
    cfg = load_config(EXAMPLE / "shipml.yaml")
    assert cfg.model.estimator == "sklearn.ensemble.HistGradientBoostingClassifier"
    assert cfg.model.split.seed == 42 and cfg.model.split.test_size == 0.3
    assert cfg.path(cfg.data.train or "").is_file()


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"cv_folds": 1}, r"model\.cv_folds: .*at least 2 folds"),
        ({"split": {"test_size": 0.5, "val_size": 0.45}}, r"model\.split: .*at least 10% of rows"),
        ({"factory": "mod:fn", "estimator": "sklearn.linear_model.LogisticRegression"}, "either `estimator`"),
        ({"preprocessing": {"numeric_impute": "zero"}}, r"model\.preprocessing\.numeric_impute"),
    ],
)
def test_bad_model_sections_are_config_errors(tmp_path: Path, model: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        project_config(tmp_path, config={"model": model})


def test_factory_alone_is_accepted(tmp_path: Path) -> None:
    cfg = project_config(tmp_path, config={"model": {"estimator": None, "factory": "mod:fn", "params": {}}})
    assert cfg.model.factory == "mod:fn"
