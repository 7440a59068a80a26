"""The MLflow adapter's error translation by cause, overload retries and tracking-URI checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    BAD_REQUEST,
    INVALID_PARAMETER_VALUE,
    PERMISSION_DENIED,
    RESOURCE_DOES_NOT_EXIST,
    TEMPORARILY_UNAVAILABLE,
)

from shipml.errors import ConfigError, ExitCode, InfrastructureUnreachable, InputDataError
from shipml.mlflow_api import client as mlflow_client
from shipml.mlflow_api import store
from tests.conftest import run_shipml
from tests.unit.test_train_project import project_config

# What a 1-worker MLflow server answered under 50 concurrent promoters (issue 12): BAD_REQUEST.
POOL_TIMEOUT = (
    "(sqlalchemy.exc.TimeoutError) QueuePool limit of size 5 overflow 10 reached, connection timed out, "
    "timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)"
)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (MlflowException(POOL_TIMEOUT, error_code=BAD_REQUEST), InfrastructureUnreachable),
        (MlflowException("database is locked", error_code=BAD_REQUEST), InfrastructureUnreachable),
        (MlflowException("busy", error_code=TEMPORARILY_UNAVAILABLE), InfrastructureUnreachable),
        (
            MlflowException("API request failed with error code 503 != 200. Response body: ''"),
            InfrastructureUnreachable,
        ),
        (MlflowException("API request failed with error code 429 != 200"), InfrastructureUnreachable),
        (MlflowException("no way", error_code=PERMISSION_DENIED), ConfigError),
        (
            MlflowException("Registered Model with name=x not found", error_code=RESOURCE_DOES_NOT_EXIST),
            InputDataError,
        ),
        (MlflowException("bad alias name", error_code=INVALID_PARAMETER_VALUE), InputDataError),
    ],
)
def test_errors_are_sorted_by_cause_not_by_status(exc: MlflowException, kind: type[Exception]) -> None:
    translated = mlflow_client.translate(exc, "moving an alias")
    assert type(translated) is kind
    assert translated is not None and "\n" not in str(translated)


def test_a_bug_is_not_translated() -> None:
    assert mlflow_client.translate(ValueError("a bug"), "x") is None


def test_pool_timeouts_are_retried_with_backoff_then_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(mlflow_client.time, "sleep", sleeps.append)
    calls = []

    def overloaded() -> str:
        calls.append(1)
        raise MlflowException(POOL_TIMEOUT, error_code=BAD_REQUEST)

    with pytest.raises(InfrastructureUnreachable) as err, mlflow_client.calling("promoting"):
        mlflow_client.with_retries(overloaded)
    assert len(calls) == mlflow_client.RETRY_ATTEMPTS and len(sleeps) == len(calls) - 1
    assert sleeps[-1] > sleeps[0]  # backs off
    assert err.value.exit_code == ExitCode.INFRASTRUCTURE
    assert "QueuePool limit" in str(err.value)


def test_a_transient_overload_is_ridden_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mlflow_client.time, "sleep", lambda _: None)
    answers = iter([MlflowException(POOL_TIMEOUT, error_code=BAD_REQUEST), None])

    def flaky() -> str:
        failure = next(answers)
        if failure is not None:
            raise failure
        return "ok"

    assert mlflow_client.with_retries(flaky) == "ok"


def test_a_rejected_request_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mlflow_client.time, "sleep", lambda _: pytest.fail("retried a bad request"))
    with pytest.raises(MlflowException):
        mlflow_client.with_retries(
            lambda: (_ for _ in ()).throw(MlflowException("bad", error_code=INVALID_PARAMETER_VALUE))
        )


@pytest.mark.parametrize(
    ("uri", "suggestion"),
    [
        ("mlflow.example.com", "no scheme; did you mean http://mlflow.example.com"),
        ("localhost:5000", "no scheme; did you mean http://localhost:5000"),
        ("bob:pw@mlflow.example.com:5000", "no scheme; did you mean http://***@mlflow.example.com:5000"),
        ("/srv/mlflow.db", "no scheme; did you mean sqlite:///srv/mlflow.db"),
    ],
)
def test_a_tracking_uri_without_scheme_says_which_one(tmp_path: Path, uri: str, suggestion: str) -> None:
    cfg = project_config(tmp_path, config={"mlflow": {"tracking_uri": uri}})
    with pytest.raises(ConfigError) as err:
        store.tracking_uri(cfg)
    assert "has no scheme" in str(err.value) and suggestion in str(err.value)
    assert "pw" not in str(err.value)


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:5000", "https://m.example.com", "databricks", "sqlite:////x.db"]
)
def test_uris_with_a_scheme_pass(tmp_path: Path, uri: str) -> None:
    cfg = project_config(tmp_path, config={"mlflow": {"tracking_uri": uri}})
    assert store.tracking_uri(cfg) == uri


def test_scheme_less_uri_through_the_cli_is_one_line_exit_2(tmp_path: Path) -> None:
    run = run_shipml(
        "promote",
        "--registered-model",
        "m",
        cwd=tmp_path,
        env={"MLFLOW_TRACKING_URI": "mlflow.internal:5000"},
    )
    assert run.code == ExitCode.BAD_INPUT, run.output
    assert (
        "MLFLOW_TRACKING_URI: tracking URI 'mlflow.internal:5000' has no scheme; "
        "did you mean http://mlflow.internal:5000. Write it with its scheme"
    ) in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.output
