"""``shipml build`` against a real dockerd and registry, with a model trained by ``shipml train``.

The default server image is built on the debootstrap base from a host-made
wheelhouse (containers here have no egress), pushed to a loopback registry and
pulled back by digest; checks look at the pulled image from the outside: labels,
user, entrypoint, layers, and a container that loads the model's files with the
image's own Python packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, CliRun, Registry, run_shipml
from tests.support import wheelhouse

pytestmark = pytest.mark.integration

SHA = "0123456789abcdef0123456789abcdef01234567"
MODEL = "churn-classifier"


@dataclass
class Project:
    root: Path
    env: dict[str, str]

    def shipml(self, *args: str, env: dict[str, str] | None = None) -> tuple[CliRun, dict[str, Any]]:
        result = self.root / f"result-{args[0]}.json"
        result.unlink(missing_ok=True)
        run = run_shipml(*args, "--result-file", str(result), cwd=self.root, env={**self.env, **(env or {})})
        return run, (json.loads(result.read_text()) if result.exists() else {})


def _docker(host: str) -> Any:
    import docker

    return docker.DockerClient(base_url=host)


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, docker_daemon: str, base_image: str, registry: Registry
) -> Iterator[Project]:
    """The churn example with a sqlite MLflow store, one trained version, and a wheelhouse for it."""
    root = tmp_path_factory.mktemp("image-project") / "churn"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".shipml", "__pycache__"))
    env = {
        "DOCKER_HOST": docker_daemon,
        "GITHUB_SHA": SHA,
        "GITHUB_REPOSITORY": "acme/churn",
        "OMP_NUM_THREADS": "1",
        "SHIPML_HOME": str(root / ".shipml"),
    }
    text = (root / "shipml.yaml").read_text()
    text = text.replace("mlflow:\n", f"mlflow:\n  tracking_uri: sqlite:///{root / 'mlflow.db'}\n", 1)
    text = text.replace("max_iter: 150", "max_iter: 20")
    (root / "shipml.yaml").write_text(text)
    proj = Project(root, env)
    run, _ = proj.shipml("train")
    assert run.code == 0, run.output

    model_dir = root / "model-for-wheels"
    fetch = "import sys, mlflow.artifacts as a; a.download_artifacts(sys.argv[1], dst_path=sys.argv[2])"
    subprocess.run(
        [sys.executable, "-c", fetch, f"models:/{MODEL}/1", str(model_dir)],
        env={**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}"},
        check=True,
        capture_output=True,
    )
    wheels = wheelhouse.for_model(model_dir)
    with (root / "shipml.yaml").open("a") as fh:
        fh.write(
            textwrap.dedent(f"""
            image:
              base: {base_image}
              registry: {registry.host}
              repository: acme/churn-server
              wheelhouse: {wheels}
              tags: ["v{{model_version}}", "{{git_sha_short}}"]
            """)
        )
    yield proj


def test_default_image_pushed_and_pulled_by_digest(project: Project, registry: Registry) -> None:
    run, result = project.shipml("build", f"models:/{MODEL}@challenger")
    assert run.code == 0, run.output
    details, outputs = result["details"], result["outputs"]
    digest = outputs["digest"]
    assert digest.startswith(f"{registry.host}/acme/churn-server@sha256:")
    assert details["references"] == [
        f"{registry.host}/acme/churn-server:v1",
        f"{registry.host}/acme/churn-server:{SHA[:7]}",
    ]
    client = _docker(project.env["DOCKER_HOST"])
    for ref in details["references"]:
        client.images.remove(ref)
    pulled = client.images.pull(digest)
    assert digest in pulled.attrs["RepoDigests"]
    labels = pulled.labels
    train_result = json.loads((project.root / "result-train.json").read_text())["details"]
    assert labels["io.shipml.model.name"] == MODEL
    assert labels["io.shipml.model.version"] == "1"
    assert labels["io.shipml.model.uri"] == f"models:/{MODEL}@challenger"
    assert labels["io.shipml.run-id"] == train_result["run_id"]
    assert labels["io.shipml.git-sha"] == labels["org.opencontainers.image.revision"] == SHA
    assert labels["org.opencontainers.image.source"] == "https://github.com/acme/churn"
    assert labels["org.opencontainers.image.version"] == "1"
    assert labels["org.opencontainers.image.created"].startswith("20")
    config = pulled.attrs["Config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["python", "-m", "shipml.serve", "--model-dir", "/opt/model"]
    assert "SHIPML_MODEL_VERSION=1" in config["Env"]
    # The image's own Python loads the model files with the packages the wheelhouse gave it.
    import sklearn

    script = (
        "import skops.io as sio, sklearn, os, pwd; p='/opt/model/model.skops'; "
        "m = sio.load(p, trusted=sio.get_untrusted_types(file=p)); "
        "print(sklearn.__version__, type(m).__name__, os.getuid())"
    )
    out = client.containers.run(
        pulled.id, ["-c", script], entrypoint="python", remove=True, network_mode="none"
    )
    version, kind, uid = out.decode().split()
    assert version == sklearn.__version__ and uid == "10001"
    assert kind in ("Pipeline", "HistGradientBoostingClassifier")
    # pip is not left in the image; shipml is importable.
    out = client.containers.run(
        pulled.id,
        ["-c", "import importlib.util as u, shipml; print(u.find_spec('pip') is None, shipml.__version__)"],
        entrypoint="python",
        remove=True,
        network_mode="none",
    )
    assert out.decode().split()[0] == "True"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(port: int, path: str, body: Any = None, timeout: float = 10) -> tuple[int, Any]:
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            raw = reply.read().decode()
            status = reply.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read().decode(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def test_container_serves_read_only_as_non_root(project: Project) -> None:
    """The pushed image, pulled by digest, answers /health, /predict, /predict/batch, /metrics."""
    import csv
    import time

    run, result = project.shipml("build", f"models:/{MODEL}@challenger")
    assert run.code == 0, run.output
    digest = result["outputs"]["digest"]
    client = _docker(project.env["DOCKER_HOST"])
    for ref in result["details"]["references"]:
        client.images.remove(ref)
    client.images.pull(digest)
    port = _free_port()
    # host network: containers here have no bridge routing (dockerd runs with --iptables=false)
    container = client.containers.run(
        digest,
        detach=True,
        network_mode="host",
        read_only=True,
        tmpfs={"/tmp": "rw,size=16m"},
        environment={
            "SHIPML_SERVE_HOST": "127.0.0.1",
            "SHIPML_SERVE_PORT": str(port),
            "SHIPML_IMAGE_DIGEST": digest.partition("@")[2],
        },
    )
    try:
        started = time.perf_counter()
        status, health = 0, None
        while time.perf_counter() - started < 90:
            container.reload()
            assert container.status in ("created", "running"), container.logs().decode()[-2000:]
            try:
                status, health = _http(port, "/health", timeout=2)
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, container.logs().decode()[-2000:]
        assert isinstance(health, dict)
        assert health["model"]["name"] == MODEL and health["model"]["version"] == "1"
        assert health["model"]["image_digest"] == digest.partition("@")[2]

        with (EXAMPLE / "data" / "new.csv").open() as fh:
            rows = [dict(r) for r, _ in zip(csv.DictReader(fh), range(5), strict=False)]
        for row in rows:
            row.pop("churned")
            for key in ("tenure_months", "support_calls", "senior"):
                row[key] = int(row[key])
            for key in ("monthly_charges", "total_charges"):
                row[key] = float(row[key])
        status, one = _http(port, "/predict", rows[0])
        assert status == 200, one
        assert one["prediction"] in (0, 1) and 0.0 <= one["score"] <= 1.0
        status, batch = _http(port, "/predict/batch", {"rows": rows})
        assert status == 200, batch
        assert len(batch["predictions"]) == 5 and batch["predictions"][0] == one
        status, bad = _http(port, "/predict", {k: v for k, v in rows[0].items() if k != "tenure_months"})
        assert status == 422 and "tenure_months" in json.dumps(bad)
        status, metrics = _http(port, "/metrics")
        assert status == 200 and isinstance(metrics, str)
        assert 'shipml_requests_total{outcome="ok",route="/predict"} 1.0' in metrics
        assert 'shipml_requests_total{outcome="ok",route="/predict/batch"} 1.0' in metrics
        assert "shipml_prediction_score_count 6.0" in metrics

        # the claims: a non-root user, nothing writable outside /tmp
        uid = container.exec_run(["python", "-c", "import os; print(os.getuid())"]).output.decode()
        assert uid.strip() == "10001"
        write = container.exec_run(["python", "-c", "open('/opt/model/x', 'w')"])
        assert write.exit_code != 0 and "Read-only file system" in write.output.decode()
        assert container.exec_run(["python", "-c", "open('/tmp/x', 'w')"]).exit_code == 0

        container.stop(timeout=30)  # SIGTERM: drained and exits 0
        container.reload()
        assert container.attrs["State"]["ExitCode"] == 0, container.logs().decode()[-2000:]
        first = container.logs(stderr=True, stdout=True).decode().splitlines()
        assert any(line.startswith("{") and json.loads(line).get("route") == "/predict" for line in first)
    finally:
        container.remove(force=True)


def test_new_model_version_rebuilds_only_the_top(project: Project) -> None:
    run, first = project.shipml("build", f"models:/{MODEL}/1", "--no-push")
    assert run.code == 0, run.output
    run, _ = project.shipml("train", "--seed", "7")
    assert run.code == 0, run.output
    run, second = project.shipml("build", f"models:/{MODEL}/2", "--no-push")
    assert run.code == 0, run.output
    assert "reusing shipml-deps:" in run.output
    assert second["details"]["model_version"] == "2"
    assert second["details"]["digest"] is None and second["outputs"]["digest"] == ""
    client = _docker(project.env["DOCKER_HOST"])
    one = client.images.get(first["details"]["image_id"]).attrs["RootFS"]["Layers"]
    two = client.images.get(second["details"]["image_id"]).attrs["RootFS"]["Layers"]
    assert len(one) == len(two) and one[:-1] == two[:-1] and one[-1] != two[-1]


@pytest.fixture
def own_dockerfile(tmp_path: Path, base_image: str, docker_daemon: str) -> Project:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text(
        textwrap.dedent(f"""\
        FROM {base_image} AS first
        ARG FLAVOUR=plain
        LABEL custom.flavour=$FLAVOUR custom.stage=first
        FROM {base_image} AS second
        LABEL custom.stage=second
        RUN exit 7
        """)
    )
    (tmp_path / "shipml.yaml").write_text("project: own\nimage:\n  dockerfile: Dockerfile\n  context: app\n")
    return Project(tmp_path, {"DOCKER_HOST": docker_daemon, "SHIPML_HOME": str(tmp_path / ".shipml")})


def test_own_dockerfile_args_target_and_failing_step(own_dockerfile: Project) -> None:
    run, result = own_dockerfile.shipml(
        "build", "--target", "first", "--build-arg", "FLAVOUR=spicy", "--no-push"
    )
    assert run.code == 0, run.output
    image = _docker(own_dockerfile.env["DOCKER_HOST"]).images.get(result["details"]["image_id"])
    assert image.labels["custom.flavour"] == "spicy" and image.labels["custom.stage"] == "first"
    assert image.labels["org.opencontainers.image.created"]
    assert (
        result["details"]["dockerfile"] == "app/Dockerfile"
    )  # as the repository names it, not a runner path

    run, result = own_dockerfile.shipml("build", "--no-push")
    assert run.code == 1, run.output
    assert result["status"] == "failed"
    assert result["details"]["failed_step"].endswith(": RUN exit 7")
    assert any("returned a non-zero code: 7" in line for line in result["details"]["log_tail"])
    assert "RUN exit 7" in run.stderr and "Traceback" not in run.output


def test_bad_inputs(own_dockerfile: Project, project: Project) -> None:
    run, _ = own_dockerfile.shipml("build", "--dockerfile", "Missing.Dockerfile")
    assert run.code == 2 and "Missing.Dockerfile not found" in run.stderr
    run, _ = own_dockerfile.shipml("build", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert run.code == 3 and "unix:///nonexistent/docker.sock is unreachable" in run.stderr
    run, _ = project.shipml("build", "models:/no-such-model/1")
    assert run.code == 2 and "no-such-model" in run.stderr
    run, _ = project.shipml("build", str(project.root / "no-model-dir"))
    assert run.code == 2 and "not found" in run.stderr
    assert "Traceback" not in run.output


def test_registry_auth_failure_is_exit_3_without_the_secret(
    own_dockerfile: Project, registry_auth: Registry
) -> None:
    assert registry_auth.password and registry_auth.username
    (own_dockerfile.root / "app" / "Dockerfile").write_text(
        (own_dockerfile.root / "app" / "Dockerfile").read_text().replace("RUN exit 7\n", "")
    )
    args = ("build", "--registry", registry_auth.host, "--repository", "team/app")
    wrong = "wrong-" + registry_auth.password[::-1]
    run, result = own_dockerfile.shipml(
        *args, env={"SHIPML_REGISTRY_USERNAME": registry_auth.username, "SHIPML_REGISTRY_PASSWORD": wrong}
    )
    assert run.code == 3, run.output
    assert "refused the push" in run.stderr and "SHIPML_REGISTRY_PASSWORD" in run.stderr
    assert wrong not in run.output and wrong not in json.dumps(result)
    run, result = own_dockerfile.shipml(
        *args,
        env={
            "SHIPML_REGISTRY_USERNAME": registry_auth.username,
            "SHIPML_REGISTRY_PASSWORD": registry_auth.password,
        },
    )
    assert run.code == 0, run.output
    assert result["outputs"]["digest"].startswith(f"{registry_auth.host}/team/app@sha256:")
    assert registry_auth.password not in run.output
