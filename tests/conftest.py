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

from tests.support import prometheus, services
from tests.support import spark_cluster as spark_cluster_support
from tests.support.k8s import cluster as kube

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
def prometheus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[prometheus.Prometheus]:
    """A real Prometheus (Debian's package) on loopback, scraping every second; tests set its targets."""
    running = prometheus.start(tmp_path_factory.mktemp("prometheus"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def k8s_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kube.Cluster]:
    """A real control plane (etcd, apiserver, controllers, scheduler; kwok node) for the session.

    Built once into $SHIPML_CACHE/k8s (tests/support/k8s/build.sh), started in seconds. Use
    ``k8s_cluster.new_namespace()`` per test: namespace deletion is slow, never wait for it.
    """
    state = tmp_path_factory.mktemp("k8s")
    cluster = kube.start(state, build=False)  # CI builds first; a test run never builds for 20 min
    try:
        yield cluster
    finally:
        kube.stop(state)


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


# -- docker engine, registry, base image, trivy DB (issue 13) ----------------------------------


@dataclass(frozen=True)
class Registry:
    """A real registry on loopback: ``host`` is ``127.0.0.1:PORT`` (docker trusts loopback as insecure)."""

    host: str
    username: str | None = None
    password: str | None = None


@pytest.fixture(scope="session")
def docker_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private real dockerd for the session; yields its DOCKER_HOST (``unix://...``)."""
    state = tmp_path_factory.mktemp("dockerd")
    running = services.start("dockerd", state)
    try:
        yield running.url
    finally:
        services.stop("dockerd", state)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    state = tmp_path_factory.mktemp("registry")
    running = services.start("registry", state)
    try:
        yield Registry(running.url.removeprefix("http://"))
    finally:
        services.stop("registry", state)


@pytest.fixture(scope="session")
def registry_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """The same registry behind basic auth (htpasswd); the password is random per session."""
    state = tmp_path_factory.mktemp("registry-auth")
    running = services.start("registry-auth", state)
    try:
        yield Registry(
            running.url.removeprefix("http://"), services.REGISTRY_USER, services.registry_password(state)
        )
    finally:
        services.stop("registry-auth", state)


@pytest.fixture(scope="session")
def base_image(docker_daemon: str) -> str:
    """``shipml-base:bookworm`` (debootstrap, cached tarball) imported into the session's daemon."""
    from tests.support import base_image as base

    return base.import_image(base.DEFAULT_TAG, docker_daemon)


@pytest.fixture(scope="session")
def cosign_bin() -> Path:
    """The real cosign (tests/support/cosign/build.sh, cached outside the repo); fails if not buildable."""
    from tests.support import cosign

    return cosign.ensure_built()


@pytest.fixture(scope="session")
def trivy_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trivy cache dir holding a generated DB with the advisories in tests.support.trivy_db."""
    from tests.support import trivy_db as db

    return db.write_db(tmp_path_factory.mktemp("trivy-cache"))
