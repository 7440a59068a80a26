"""Default server image size vs MLflow's own ``mlflow models generate-dockerfile``, same model, same base.

Both images are built in one run by a real dockerd on the debootstrap base
(``shipml-base:bookworm``, Python 3.11), from wheels made on the host (containers
here have no egress). shipml: ``shipml build MODEL`` with ``image.wheelhouse``.
MLflow: the Dockerfile ``mlflow models generate-dockerfile`` writes, changed only
where it cannot work offline on this base, each change printed:

* ``FROM python:3.11.x-slim`` -> the local base, plus a venv on PATH (the base has
  ``python3`` but no ``pip``/``python`` commands, which MLflow's RUN lines call);
* pip installs from the same kind of wheelhouse, served over HTTP on loopback
  (``--network host`` build) so the wheels are not copied into a layer, which
  would inflate MLflow's image unfairly;
* its ``apt-get install nginx`` is kept; if the Debian mirror is unreachable the
  step fails and the benchmark says so (and why) instead of building a variant.

Goal: shipml's image <= 50% of MLflow's.

    .venv/bin/python -m benchmarks.bench_image_size
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml
from tests.support import base_image, services, wheelhouse

from benchmarks.bench_image import _pins, _save_model

MLFLOW = "mlflow==3.17.2"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve_dir(path: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    """The wheelhouse over HTTP on loopback, for pip in a --network host build."""
    handler = functools.partial(_Quiet, directory=str(path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def _mlflow_dockerfile(model: Path, out: Path, wheels_url: str) -> list[str]:
    """MLflow's generated Dockerfile, made offline-buildable on the local base; returns the changes."""
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    mlflow = str(Path(sys.executable).with_name("mlflow"))
    subprocess.run(
        [mlflow, "models", "generate-dockerfile", "-m", str(model), "-d", str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    path = out / "Dockerfile"
    text = path.read_text()
    found = re.search(r"^FROM (\S+)$", text, flags=re.M)
    assert found, text
    venv = (
        f"FROM {base_image.DEFAULT_TAG}\n"
        "RUN python3 -m venv /opt/venv\n"
        f"ENV PATH=/opt/venv/bin:$PATH PIP_NO_INDEX=1 PIP_FIND_LINKS={wheels_url}"
        " PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1"
    )
    path.write_text(text.replace(found.group(0), venv, 1))
    return [
        f"FROM {found.group(1)} -> FROM {base_image.DEFAULT_TAG} + a venv on PATH",
        "pip: --no-index from a loopback wheelhouse (PIP_NO_INDEX, PIP_FIND_LINKS), no pip cache",
    ]


def _build(client: object, context: Path, tag: str) -> tuple[int | None, str]:
    """Size in bytes, or None and the failing step with its last lines."""
    import docker

    assert isinstance(client, docker.DockerClient)
    lines: list[str] = []
    step = ""
    try:
        for chunk in client.api.build(path=str(context), tag=tag, rm=True, decode=True, network_mode="host"):
            text = str(chunk.get("stream") or "").rstrip()
            if text.startswith("Step "):
                step = text
            if text:
                lines.append(text)
            if "error" in chunk:
                return None, f"{step}: {chunk['error'].strip()}\n  " + "\n  ".join(lines[-8:])
    except docker.errors.APIError as exc:
        return None, f"{step}: {exc}"
    return int(client.images.get(tag).attrs["Size"]), ""


def main() -> int:
    os.environ.update({"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"})
    import docker

    work = Path(tempfile.mkdtemp(prefix="bench-image-size-"))
    state = work / "services"
    daemon = services.start("dockerd", state)
    try:
        base_image.import_image(base_image.DEFAULT_TAG, daemon.url)
        client = docker.DockerClient(base_url=daemon.url, timeout=3600)
        model = _save_model(work / "model", 0)

        ours_wheels = wheelhouse.for_model(model)
        (work / "shipml.yaml").write_text(
            f"project: bench\nimage:\n  base: {base_image.DEFAULT_TAG}\n"
            f"  repository: bench/shipml-server\n  wheelhouse: {ours_wheels}\n"
        )
        shipml = str(Path(sys.executable).with_name("shipml"))
        result = work / "build.json"
        subprocess.run(
            [shipml, "build", str(model), "--no-push", "--result-file", str(result)],
            cwd=work,
            env={**os.environ, "DOCKER_HOST": daemon.url, "SHIPML_HOME": str(work / ".shipml")},
            check=True,
            capture_output=True,
        )
        ours = int(json.loads(result.read_text())["details"]["size_bytes"])
        print(f"shipml default server image: {ours / 1e6:.0f} MB")

        # MLflow's container also installs the model's python_env.yaml build dependencies and,
        # for its server, gunicorn[gevent] (mlflow.models.container._install_pyfunc_deps)
        build_deps = yaml.safe_load((model / "python_env.yaml").read_text()).get("build_dependencies") or []
        theirs_wheels = wheelhouse.ensure([MLFLOW, *_pins(), *build_deps, "gunicorn[gevent]"])
        server, port = _serve_dir(theirs_wheels)
        try:
            changes = _mlflow_dockerfile(model, work / "mlflow-docker", f"http://127.0.0.1:{port}/")
            for change in changes:
                print(f"  MLflow Dockerfile changed: {change}")
            theirs, why = _build(client, work / "mlflow-docker", "bench/mlflow-server:1")
        finally:
            server.shutdown()
        if theirs is None:
            print(f"MLflow's generated Dockerfile did not build offline here: {why}")
            return 1
        print(f"mlflow models generate-dockerfile image: {theirs / 1e6:.0f} MB")
        print(f"size ratio shipml / MLflow: {ours / theirs:.2f} (goal <= 0.50)")
        client.close()
    finally:
        services.stop("dockerd", state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
