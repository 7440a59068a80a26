"""Which MLflow store a step uses, and how it is named where readers (and the public) see it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipml.config import load_config
from shipml.errors import ConfigError
from shipml.mlflow_api import store
from shipml.train.mlflow_run import ui_run_url


def _cfg(tmp_path: Path, text: str = "project: x\n"):  # type: ignore[no-untyped-def]
    path = tmp_path / "shipml.yaml"
    path.write_text(text)
    return load_config(path)


def test_on_a_runner_no_uri_is_an_error_not_a_job_local_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with pytest.raises(ConfigError) as err:
        store.tracking_uri(_cfg(tmp_path))
    text = str(err.value)
    assert "no MLflow tracking URI" in text and "mlflow.tracking_uri: local" in text
    assert "\n" not in text


def test_local_is_an_explicit_choice_on_a_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    uri = store.tracking_uri(_cfg(tmp_path, "mlflow:\n  tracking_uri: local\n"))
    assert uri.startswith("sqlite:///") and uri.endswith("mlflow.db")
    assert store.describe(uri) == "job-local sqlite store, discarded at job end"


def test_off_a_runner_the_local_fallback_stays_for_the_demo(tmp_path: Path) -> None:
    uri = store.tracking_uri(_cfg(tmp_path))
    assert uri.startswith("sqlite:///")
    assert store.describe(uri).startswith("local sqlite store ")


def test_a_server_is_never_described_by_its_address() -> None:
    assert store.describe("https://user:pw@mlflow.internal.example:5000") == "MLflow tracking server"


def test_run_links_only_through_a_configured_ui(tmp_path: Path) -> None:
    # the tracking URI may be a secret: no link is derived from it
    server_only = _cfg(tmp_path, "mlflow:\n  tracking_uri: https://mlflow.internal:5000\n")
    assert ui_run_url(server_only, "1", "r") is None
    linked = _cfg(tmp_path, "mlflow:\n  ui_url: https://mlflow.example.org/\n")
    assert ui_run_url(linked, "3", "abc") == "https://mlflow.example.org/#/experiments/3/runs/abc"
