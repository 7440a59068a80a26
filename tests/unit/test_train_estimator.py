from __future__ import annotations

from pathlib import Path

import pytest

from shipml.errors import ConfigError
from shipml.train.estimator import resolve
from tests.unit.test_train_project import project_config


def test_default_estimator_is_a_seeded_classifier(tmp_path: Path) -> None:
    cfg = project_config(
        tmp_path,
        config={
            "model": {
                "estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
                "params": {"max_iter": 20},
            }
        },
    )
    spec = resolve(cfg)
    assert spec.task == "classification"
    assert spec.name == "HistGradientBoostingClassifier"
    assert spec.params == {
        "max_iter": 20,
        "random_state": 7,
    }  # the split seed, so an unset seed is still reproducible
    assert spec.estimator is not None and spec.estimator.get_params()["random_state"] == 7
    assert "max_iter" in spec.all_params()


def test_explicit_params_and_colon_paths(tmp_path: Path) -> None:
    cfg = project_config(
        tmp_path,
        config={
            "model": {"estimator": "sklearn.linear_model:Ridge", "params": {"alpha": 2.5, "random_state": 1}}
        },
    )
    spec = resolve(cfg)
    assert spec.task == "regression"
    assert spec.estimator.get_params()["alpha"] == 2.5
    assert spec.params["random_state"] == 1


@pytest.mark.parametrize(
    ("model", "pattern"),
    [
        (
            {"estimator": "sklearn.ensemblex.Foo"},
            r"shipml\.yaml:\d+: model\.estimator: cannot import 'sklearn\.ensemblex'",
        ),
        (
            {"estimator": "sklearn.ensemble.HistGradientBoostingClassifer"},
            r"has no 'HistGradientBoostingClassifer' \(did you mean "
            r"sklearn\.ensemble\.HistGradientBoostingClassifier\?\)",
        ),
        ({"estimator": "LogisticRegression"}, r"'LogisticRegression' is not an import path"),
        ({"estimator": "sklearn.pipeline.make_pipeline"}, r"is not a scikit-learn estimator class"),
        (
            {"estimator": "sklearn.cluster.KMeans", "params": {}},
            r"KMeans is neither a classifier nor a regressor",
        ),
        (
            {"estimator": "sklearn.linear_model.LogisticRegression", "task": "regression"},
            r"model\.task: task is regression but LogisticRegression is a classifier",
        ),
        (
            {"params": {"max_iterr": 10}},
            r"shipml\.yaml:\d+: model\.params\.max_iterr: LogisticRegression has no parameter 'max_iterr' "
            r"\(did you mean 'max_iter'\?\)",
        ),
        (
            {"params": {"max_iter": -3}},
            r"model\.params\.max_iter: The 'max_iter' parameter of LogisticRegression must be",
        ),
        ({"params": {"penalty": "l7"}}, r"model\.params\.penalty: The 'penalty' parameter"),
        ({"estimator": None, "factory": "nowhere_mod:make", "params": {}}, r"cannot import 'nowhere_mod'"),
    ],
)
def test_bad_model_config_names_the_key(tmp_path: Path, model: dict[str, object], pattern: str) -> None:
    cfg = project_config(tmp_path, config={"model": model})
    with pytest.raises(ConfigError, match=pattern) as err:
        resolve(cfg)
    assert "\n" not in str(err.value)


def test_unknown_param_line_points_at_the_param(tmp_path: Path) -> None:
    cfg = project_config(tmp_path, config={"model": {"params": {"max_iter": 5, "Cx": 1.0}}})
    text = (tmp_path / "shipml.yaml").read_text().splitlines()
    with pytest.raises(ConfigError) as err:
        resolve(cfg)
    line = int(str(err.value).split("shipml.yaml:", 1)[1].split(":", 1)[0])
    assert text[line - 1].strip().startswith("Cx:")


def test_factory_next_to_the_config_is_importable(tmp_path: Path) -> None:
    (tmp_path / "my_model.py").write_text(
        "from sklearn.linear_model import LogisticRegression\n"
        "def make(X, y, params):\n"
        "    return LogisticRegression(**params).fit(X.select_dtypes('number'), y)\n"
    )
    cfg = project_config(
        tmp_path,
        config={
            "model": {"estimator": None, "factory": "my_model:make", "task": "classification", "params": {}}
        },
    )
    spec = resolve(cfg)
    assert spec.is_factory and spec.task == "classification" and callable(spec.factory)


def test_factory_requires_a_task(tmp_path: Path) -> None:
    (tmp_path / "my_model2.py").write_text("def make(X, y, params):\n    return None\n")
    cfg = project_config(
        tmp_path, config={"model": {"estimator": None, "factory": "my_model2:make", "params": {}}}
    )
    with pytest.raises(ConfigError, match=r"model\.task is required with a factory"):
        resolve(cfg)


def test_factory_module_that_fails_to_import(tmp_path: Path) -> None:
    (tmp_path / "broken_mod.py").write_text("raise RuntimeError('boom at import')\n")
    cfg = project_config(
        tmp_path,
        config={
            "model": {"estimator": None, "factory": "broken_mod:make", "task": "regression", "params": {}}
        },
    )
    with pytest.raises(ConfigError, match=r"importing 'broken_mod' failed: RuntimeError: boom at import"):
        resolve(cfg)
