"""The real MLflow server our integration tests use, and shipml's reachability checks against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipml.errors import ExitCode
from tests.conftest import run_shipml

pytestmark = pytest.mark.integration


def test_doctor_reaches_real_mlflow_server(mlflow_server: str, tmp_path: Path) -> None:
    run = run_shipml(
        "doctor", "--require", "mlflow", cwd=tmp_path, env={"MLFLOW_TRACKING_URI": mlflow_server}
    )
    assert run.code == ExitCode.OK, run.output
    assert f"{mlflow_server} answers /health" in run.stdout


def test_credentials_in_tracking_uri_are_not_printed(tmp_path: Path) -> None:
    uri = "http://user:hunter2@127.0.0.1:9"
    run = run_shipml("doctor", "--require", "mlflow", cwd=tmp_path, env={"MLFLOW_TRACKING_URI": uri})
    assert run.code == ExitCode.INFRASTRUCTURE
    assert "hunter2" not in run.output and "***@127.0.0.1:9" in run.output
