"""The post-deploy smoke check through the API server's service proxy, answered by a real server.

What the proxy can reach here (verified against kube-apiserver v1.37.2): it only dials an
address that is some pod's ``status.podIPs`` (EndpointSlice with a ``targetRef``), and the API
refuses loopback addresses in Endpoints and EndpointSlices. kwok pods carry no traffic, so:

* a network namespace made by this test holds one real ``shipml serve`` (the churn example's
  model) at a non-loopback address on a veth pair; nothing leaves the machine;
* kwok makes the Deployment's pods Ready *at that address* (pod annotation
  ``shipml.test/pod-ip``, tests/support/k8s/stages.py);
* the Service, the endpoints controller, the EndpointSlices and the proxy are the real ones.

Simulated: the pods (all replicas answer from the one server). A failing check (a path the
server does not serve) rolls the deploy back like a failed rollout.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_deploy_cluster import GOOD_A, GOOD_B, deploy, image, live, result
from tests.unit.test_serve_model import make_model_dir

PORT = 8080


@dataclass
class PodNetwork:
    """A network namespace (held by a ``sleep`` under ``unshare``) joined to the host by a veth pair."""

    holder: subprocess.Popen[bytes]
    pid: int
    host_ip: str
    pod_ip: str

    def run(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["nsenter", "-t", str(self.pid), "-n", *argv], **kwargs)


def _sh(*argv: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()} — needs root/CAP_NET_ADMIN"
        )


@pytest.fixture(scope="module")
def pod_network() -> Iterator[PodNetwork]:
    for tool in ("unshare", "nsenter", "ip"):
        if shutil.which(tool) is None:
            pytest.fail(
                f"{tool} is missing (util-linux / iproute2): the smoke test needs a network namespace"
            )
    holder = subprocess.Popen(["unshare", "--net", "--fork", "sleep", "3600"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        pid = 0
        while not pid:
            children = Path(f"/proc/{holder.pid}/task/{holder.pid}/children").read_text().split()
            pid = int(children[0]) if children else 0
            assert time.monotonic() < deadline, "unshare did not start its child"
            time.sleep(0.05)
        # a /30 of the benchmarking range, one per session: parallel runs do not collide
        third = random.randrange(1, 255)
        host_ip, pod_ip = f"198.18.{third}.1", f"198.18.{third}.2"
        host_if, pod_if = f"shd{third}h{os.getpid() % 1000}", f"shd{third}p"
        _sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", pod_if, "netns", str(pid))
        _sh("ip", "addr", "add", f"{host_ip}/30", "dev", host_if)
        _sh("ip", "link", "set", host_if, "up")
        _sh("nsenter", "-t", str(pid), "-n", "ip", "addr", "add", f"{pod_ip}/30", "dev", pod_if)
        _sh("nsenter", "-t", str(pid), "-n", "ip", "link", "set", pod_if, "up")
        _sh("nsenter", "-t", str(pid), "-n", "ip", "link", "set", "lo", "up")
        yield PodNetwork(holder, pid, host_ip, pod_ip)
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # the namespace and the veth pair go with it
        holder.wait()


@pytest.fixture(scope="module")
def model_server(pod_network: PodNetwork, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real ``shipml serve`` listening on the pod address inside the namespace; yields its log."""
    tmp = tmp_path_factory.mktemp("smoke")
    model = make_model_dir(tmp / "churn")
    log = tmp / "serve.log"
    exe = str(Path(sys.executable).with_name("shipml"))
    with log.open("w") as out:
        proc = pod_network.run(
            [exe, "serve", "--model-dir", str(model), "--host", pod_network.pod_ip, "--port", str(PORT)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
    try:
        deadline = time.monotonic() + 300  # loading imports scikit-learn: slow on a loaded machine
        while True:
            try:
                with urllib.request.urlopen(f"http://{pod_network.pod_ip}:{PORT}/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, f"shipml serve exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"shipml serve not ready: {log.read_text()[-2000:]}"
            time.sleep(0.5)
        yield log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def manifests(folder: Path, pod_ip: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.yaml").write_text(
        f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: churn}}
spec:
  replicas: 2
  progressDeadlineSeconds: 30
  selector: {{matchLabels: {{app: churn}}}}
  template:
    metadata:
      labels: {{app: churn}}
      annotations: {{shipml.test/pod-ip: "{pod_ip}"}}
    spec:
      containers:
      - name: server
        image: "{GOOD_A}"
        ports: [{{name: http, containerPort: {PORT}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: churn}}
spec:
  selector: {{app: churn}}
  ports: [{{name: http, port: 80, targetPort: http}}]
"""
    )
    return folder


def test_smoke_check_reaches_a_real_server_through_the_service_proxy_and_a_failing_one_rolls_back(
    k8s_cluster: Any, pod_network: PodNetwork, model_server: Path, tmp_path: Path
) -> None:
    ns = k8s_cluster.new_namespace("smoke")
    folder = manifests(tmp_path / "k8s", pod_network.pod_ip)
    cwd = tmp_path
    (cwd / "shipml.yaml").write_text(
        "deploy:\n  timeout: 90\n  environments:\n    staging:\n      namespace: x\n"
        "      smoke: {path: /health, retries: 10}\n"
    )
    health = '"route":"/health"'
    before = model_server.read_text().count(health)
    run = deploy(k8s_cluster, cwd, ns, "--image", GOOD_A, "--manifests", str(folder))
    assert run.code == 0, run.output
    out = result(cwd)
    assert out["details"]["smoke"] == "GET /health on service churn:http answered 200"
    # the 200 is the real server's: it logged the proxied request (nothing else calls it now)
    assert model_server.read_text().count(health) > before

    # a smoke check the server fails: the new digest is rolled back, the old one live again
    (cwd / "shipml.yaml").write_text(
        "deploy:\n  timeout: 90\n  environments:\n    staging:\n      namespace: x\n"
        "      smoke: {path: /no-such-page, retries: 1}\n"
    )
    failed = deploy(k8s_cluster, cwd, ns, "--image", GOOD_B, "--manifests", str(folder))
    assert failed.code == 1, failed.output
    out = result(cwd)
    assert out["details"]["reason"].startswith("the smoke check failed: GET /no-such-page")
    assert "404" in out["details"]["reason"] and out["outputs"]["rolled-back"] == "true"
    obj = live(k8s_cluster, ns, "churn")
    assert image(obj) == GOOD_A and obj["status"]["readyReplicas"] == 2
