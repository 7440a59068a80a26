"""`shipml train` against real MLflow: a tracking server on loopback and the embedded sqlite default.

What the gate relies on is checked from the outside, through MlflowClient and
``models:/NAME@challenger``, not through shipml's own return values.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from threadpoolctl import threadpool_limits

from shipml.config import load_config
from shipml.errors import ExitCode
from shipml.train.trainer import TrainOutcome, train
from tests.conftest import run_shipml
from tests.unit.test_train_project import example_rows, make_project

pytestmark = pytest.mark.integration

SHA = "c0ffee" + "0" * 34


@pytest.fixture(autouse=True)
def _ci_context(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A PR run as GitHub Actions would describe it; cwd in tmp so a stray ./mlruns would be seen."""
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 12, "head": {"sha": SHA, "ref": "better-model"}}})
    )
    for key, value in {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/churn",
        "GITHUB_RUN_ID": "99",
        "OMP_NUM_THREADS": "1",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    # OpenMP reads OMP_NUM_THREADS only when first loaded; on shared cores a spinning second
    # thread makes HistGradientBoosting 10x slower, so pin in-process fits to one thread.
    with threadpool_limits(limits=1):
        yield
    assert not (tmp_path / "mlruns").exists(), "MLflow fell back to ./mlruns"


@pytest.fixture(params=["sqlite", "server"])
def tracking(request: pytest.FixtureRequest) -> str | None:
    """None = shipml's default embedded sqlite store; else the real server's URL."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("mlflow_server"))


def _client(uri: str | None, tmp_path: Path) -> MlflowClient:
    uri = uri or f"sqlite:///{(tmp_path / '.shipml' / 'mlflow.db').resolve()}"
    mlflow.set_tracking_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _train(tmp_path: Path, uri: str | None, name: str, **config: object) -> TrainOutcome:
    mlflow_cfg: dict[str, object] = {"registered_model": name}
    if uri:
        mlflow_cfg["tracking_uri"] = uri
    path = make_project(tmp_path / "project", config={"mlflow": mlflow_cfg, **config})  # type: ignore[dict-item]
    return train(load_config(path))


def test_run_version_alias_and_model_round_trip(tmp_path: Path, tracking: str | None) -> None:
    name = f"churn-{uuid.uuid4().hex[:8]}"
    outcome = _train(tmp_path, tracking, name, model={"cv_folds": 3, "split": {"val_size": 0.2}})
    details = outcome.details
    client = _client(tracking, tmp_path)

    run = client.get_run(details.run_id)
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    features = json.loads(tags["shipml.features"])
    assert features == details.features and "customer_id" not in features and "churned" not in features
    expected = {
        "shipml.task": "classification",
        "shipml.target": "churned",
        "shipml.evaluation_artifact": "shipml/evaluation.csv",
        "shipml.git_sha": SHA,
        "shipml.git_branch": "better-model",
        "shipml.pr_number": "12",
        "shipml.run_url": "https://github.com/acme/churn/actions/runs/99",
        "shipml.data.train.sha256": details.data_hashes["train"],
    }
    assert {k: tags.get(k) for k in expected} == expected
    assert tags["shipml.pkg.scikit-learn"] and tags["shipml.python_version"] and tags["shipml.version"]
    assert run.data.params["max_iter"] == "300" and run.data.params["shipml.split.seed"] == "7"
    for split in ("train", "val", "test"):
        assert run.data.metrics[f"{split}_roc_auc"] == getattr(details.metrics, split)["roc_auc"]
    assert details.metrics.cv and run.data.metrics["cv_roc_auc_mean"] == details.metrics.cv["roc_auc_mean"]
    assert details.rows == {"train": 220, "val": 80, "test": 100} and len(outcome.evaluation) == 100

    # the held-out rows, exactly as scored
    local = mlflow.artifacts.download_artifacts(
        run_id=details.run_id, artifact_path="shipml/evaluation.csv", dst_path=str(tmp_path / "dl")
    )
    logged = pd.read_csv(local)
    assert list(logged.columns) == [*features, "churned"]
    pd.testing.assert_frame_equal(logged, outcome.evaluation.reset_index(drop=True), check_dtype=False)

    # registered version with the contract tags, alias on it
    version = client.get_model_version_by_alias(name, "challenger")
    assert str(version.version) == details.model_version == "1" and version.run_id == details.run_id
    assert {k: version.tags.get(k) for k in ("shipml.task", "shipml.target", "shipml.git_sha")} == {
        "shipml.task": "classification",
        "shipml.target": "churned",
        "shipml.git_sha": SHA,
    }
    assert json.loads(version.tags["shipml.features"]) == features
    assert version.tags["shipml.evaluation_artifact"] == "shipml/evaluation.csv"
    assert details.model_uri == f"models:/{name}/1"

    # the registry's model predicts exactly what the in-memory pipeline predicts
    X = logged[features]
    loaded = mlflow.sklearn.load_model(f"models:/{name}@challenger")
    np.testing.assert_array_equal(loaded.predict(X), outcome.model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), outcome.model.predict_proba(X))
    pyfunc = mlflow.pyfunc.load_model(f"models:/{name}@challenger")
    np.testing.assert_array_equal(np.asarray(pyfunc.predict(X)), outcome.model.predict(X))

    # explicit pins, not inferred requirements
    model_dir = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path / "m")))
    reqs = (model_dir / "requirements.txt").read_text().split()
    for package in ("mlflow", "scikit-learn", "skops", "numpy", "pandas"):
        assert any(r.startswith(f"{package}==") for r in reqs), reqs
    assert "signature" in (model_dir / "MLmodel").read_text()
    assert (model_dir / "input_example.json").is_file()

    if tracking is None:
        artifacts = (tmp_path / ".shipml" / "mlartifacts").resolve()
        assert run.info.artifact_uri.startswith(artifacts.as_uri())
        assert details.run_url is None
    else:
        # the tracking URI may be a secret: no link is derived from it (only mlflow.ui_url makes one)
        assert details.run_url is None
        assert details.tracking_uri == "MLflow tracking server"
        assert tracking.split("://", 1)[1] not in json.dumps(details.model_dump(mode="json"))


def test_same_config_data_and_seed_give_identical_metrics(tmp_path: Path) -> None:
    model = {"estimator": "sklearn.ensemble.HistGradientBoostingClassifier", "params": {"max_iter": 40}}
    first = _train(tmp_path / "a", None, "repro", model={**model, "cv_folds": 3})
    second = _train(tmp_path / "a", None, "repro", model={**model, "cv_folds": 3})
    other_seed = _train(tmp_path / "a", None, "repro", model={**model, "cv_folds": 3, "split": {"seed": 8}})

    assert first.details.metrics == second.details.metrics  # exact equality, every split and CV
    assert first.details.params["random_state"] == 7  # unset random_state is seeded from the split seed
    pd.testing.assert_frame_equal(first.evaluation, second.evaluation)
    X = first.evaluation[first.details.features]
    np.testing.assert_array_equal(first.model.predict_proba(X), second.model.predict_proba(X))
    assert first.details.run_id != second.details.run_id and second.details.model_version == "2"

    assert list(other_seed.evaluation.index) != list(first.evaluation.index)
    assert other_seed.details.metrics != first.details.metrics


def test_multiclass_regression_and_factory_models(tmp_path: Path) -> None:
    multi = _train(
        tmp_path / "m", None, "contract-type", data={"target": "contract", "ignore": ["customer_id"]}
    )
    assert multi.details.task == "classification" and "roc_auc" in multi.details.metrics.test
    assert multi.model.predict(multi.evaluation[multi.details.features]).tolist()[0] in {
        "month-to-month",
        "one-year",
        "two-year",
    }

    reg = _train(
        tmp_path / "r",
        None,
        "charges",
        data={"target": "total_charges", "ignore": ["customer_id", "churned"]},
        model={"estimator": "sklearn.linear_model.Ridge", "params": {"max_iter": None, "alpha": 1.0}},
    )
    assert reg.details.task == "regression" and set(reg.details.metrics.test) == {"rmse", "mae", "r2"}
    client = _client(None, tmp_path)
    version = client.get_model_version_by_alias("charges", "challenger")
    assert version.tags["shipml.task"] == "regression" and version.tags["shipml.target"] == "total_charges"

    project = tmp_path / "f" / "project"
    project.mkdir(parents=True)
    (project / "my_factory.py").write_text(
        "from sklearn.compose import make_column_transformer\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import OneHotEncoder\n"
        "def build(X, y, params):\n"
        "    encode = (OneHotEncoder(handle_unknown='ignore'), ['contract', 'region'])\n"
        "    prep = make_column_transformer(encode, remainder='passthrough')\n"
        "    cols = ['tenure_months', 'monthly_charges', 'contract', 'region']\n"
        "    return make_pipeline(prep, RandomForestClassifier(**params)).fit(X[cols], y)\n"
    )
    fac = _train(
        tmp_path / "f",
        None,
        "factory-model",
        data={"features": ["tenure_months", "monthly_charges", "contract", "region"]},
        model={
            "estimator": None,
            "factory": "my_factory:build",
            "task": "classification",
            "params": {"max_iter": None, "n_estimators": 20, "random_state": 0},
        },
    )
    loaded = mlflow.sklearn.load_model("models:/factory-model@challenger")
    X = fac.evaluation[fac.details.features]
    np.testing.assert_array_equal(loaded.predict_proba(X), fac.model.predict_proba(X))


def _versions(client: MlflowClient, name: str) -> list[str]:
    return sorted(str(v.version) for v in client.search_model_versions(f"name = '{name}'"))


def test_alias_moves_only_on_success_and_failed_cli_run_is_marked(tmp_path: Path) -> None:
    good = make_project(tmp_path / "good")
    train(load_config(good))
    train(load_config(good, overrides={("model", "split", "seed"): 3}))
    client = _client(None, tmp_path)
    name = "churn-test-model"
    assert _versions(client, name) == ["1", "2"]
    assert str(client.get_model_version_by_alias(name, "challenger").version) == "2"

    # Missing values with imputation turned off: LogisticRegression refuses to fit mid-run.
    frame = example_rows(400)
    frame.loc[::9, "monthly_charges"] = np.nan
    bad = make_project(
        tmp_path / "bad", data=frame, config={"model": {"preprocessing": {"numeric_impute": "none"}}}
    )
    failed = run_shipml("train", "--config", str(bad))
    assert failed.code == ExitCode.BAD_INPUT, failed.output
    assert "Traceback" not in failed.output
    errors = [line for line in failed.stderr.splitlines() if line.startswith("shipml train: error:")]
    assert len(errors) == 1 and "fitting LogisticRegression failed: Input X contains NaN" in errors[0]
    assert "marked FAILED" in errors[0]
    run_id = errors[0].split("MLflow run ", 1)[1].split()[0]
    assert client.get_run(run_id).info.status == "FAILED"
    assert _versions(client, name) == ["1", "2"]  # nothing registered
    assert str(client.get_model_version_by_alias(name, "challenger").version) == "2"  # alias did not move


def test_demo_trains_the_bundled_example(example_project: Path, tmp_path: Path) -> None:
    result_file = tmp_path / "train.json"
    run = run_shipml(
        "train",
        "--config",
        str(example_project / "shipml.yaml"),
        "--result-file",
        str(result_file),
    )
    assert run.code == ExitCode.OK, run.output
    assert "Traceback" not in run.output and "INFO mlflow" not in run.output
    result = json.loads(result_file.read_text())
    details = result["details"]
    for key in (
        "run_id",
        "experiment_id",
        "model_uri",
        "registered_model",
        "model_version",
        "alias",
        "task",
        "target",
        "features",
        "metrics",
        "params",
        "data_hashes",
        "run_url",
    ):
        assert key in details, key
    assert details["registered_model"] == "churn-classifier" and details["model_version"] == "1"
    assert details["metrics"]["test"]["roc_auc"] > 0.75
    outputs = dict(
        line.split("=", 1)
        for line in (tmp_path / ".shipml" / "github_output").read_text().splitlines()
        if "=" in line
    )
    assert outputs["run-id"] == details["run_id"]
    assert outputs["model-uri"] == "models:/churn-classifier/1" and outputs["model-version"] == "1"
    assert outputs["registered-model"] == "churn-classifier"
    assert json.loads(outputs["metrics"])["test"]["roc_auc"] == details["metrics"]["test"]["roc_auc"]
    assert "### shipml train" in (tmp_path / ".shipml" / "step_summary.md").read_text()


def test_failure_after_registration_removes_the_version_and_keeps_the_alias(tmp_path: Path) -> None:
    """The registry as it was: a version created by a failing run is deleted again."""
    from shipml.train.mlflow_run import TrainingRun

    outcome = _train(tmp_path, None, "rollback")  # v1 @challenger
    client = _client(None, tmp_path)
    experiment_id = outcome.details.experiment_id

    with (
        pytest.raises(RuntimeError, match="after registering"),
        TrainingRun(client, experiment_id, "x", {}) as run,
    ):
        info = run.log_model(outcome.model, outcome.evaluation[outcome.details.features])
        version = run.register("rollback", info, {"shipml.task": "classification"})
        assert str(version.version) == "2"
        raise RuntimeError("after registering, before the alias")
    assert client.get_run(run.run_id).info.status == "FAILED"
    assert _versions(client, "rollback") == ["1"]
    assert str(client.get_model_version_by_alias("rollback", "challenger").version) == "1"

    # a registered model this run created is removed with its only version
    with pytest.raises(RuntimeError), TrainingRun(client, experiment_id, "y", {}) as run:
        info = run.log_model(outcome.model, outcome.evaluation[outcome.details.features])
        run.register("brand-new", info, {})
        raise RuntimeError("boom")
    assert client.search_registered_models("name = 'brand-new'") == []


def test_deleted_experiment_is_a_config_error(tmp_path: Path) -> None:
    from shipml.errors import ConfigError

    client = _client(None, tmp_path)
    (tmp_path / ".shipml").mkdir(exist_ok=True)
    client.delete_experiment(client.create_experiment("churn-test"))
    with pytest.raises(ConfigError, match=r"mlflow\.experiment: experiment 'churn-test' is deleted"):
        _train(tmp_path, None, "never")
    assert client.search_registered_models() == []


# A training process that registers its version, then hangs where the alias would move: the
# window in which a SIGKILL (cancelled job, OOM kill) leaves the run RUNNING and the version
# unaliased. The real CLI otherwise, against the real server.
HANG_BEFORE_ALIAS = r"""
import sys, time
import shipml.cli
from shipml.train import mlflow_run

def hang(self, *args, **kwargs):
    print("SHIPML_TEST_REGISTERED", file=sys.stderr, flush=True)
    time.sleep(600)

mlflow_run.TrainingRun.set_alias = hang
sys.exit(shipml.cli.main(sys.argv[1:]))
"""


def test_a_killed_training_is_marked_by_the_next_one(tmp_path: Path, mlflow_server: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    name = f"killed-{uuid.uuid4().hex[:6]}"
    project = make_project(
        tmp_path / "project",
        config={"mlflow": {"registered_model": name, "tracking_uri": mlflow_server, "experiment": name}},
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", HANG_BEFORE_ALIAS, "train", "--config", str(project)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 240
        for line in proc.stderr:
            if "SHIPML_TEST_REGISTERED" in line:
                break
            assert time.monotonic() < deadline, "the training never reached registration"
        else:
            raise AssertionError(f"training exited ({proc.wait()}) before registering")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    client = _client(mlflow_server, tmp_path)
    experiment = client.get_experiment_by_name(name)
    assert experiment is not None
    (killed,) = client.search_runs([experiment.experiment_id])
    assert killed.info.status == "RUNNING"  # what SIGKILL leaves behind
    assert [v.version for v in client.search_model_versions(f"name = '{name}'")] == ["1"]

    run = run_shipml("train", "--config", str(project), "--result-file", str(tmp_path / "train.json"))
    assert run.code == 0, run.output
    assert f"MLflow run {killed.info.run_id} was left RUNNING" in run.output
    assert "is gone" in run.output and f"{name} v1" in run.output
    marked = client.get_run(killed.info.run_id)
    assert marked.info.status == "KILLED" and "is gone" in marked.data.tags["shipml.abandoned"]
    assert "shipml.abandoned" in client.get_model_version(name, "1").tags
    assert "shipml.abandoned" not in client.get_model_version(name, "2").tags
    assert str(client.get_model_version_by_alias(name, "challenger").version) == "2"
    result = json.loads((tmp_path / "train.json").read_text())
    assert result["details"]["abandoned_runs"] == [killed.info.run_id]
    # the new run records its own process, and a third training leaves the finished one alone
    assert "shipml.process" in client.get_run(result["details"]["run_id"]).data.tags
    again = run_shipml("train", "--config", str(project))
    assert again.code == 0 and "left RUNNING" not in again.output
