"""The server's model side without HTTP: MLmodel parsing, signature validation, the input paths.

Models are real: the churn example fitted with shipml's own training pipeline and
written by ``mlflow.sklearn.save_model`` (skops, signature, input example), the
files ``mlflow.sklearn.log_model`` writes. ``make_model_dir`` is also used by the
integration tests and the benchmark.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shipml.config.model import PreprocessingSection
from shipml.errors import InputDataError
from shipml.serve import mlmodel
from shipml.serve.loading import load
from shipml.serve.predictor import Predictor, model_columns
from shipml.serve.rows import RequestError, RowValidator
from tests.conftest import EXAMPLE

TARGET = "churned"
NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "senior"]
CATEGORICAL = ["contract", "payment_method", "internet_service", "region"]


def churn_frame(name: str = "reference.csv") -> pd.DataFrame:
    frame = pd.read_csv(EXAMPLE / "data" / name)
    frame[NUMERIC] = frame[NUMERIC].astype("float64")  # as shipml train does: NaN-able numerics
    return frame


def make_model_dir(
    target: Path,
    *,
    task: str = "binary",
    estimator: Any = None,
    prep: PreprocessingSection | None = None,
    seed: int = 0,
) -> Path:
    """Fit the churn pipeline and save it as an MLflow model directory (skops, signature, example)."""
    import mlflow.sklearn
    import skops.io
    from mlflow.models import infer_signature
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline

    from shipml.train.pipeline import preprocessor

    frame = churn_frame().sample(3000, random_state=seed)
    X = frame[NUMERIC + CATEGORICAL]
    if task == "binary":
        y = frame[TARGET]
    elif task == "multiclass":
        y = frame["contract"].map({"month-to-month": "m", "one-year": "y1", "two-year": "y2"})
        X = X.drop(columns=["contract"])
    else:
        y = frame["monthly_charges"]
        X = X.drop(columns=["monthly_charges"])
    numeric = [c for c in NUMERIC if c in X]
    categorical = [c for c in CATEGORICAL if c in X]
    if estimator is None:
        cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
        estimator = cls(max_iter=30, random_state=seed)
    model = Pipeline(
        [
            ("preprocess", preprocessor(prep or PreprocessingSection(), numeric, categorical)),
            ("model", estimator),
        ]
    )
    model.fit(X, y)
    sample = X.head(20)
    mlflow.sklearn.save_model(
        model,
        str(target),
        serialization_format="skops",
        skops_trusted_types=skops.io.get_untrusted_types(data=skops.io.dumps(model)),
        pip_requirements=["scikit-learn", "skops"],
        signature=infer_signature(sample, model.predict(sample)),
        input_example=X.head(5),
    )
    return target


@pytest.fixture(scope="module")
def binary_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("m") / "binary")


def _predictor(directory: Path) -> Predictor:
    spec = mlmodel.read(directory)
    model = load(spec)
    columns = model_columns(spec, model)
    assert columns is not None
    return Predictor(model, spec, columns)


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
    return [
        [None if isinstance(v, float) and np.isnan(v) else v for v in r]
        for r in frame[columns].itertuples(index=False)
    ]


def test_mlmodel_is_read_without_mlflow(binary_dir: Path) -> None:
    spec = mlmodel.read(binary_dir)
    assert spec.flavor == "sklearn" and spec.serialization_format == "skops"
    assert spec.model_file is not None and spec.model_file.is_file()
    assert spec.columns is not None
    assert [c.name for c in spec.columns] == NUMERIC + CATEGORICAL
    types = {c.name: c.type for c in spec.columns}
    assert types["tenure_months"] == "double" and types["contract"] == "string"
    assert len(spec.input_example) == 5 and set(spec.input_example[0]) == {c.name for c in spec.columns}


def test_loading_and_predicting_import_no_mlflow(binary_dir: Path) -> None:
    """The default image ships without MLflow: the serving path must not need it."""
    code = (
        "import sys\n"
        "from shipml.serve import mlmodel, loading, predictor\n"
        f"spec = mlmodel.read({str(binary_dir)!r})\n"
        "model = loading.load(spec)\n"
        "p = predictor.Predictor(model, spec, predictor.model_columns(spec, model))\n"
        "p.predict([[spec.input_example[0][c.name] for c in p.columns]])\n"
        "print(p.path, sorted(m for m in sys.modules if m.split('.')[0] == 'mlflow'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["compiled", "[]"]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: (d / "MLmodel").unlink(), "no MLmodel file"),
        (lambda d: (d / "model.skops").unlink(), "'model.skops' named in MLmodel is missing"),
        (
            lambda d: (d / "MLmodel").write_text(
                (d / "MLmodel").read_text().replace('"type": "string"', '"type": "tensor"', 1)
            ),
            "tensor-based",
        ),
        (
            lambda d: (d / "MLmodel").write_text("flavors: {onnx: {}}\n"),
            "no sklearn or python_function flavor",
        ),
    ],
)
def test_bad_model_dirs_are_one_line(binary_dir: Path, tmp_path: Path, mutate: Any, needle: str) -> None:
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(binary_dir, copy)
    mutate(copy)
    with pytest.raises(InputDataError) as info:
        mlmodel.read(copy)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_compiled_path_matches_the_pipeline_on_every_row(binary_dir: Path) -> None:
    predictor = _predictor(binary_dir)
    assert predictor.path == "compiled", predictor.fallback_reason
    frame = churn_frame("new.csv")
    # Edge values the compiled path must treat as the pipeline does: missing numbers, unseen categories.
    frame.loc[frame.index[:50], "total_charges"] = np.nan
    frame.loc[frame.index[50:100], "region"] = "atlantis"
    names = [c.name for c in predictor.columns]
    got = predictor.predict(_rows(frame, names))
    expected = predictor.model.predict_proba(frame[names])[:, 1]
    assert np.allclose([o["score"] for o in got.outputs], expected, rtol=1e-12, atol=0)
    assert [o["prediction"] for o in got.outputs] == predictor.model.predict(frame[names]).tolist()
    assert got.labels == [str(o["prediction"]) for o in got.outputs] and got.scores == [
        o["score"] for o in got.outputs
    ]


def test_uncompilable_pipeline_falls_back_to_dataframe_with_same_answers(tmp_path: Path) -> None:
    from sklearn.ensemble import RandomForestClassifier

    prep = PreprocessingSection(one_hot=False, scale=False, max_categories=3)  # infrequent categories
    directory = make_model_dir(
        tmp_path / "m", estimator=RandomForestClassifier(n_estimators=10, random_state=0), prep=prep
    )
    predictor = _predictor(directory)
    assert predictor.path == "dataframe" and "infrequent" in predictor.fallback_reason
    frame = churn_frame("new.csv").head(300)
    names = [c.name for c in predictor.columns]
    got = predictor.predict(_rows(frame, names))
    assert np.allclose([o["score"] for o in got.outputs], predictor.model.predict_proba(frame[names])[:, 1])


def test_multiclass_and_regression_outputs(tmp_path: Path) -> None:
    multi = _predictor(make_model_dir(tmp_path / "multi", task="multiclass"))
    assert multi.kind == "multiclass" and multi.classes == ["m", "y1", "y2"]
    frame = churn_frame("new.csv").head(50)
    out = multi.predict(_rows(frame, [c.name for c in multi.columns]))
    first = out.outputs[0]
    assert (
        set(first["probabilities"]) == {"m", "y1", "y2"}
        and abs(sum(first["probabilities"].values()) - 1) < 1e-9
    )
    assert first["prediction"] == max(first["probabilities"], key=first["probabilities"].get)
    assert out.scores[0] == max(first["probabilities"].values())
    reg = _predictor(make_model_dir(tmp_path / "reg", task="regression"))
    assert reg.kind == "regression"
    values = reg.predict(_rows(frame, [c.name for c in reg.columns]))
    assert values.scores == [] and isinstance(values.outputs[0]["prediction"], float)


def test_rows_are_validated_against_the_signature(binary_dir: Path) -> None:
    spec = mlmodel.read(binary_dir)
    assert spec.columns is not None
    validator = RowValidator(spec.columns, max_rows=3)
    good = dict(spec.input_example[0])
    assert validator.one({**good, "customer_id": "C1"}) == [good[c.name] for c in spec.columns]
    assert validator.one({**good, "tenure_months": None})[0] is None  # null number -> NaN -> imputed
    for bad, loc, kind in [
        ({k: v for k, v in good.items() if k != "region"}, ["body", "region"], "missing"),
        ({**good, "tenure_months": "ten"}, ["body", "tenure_months"], "float_type"),
        ({**good, "contract": 3}, ["body", "contract"], "string_type"),
    ]:
        with pytest.raises(RequestError) as info:
            validator.one(bad)
        assert info.value.status == 422
        assert [(d["loc"], d["type"]) for d in info.value.detail] == [(loc, kind)]  # type: ignore[index]
    with pytest.raises(RequestError) as info:
        validator.batch({"rows": [good, {**good, "senior": "no"}]})
    assert info.value.detail[0]["loc"] == ["body", "rows", 1, "senior"]  # type: ignore[index]
    with pytest.raises(RequestError) as info:
        validator.batch([good] * 4)
    assert info.value.status == 413
    assert len(validator.batch([good] * 3)) == 3
    schema = json.dumps(validator.json_schema())
    assert "tenure_months" in schema and "c0" not in schema
