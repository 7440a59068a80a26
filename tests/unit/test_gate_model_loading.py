"""The gate loads sklearn models from their files without MLflow, making MLflow's trust decision."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from shipml.errors import InputDataError
from shipml.gate.models import ModelRef, load
from tests.unit.test_serve_model import CATEGORICAL, NUMERIC, churn_frame, make_model_dir

REF = ModelRef("challenger", "models:/churn/3", "churn", "3", "r1")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("gate-model") / "model")


def test_an_sklearn_model_loads_without_importing_mlflow(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow.sklearn

    frame = churn_frame().head(50)[NUMERIC + CATEGORICAL]
    expected = mlflow.sklearn.load_model(str(model_dir)).predict_proba(frame)
    for name in [m for m in sys.modules if m == "mlflow" or m.startswith("mlflow.")]:
        monkeypatch.setitem(sys.modules, name, None)  # any `import mlflow...` now fails
    loaded = load(REF, model_dir)
    assert np.array_equal(loaded.model.predict_proba(frame), expected)
    assert loaded.size_bytes == (model_dir / "model.skops").stat().st_size
    assert loaded.features and "tenure_months" in loaded.features


def test_when_mlflow_is_told_not_to_deserialise_its_loader_decides_and_refuses(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
    with pytest.raises(
        InputDataError, match=r"challenger models:/churn/3 \(version 3\) cannot be loaded: .*disallowed"
    ):
        load(REF, model_dir)


def test_a_model_file_that_is_not_a_model_is_one_line_naming_the_model(
    model_dir: Path, tmp_path: Path
) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    (broken / "model.skops").write_bytes(b"not a zip")
    with pytest.raises(InputDataError, match=r"challenger models:/churn/3 \(version 3\) cannot be loaded"):
        load(REF, broken)
