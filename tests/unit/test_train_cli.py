"""Every bad-input case of `shipml train`, through the real console script.

Each must end with one line on stderr (what, where, how to fix), the documented
exit code, no traceback, and nothing written to the MLflow store.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from shipml.errors import ExitCode
from tests.conftest import CliRun, run_shipml
from tests.unit.test_train_project import example_rows, make_project


def train_cli(
    tmp_path: Path, *args: str, config: dict[str, Any] | None = None, data: pd.DataFrame | None = None
) -> CliRun:
    path = make_project(tmp_path, config=config, data=data)
    return run_shipml("train", "--config", str(path), *args, cwd=tmp_path)


def assert_one_line_error(run: CliRun, code: int, *fragments: str) -> str:
    assert run.code == code, run.output
    assert "Traceback" not in run.output
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("shipml train: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def assert_nothing_recorded(tmp_path: Path) -> None:
    home = tmp_path / ".shipml"  # SHIPML_HOME, set by the autouse fixture
    assert not (home / "mlflow.db").exists()
    assert not (home / "mlartifacts").exists()
    assert not (tmp_path / "mlruns").exists()


@pytest.mark.parametrize(
    ("config", "mutate", "fragments"),
    [
        (
            {"model": {"estimator": "sklearn.ensemble.RandomForestClassifer"}},
            None,
            ["model.estimator:", "has no 'RandomForestClassifer'", "did you mean"],
        ),
        (
            {"model": {"params": {"max_iter": 100, "learning_rat": 0.1}}},
            None,
            ["model.params.learning_rat:", "LogisticRegression has no parameter 'learning_rat'"],
        ),
        (
            {"model": {"params": {"C": -1}}},
            None,
            ["model.params.C:", "The 'C' parameter of LogisticRegression"],
        ),
        (
            {"data": {"target": "churn_flag"}},
            None,
            ["target column 'churn_flag' not found", "Columns there:"],
        ),
        ({}, "constant", ["target column 'churned'", "is constant"]),
        ({}, "rare_class", ["class 'rare' of target 'churned' has only 1 row(s)", "stratify: false"]),
        ({}, "text_in_numeric", ["numeric feature 'total_charges'", "'unknown' at line 12"]),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, config: dict[str, Any], mutate: str | None, fragments: list[str]
) -> None:
    frame = example_rows(300)
    if mutate == "constant":
        frame["churned"] = 1
    elif mutate == "rare_class":
        frame["churned"] = frame["churned"].map({0: "stay", 1: "leave"})
        frame.loc[4, "churned"] = "rare"
    elif mutate == "text_in_numeric":
        frame["total_charges"] = frame["total_charges"].astype(object)
        frame.loc[10, "total_charges"] = "unknown"
    run = train_cli(tmp_path, config=config, data=frame)
    assert_one_line_error(run, ExitCode.BAD_INPUT, *fragments)
    assert_nothing_recorded(tmp_path)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("team/churn", "mlflow.registered_model: 'team/churn' is not a valid registered model name"),
        ("..", "mlflow.registered_model: '..' is not a valid registered model name"),
    ],
)
def test_invalid_registry_name(tmp_path: Path, name: str, fragment: str) -> None:
    run = train_cli(tmp_path, "--registered-model", name)
    assert_one_line_error(run, ExitCode.BAD_INPUT, fragment)
    assert_nothing_recorded(tmp_path)


def test_unreachable_tracking_server_exits_3_after_retries(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    run = train_cli(tmp_path, "--tracking-uri", f"http://user:s3cret@127.0.0.1:{port}")
    elapsed = time.monotonic() - start
    line = assert_one_line_error(
        run,
        ExitCode.INFRASTRUCTURE,
        f"MLflow tracking server http://***@127.0.0.1:{port}",
        "after 4 attempts",
    )
    assert "s3cret" not in run.output
    assert "MLFLOW_TRACKING_URI" in line  # the hint says what to check
    assert elapsed > 3.0  # 0.5 + 1 + 2 s of backoff happened before giving up
    assert_nothing_recorded(tmp_path)


def test_missing_config_is_exit_2(tmp_path: Path) -> None:
    run = run_shipml("train", cwd=tmp_path)
    assert_one_line_error(run, ExitCode.BAD_INPUT, "no shipml.yaml in")
