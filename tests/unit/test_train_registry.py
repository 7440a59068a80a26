"""MLflow-facing helpers that need no store: names, pins, links, error translation."""

from __future__ import annotations

import socket
from importlib import metadata
from pathlib import Path

import pytest

from shipml.errors import ConfigError, InfrastructureUnreachable
from shipml.train import mlflow_run
from tests.unit.test_train_project import project_config


@pytest.mark.parametrize("name", ["churn", "churn-classifier.v2", "team_a model"])
def test_valid_registered_model_names(tmp_path: Path, name: str) -> None:
    mlflow_run.check_registered_model_name(
        project_config(tmp_path, config={"mlflow": {"registered_model": name}})
    )


@pytest.mark.parametrize("name", ["..", ".", " churn", "a//b"])
def test_invalid_registered_model_names(tmp_path: Path, name: str) -> None:
    # '/' is refused by the config section itself, the rest by MLflow's own path rules
    with pytest.raises(
        ConfigError, match=r"mlflow\.registered_model: .* is not a valid registered model name"
    ):
        cfg = project_config(tmp_path, config={"mlflow": {"registered_model": name}})
        mlflow_run.check_registered_model_name(cfg)


def test_pip_requirements_are_explicit_installed_pins() -> None:
    pins = mlflow_run.pip_requirements()
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in pins
    assert f"skops=={metadata.version('skops')}" in pins
    assert f"pandas=={metadata.version('pandas')}" in pins
    assert all("==" in pin for pin in pins)


def test_ui_links_never_carry_the_tracking_host(tmp_path: Path) -> None:
    """Links come only from mlflow.ui_url: the tracking URI (often a secret) is never turned into one."""
    cfg = project_config(tmp_path)
    assert mlflow_run.ui_run_url(cfg, "1", "r") is None
    cfg = project_config(tmp_path, config={"mlflow": {"ui_url": "https://ui.example.com/mlflow/"}})
    assert mlflow_run.ui_run_url(cfg, "2", "r") == "https://ui.example.com/mlflow/#/experiments/2/runs/r"


def test_lost_server_is_infrastructure_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real MlflowClient call to a closed port, translated: exit 3, not a traceback."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uri = f"http://127.0.0.1:{port}"
    with pytest.raises(MlflowException) as err:
        MlflowClient(tracking_uri=uri, registry_uri=uri).get_experiment_by_name("x")
    translated = mlflow_run.translate(err.value)
    assert isinstance(translated, InfrastructureUnreachable)
    assert "MLflow tracking server unreachable or overloaded" in str(translated)
    assert mlflow_run.translate(ValueError("a bug")) is None
