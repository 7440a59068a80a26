"""Fixtures shared by every tier: the repo, the example project, real services.

A real service that fails to start fails the tests that need it (with its log);
nothing here skips because a part is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import services
from tests.support import spark_cluster as spark_cluster_support

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "churn"


PYCACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "shipml-test-pycache"


def pytest_configure(config: pytest.Config) -> None:
    """Cache bytecode for every subprocess (CLI runs, the MLflow server, act jobs).

    Some sandboxes set PYTHONDONTWRITEBYTECODE, which makes each CLI subprocess
    recompile MLflow, pandas and scikit-learn from source (~10 s); a runner writes
    bytecode on first use, so this measures what users see. The cache lives outside
    the tree and the venv.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))


@pytest.fixture(autouse=True)
def _isolated_runner_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never inherit a CI runner's GITHUB_* files or a developer's MLflow URI."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "RUNNER_", "SHIPML_", "INPUT_")) or name == "MLFLOW_TRACKING_URI":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHIPML_HOME", str(tmp_path / ".shipml"))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")


@pytest.fixture
def example_project(tmp_path: Path) -> Path:
    """A private copy of examples/churn that a test may modify."""
    target = tmp_path / "churn"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".shipml", "__pycache__"))
    return target


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MLflow tracking server on loopback for the whole session."""
    state = tmp_path_factory.mktemp("services")
    running = services.start("mlflow", state)
    try:
        yield running.url
    finally:
        services.stop("mlflow", state)


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[spark_cluster_support.Cluster]:
    """A real Spark standalone cluster (master + one 1-core worker) on loopback for the session."""
    state = tmp_path_factory.mktemp("spark-services")
    cluster = spark_cluster_support.start(state)
    try:
        yield cluster
    finally:
        spark_cluster_support.stop(state)


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_shipml(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600
) -> CliRun:
    """Run the real console script in a subprocess, as a workflow step would."""
    exe = Path(sys.executable).with_name("shipml")
    proc = subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def shipml() -> type[CliRun]:
    return CliRun
