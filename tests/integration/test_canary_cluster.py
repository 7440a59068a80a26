"""``shipml canary`` end to end: the real CLI, the real control plane, real Prometheus, real servers.

What is real: the ``shipml canary`` console script (a subprocess, as a workflow
step runs it), the local Kubernetes control plane (apiserver, etcd,
controllers, scheduler; Deployments, ReplicaSets, rollouts, annotations, CRDs),
Debian's Prometheus scraping two real ``shipml serve`` processes labelled like
pods (``app``, ``track=stable|canary``).

What stands in for the mesh: pods on the kwok node are simulated and carry no
traffic, so the test's bounded loopback load generator splits its requests
between the two server processes **by the weight currently written in the
cluster** — the canary's share of the replicas (replica-ratio) or the
HTTPRoute's backend weight (gateway-api) — read from the API server with the
cluster's own admin client, not through shipml's code. That is what a Service
or a mesh would do with those objects.

Cases (issue 15): healthy promoted; injected errors rolled back; a different model, healthy as a
service, caught by the score distribution; too little traffic held then failed, never promoted;
a killed run resumed and a second canary refused; Prometheus stopped is exit 3 with traffic back
on stable; Gateway API weights and a missing CRD; bad steps.

The CRDs installed here (``tests/support/k8s/crds/``) are minimal: the real
group/version/kind with an open schema, not the projects' validation.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, run_shipml
from tests.integration.test_canary_analysis import models, rows, scrape, stable  # noqa: F401
from tests.integration.test_serve import Server, start
from tests.support import prometheus
from tests.support.canary_traffic import LoadGenerator
from tests.support.k8s.cluster import Cluster

pytestmark = pytest.mark.integration

STABLE_IMAGE = "127.0.0.1:5000/churn@sha256:" + "a" * 64
CANARY_IMAGE = "127.0.0.1:5000/churn@sha256:" + "b" * 64
OTHER_IMAGE = "127.0.0.1:5000/churn@sha256:" + "c" * 64
CRDS = REPO / "tests" / "support" / "k8s" / "crds"
STATE = "shipml.dev/canary-state"
LOG = "shipml.dev/canary-log"


def deployment(ns: str, name: str, replicas: int = 10) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": name, "app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "server", "image": STABLE_IMAGE}]},
            },
        },
    }


def create(cluster: Cluster, path: str, body: dict[str, Any]) -> None:
    code, answer = cluster.request("POST", path, body)
    assert code in (200, 201), (answer or {}).get("message", answer)


def get(cluster: Cluster, path: str) -> dict[str, Any] | None:
    code, answer = cluster.request("GET", path)
    if code == 404:
        return None
    assert code == 200, answer
    found: dict[str, Any] = answer
    return found


def deploy_path(ns: str, name: str = "") -> str:
    return f"/apis/apps/v1/namespaces/{ns}/deployments" + (f"/{name}" if name else "")


def install_crd(cluster: Cluster, file: str) -> None:
    body = yaml.safe_load((CRDS / file).read_text(encoding="utf-8"))
    if get(cluster, f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{body['metadata']['name']}"):
        return
    create(cluster, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body)
    group, version = body["spec"]["group"], body["spec"]["versions"][0]["name"]
    deadline = time.monotonic() + 60
    while get(cluster, f"/apis/{group}/{version}") is None:  # served once established
        assert time.monotonic() < deadline, f"CRD {file} not served after 60 s"
        time.sleep(0.3)


class ClusterWeight:
    """The canary weight as written in the cluster, re-read at most every 0.25 s (the mesh's view)."""

    def __init__(self, read: Callable[[], int]) -> None:
        self._read = read
        self._at = 0.0
        self._value = 0
        self.seen: list[int] = []

    def __call__(self) -> int:
        if time.monotonic() - self._at > 0.25:
            with contextlib.suppress(Exception):  # a transient read error keeps the last weight
                self._value = self._read()
            self._at = time.monotonic()
            if not self.seen or self.seen[-1] != self._value:
                self.seen.append(self._value)
        return self._value


def replica_weight(cluster: Cluster, ns: str, app: str) -> Callable[[], int]:
    def read() -> int:
        canary = get(cluster, deploy_path(ns, f"{app}-canary"))
        stable_live = get(cluster, deploy_path(ns, app)) or {}
        c = int((canary or {}).get("spec", {}).get("replicas") or 0)
        s = int(stable_live.get("spec", {}).get("replicas") or 0)
        return round(100 * c / (c + s)) if c + s else 0

    return read


def write_config(tmp: Path, ns: str, app: str, prom_url: str, **canary: Any) -> Path:
    section: dict[str, Any] = {
        "app": app,
        "steps": [20, 50, 100],
        "interval": 5,
        "min_requests": 30,
        "max_holds": 1,
        "prometheus": {"url": prom_url, "retries": 2, "backoff": 0.2, "timeout": 5},
        "cluster": {"namespace": ns, "replicas": 10, "rollout_timeout": 60},
    }
    for key, value in canary.items():
        if isinstance(value, dict) and isinstance(section.get(key), dict):
            section[key] = {**section[key], **value}
        else:
            section[key] = value
    path = tmp / "shipml.yaml"
    path.write_text(yaml.safe_dump({"canary": section}), encoding="utf-8")
    return path


def canary_cli(cluster: Cluster, config: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    result = config.parent / "result.json"
    run = run_shipml(
        "canary",
        "--config",
        str(config),
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--result-file",
        str(result),
        *extra,
        cwd=config.parent,
        timeout=300,
    )
    data = json.loads(result.read_text(encoding="utf-8")) if result.is_file() else {}
    return run.code, run.output, data


@pytest.fixture
def app_ns(k8s_cluster: Cluster) -> Iterator[tuple[str, str]]:
    ns = k8s_cluster.new_namespace("canary")
    app = "churn"
    create(k8s_cluster, deploy_path(ns), deployment(ns, app))
    yield ns, app


def test_healthy_canary_is_promoted_and_stable_takes_the_image(
    k8s_cluster: Cluster,
    prometheus_server: prometheus.Prometheus,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, app = app_ns
    canary = start(models["stable"], tmp_path)
    weight = ClusterWeight(replica_weight(k8s_cluster, ns, app))
    label = f"ok-{ns}"  # the servers' app label in Prometheus; the stable Deployment is `churn`
    try:
        scrape(prometheus_server, label, stable, canary)
        # p99 needs samples: at the default min_requests (100) one slow request is not the p99
        config = write_config(
            tmp_path,
            ns,
            label,
            prometheus_server.url,
            interval=10,
            min_requests=100,
            cluster={"deployment": app},
        )
        with LoadGenerator(stable.url, canary.url, weight, rows, rate=60, batch=5, max_seconds=120):
            code, output, result = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
    finally:
        canary.stop()
    assert code == 0, output
    details = result["details"]
    assert details["outcome"] == "promoted" and details["final_weight"] == 100
    assert [r["weight"] for r in details["log"]] == [20, 50, 100]
    assert result["outputs"] == {"outcome": "promoted", "final-weight": "100", "failed-check": ""}
    # the split the load generator saw was the one written in the cluster: 20 %, 50 %, then all stable
    assert 20 in weight.seen and 50 in weight.seen
    live = get(k8s_cluster, deploy_path(ns, app))
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == CANARY_IMAGE
    assert live["spec"]["replicas"] == 10
    assert get(k8s_cluster, deploy_path(ns, f"{app}-canary")) is None  # canary removed
    kept = json.loads(live["metadata"]["annotations"][LOG])  # the decision log stays on stable
    assert [r["weight"] for r in kept][:2] == [20, 50] and kept[0]["checks"]


def test_canary_with_errors_is_rolled_back_with_the_numbers_in_annotations(
    k8s_cluster: Cluster,
    prometheus_server: prometheus.Prometheus,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, _ = app_ns
    # Stable runs 4 replicas before the canary; the split runs on canary.cluster.replicas (10), and
    # rollback must give stable back its own 4, not the split's total.
    app = "small"
    create(k8s_cluster, deploy_path(ns), deployment(ns, app, replicas=4))
    canary = start(models["stable"], tmp_path, "--inject-error-rate", "0.3")
    weight = ClusterWeight(replica_weight(k8s_cluster, ns, app))
    label = f"err-{ns}"
    try:
        scrape(prometheus_server, label, stable, canary)
        config = write_config(tmp_path, ns, label, prometheus_server.url, cluster={"deployment": app})
        with LoadGenerator(stable.url, canary.url, weight, rows, max_seconds=60):
            started = time.monotonic()
            code, output, result = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
            took = time.monotonic() - started
    finally:
        canary.stop()
    assert code == 1, output
    details = result["details"]
    assert details["outcome"] == "rolled-back" and details["failed_check"] == "success-rate"
    assert result["outputs"]["failed-check"] == "success-rate"
    assert [r["weight"] for r in details["log"]] == [20]
    assert "success-rate" in output  # the one-line summary names the failing check
    canary_live = get(k8s_cluster, deploy_path(ns, f"{app}-canary"))
    stable_live = get(k8s_cluster, deploy_path(ns, app))
    assert canary_live and stable_live
    assert canary_live["spec"]["replicas"] == 0 and stable_live["spec"]["replicas"] == 4
    assert stable_live["spec"]["template"]["spec"]["containers"][0]["image"] == STABLE_IMAGE
    annotations = canary_live["metadata"]["annotations"]
    assert STATE not in annotations  # finished: a new canary may start
    log = json.loads(annotations[LOG])
    assert log[-1]["action"] == "rollback"
    failing = {c["name"]: c for c in log[-1]["checks"]}["error-rate"]
    # 30 % injected, measured on the ~40 canary requests of one 5 s step through Prometheus' rate():
    # one CI run saw 0.51, so the bound only says "clearly elevated, clearly not everything"
    assert failing["outcome"] == "fail" and 0.1 < failing["canary"] < 0.75 and failing["stable"] == 0
    print(f"canary CLI to rollback exit: {took:.2f}s (interval 5 s, one step)")


def test_different_model_healthy_as_a_service_is_caught_by_the_score_distribution(
    k8s_cluster: Cluster,
    prometheus_server: prometheus.Prometheus,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, app = app_ns
    canary = start(models["other"], tmp_path)  # another model of the task: no errors, fast, different
    weight = ClusterWeight(replica_weight(k8s_cluster, ns, app))
    label = f"model-{ns}"
    try:
        scrape(prometheus_server, label, stable, canary)
        config = write_config(tmp_path, ns, label, prometheus_server.url, cluster={"deployment": app})
        with LoadGenerator(stable.url, canary.url, weight, rows, max_seconds=60) as load:
            code, output, result = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
    finally:
        canary.stop()
    assert code == 1, output
    details = result["details"]
    assert details["outcome"] == "rolled-back" and details["failed_check"] == "score-psi"
    assert [r["weight"] for r in details["log"]] == [20]
    checks = {c["name"]: c for c in details["log"][0]["checks"]}
    # the service signals pass: only the model signal could have caught it
    assert {checks[n]["outcome"] for n in ("success-rate", "error-rate")} == {"pass"}
    assert checks["score-psi"]["outcome"] == "fail" and checks["score-psi"]["canary"] > 0.2
    assert load.counts.errors == {"stable": 0, "canary": 0}
    assert 20 in weight.seen and replica_weight(k8s_cluster, ns, app)() == 0
    stable_live = get(k8s_cluster, deploy_path(ns, app)) or {}
    assert stable_live["spec"]["template"]["spec"]["containers"][0]["image"] == STABLE_IMAGE


def test_too_little_traffic_holds_then_fails_and_never_promotes(
    k8s_cluster: Cluster,
    prometheus_server: prometheus.Prometheus,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, app = app_ns
    canary = start(models["stable"], tmp_path)
    weight = ClusterWeight(replica_weight(k8s_cluster, ns, app))
    label = f"quiet-{ns}"
    try:
        scrape(prometheus_server, label, stable, canary)
        # 10 requests/s at 20 %: ~10 canary requests per 5 s window, far below 200
        config = write_config(
            tmp_path, ns, label, prometheus_server.url, min_requests=200, cluster={"deployment": app}
        )
        with LoadGenerator(stable.url, canary.url, weight, rows, rate=10, max_seconds=60):
            code, output, result = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
    finally:
        canary.stop()
    assert code == 1, output
    details = result["details"]
    assert [r["action"] for r in details["log"]] == ["hold", "rollback"]
    assert [r["weight"] for r in details["log"]] == [20, 20]  # held at its weight, never advanced
    assert all(r["outcome"] == "inconclusive" for r in details["log"])
    assert details["outcome"] == "rolled-back" and details["failed_check"] == "requests"
    assert 50 not in weight.seen and replica_weight(k8s_cluster, ns, app)() == 0
    live = get(k8s_cluster, deploy_path(ns, f"{app}-canary")) or {}
    assert STATE not in (live.get("metadata", {}).get("annotations") or {})


def test_killed_canary_resumes_at_the_recorded_step_and_a_second_one_is_refused(
    k8s_cluster: Cluster,
    prometheus_server: prometheus.Prometheus,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, app = app_ns
    canary = start(models["stable"], tmp_path)
    weight = ClusterWeight(replica_weight(k8s_cluster, ns, app))
    label = f"resume-{ns}"
    try:
        scrape(prometheus_server, label, stable, canary)
        config = write_config(
            tmp_path, ns, label, prometheus_server.url, steps=[20, 50, 80, 100], cluster={"deployment": app}
        )
        exe = Path(sys.executable).with_name("shipml")
        with LoadGenerator(stable.url, canary.url, weight, rows, max_seconds=150):
            proc = subprocess.Popen(
                [
                    str(exe),
                    "canary",
                    "--config",
                    str(config),
                    "--kubeconfig",
                    str(k8s_cluster.kubeconfig),
                    "--image",
                    CANARY_IMAGE,
                ],
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=dict(os.environ),
            )
            deadline = time.monotonic() + 60
            state: dict[str, Any] = {}
            while time.monotonic() < deadline:  # killed once the first analysis advanced to 50 %
                live = get(k8s_cluster, deploy_path(ns, f"{app}-canary")) or {}
                raw = (live.get("metadata", {}).get("annotations") or {}).get(STATE)
                state = json.loads(raw) if raw else {}
                if state.get("step", 0) >= 1:
                    break
                time.sleep(0.2)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            assert state.get("step") == 1, state
            killed_at = time.monotonic()

            code, output, _ = canary_cli(k8s_cluster, config, "--image", OTHER_IMAGE)
            assert code == 2 and "already in progress" in output, output

            code, output, result = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
    finally:
        canary.stop()
    assert code == 0, output
    weights = [r["weight"] for r in result["details"]["log"]]
    assert weights == [20, 50, 80, 100]  # the 20 % analysis is the killed run's, not repeated
    assert weights.count(20) == 1
    assert time.monotonic() - killed_at < 4 * 5 + 30


def test_prometheus_stopped_mid_canary_is_exit_3_with_traffic_back_on_stable(
    k8s_cluster: Cluster,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, app = app_ns
    prom = prometheus.start(tmp_path / "prometheus")
    canary = start(models["stable"], tmp_path)
    weight = ClusterWeight(replica_weight(k8s_cluster, ns, app))
    label = f"stop-{ns}"
    stopper = threading.Thread(target=lambda: _stop_when(lambda: weight() > 0, prom), daemon=True)
    try:
        scrape(prom, label, stable, canary)
        config = write_config(tmp_path, ns, label, prom.url, cluster={"deployment": app})
        with LoadGenerator(stable.url, canary.url, weight, rows, max_seconds=60):
            stopper.start()
            code, output, _ = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
    finally:
        canary.stop()
        prom.stop()
    assert code == 3, output
    assert "shipml_requests_total" in output  # names the query
    assert replica_weight(k8s_cluster, ns, app)() == 0
    live = get(k8s_cluster, deploy_path(ns, f"{app}-canary")) or {}
    assert STATE not in (live.get("metadata", {}).get("annotations") or {})


def _stop_when(ready: Callable[[], bool], prom: prometheus.Prometheus) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ready():
        time.sleep(0.2)
    prom.stop()


def test_gateway_api_weights_on_the_httproute_and_a_missing_crd_is_exit_2(
    k8s_cluster: Cluster,
    prometheus_server: prometheus.Prometheus,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, app = app_ns
    label = f"gw-{ns}"
    # Istio is never installed in this session's cluster before this point: its mode is refused
    config = write_config(
        tmp_path, ns, label, prometheus_server.url, cluster={"deployment": app, "mode": "istio"}
    )
    code, output, _ = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
    assert code == 2 and "virtualservices.networking.istio.io" in output, output
    assert get(k8s_cluster, deploy_path(ns, f"{app}-canary")) is None  # nothing half-done

    install_crd(k8s_cluster, "httproutes.gateway.networking.k8s.io.yaml")
    route_path = f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes/{app}"
    create(
        k8s_cluster,
        f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes",
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": app, "namespace": ns},
            "spec": {
                "rules": [
                    {
                        "backendRefs": [
                            {"name": f"{app}-stable", "port": 8080, "weight": 100},
                            {"name": f"{app}-canary", "port": 8080, "weight": 0},
                        ]
                    }
                ]
            },
        },
    )

    def route_weight() -> int:
        route = get(k8s_cluster, route_path) or {}
        refs = route["spec"]["rules"][0]["backendRefs"]
        return int(next(r["weight"] for r in refs if r["name"] == f"{app}-canary"))

    canary = start(models["stable"], tmp_path, "--inject-error-rate", "0.3")
    weight = ClusterWeight(route_weight)
    try:
        scrape(prometheus_server, label, stable, canary)
        config = write_config(
            tmp_path,
            ns,
            label,
            prometheus_server.url,
            cluster={
                "deployment": app,
                "mode": "gateway-api",
                "route": app,
                "stable_service": f"{app}-stable",
                "canary_service": f"{app}-canary",
            },
        )
        with LoadGenerator(stable.url, canary.url, weight, rows, max_seconds=60):
            code, output, result = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
    finally:
        canary.stop()
    assert code == 1, output
    assert result["details"]["mode"] == "gateway-api"
    assert 20 in weight.seen  # the HTTPRoute carried the 20 % step
    refs = (get(k8s_cluster, route_path) or {})["spec"]["rules"][0]["backendRefs"]
    assert {r["name"]: r["weight"] for r in refs} == {f"{app}-stable": 100, f"{app}-canary": 0}
    assert (get(k8s_cluster, deploy_path(ns, f"{app}-canary")) or {})["spec"]["replicas"] == 0


@pytest.mark.parametrize(
    ("steps", "message"),
    [("50,20,100", "increasing"), ("20,50", "end at 100")],
)
def test_bad_steps_are_exit_2_before_the_cluster_is_touched(
    k8s_cluster: Cluster, app_ns: tuple[str, str], tmp_path: Path, steps: str, message: str
) -> None:
    ns, app = app_ns
    config = write_config(tmp_path, ns, app, "http://127.0.0.1:1")
    code, output, _ = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE, "--steps", steps)
    assert code == 2 and message in output, output
    assert "Traceback" not in output
    assert get(k8s_cluster, deploy_path(ns, f"{app}-canary")) is None


def test_istio_weights_on_the_virtualservice_promote_a_healthy_canary(
    k8s_cluster: Cluster,
    prometheus_server: prometheus.Prometheus,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    """Istio mode's success path: every step written as VirtualService route weights (by
    ``destination.host``, FQDN accepted), then all traffic back on stable, which runs the new image.
    Kept last in this file: installing the CRD ends the 'Istio is not served' case above."""
    ns, app = app_ns
    label = f"istio-{ns}"
    install_crd(k8s_cluster, "virtualservices.networking.istio.io.yaml")
    vs_path = f"/apis/networking.istio.io/v1/namespaces/{ns}/virtualservices/{app}"
    create(
        k8s_cluster,
        f"/apis/networking.istio.io/v1/namespaces/{ns}/virtualservices",
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": {"name": app, "namespace": ns},
            "spec": {
                "hosts": [app],
                "http": [
                    {
                        "route": [
                            {"destination": {"host": f"{app}-stable.{ns}.svc.cluster.local"}, "weight": 100},
                            {"destination": {"host": f"{app}-canary"}, "weight": 0},
                        ]
                    }
                ],
            },
        },
    )

    def vs_weights() -> dict[str, int]:
        vs = get(k8s_cluster, vs_path) or {}
        route = vs["spec"]["http"][0]["route"]
        return {r["destination"]["host"].split(".")[0]: int(r["weight"]) for r in route}

    canary = start(models["stable"], tmp_path)
    weight = ClusterWeight(lambda: vs_weights()[f"{app}-canary"])
    try:
        scrape(prometheus_server, label, stable, canary)
        config = write_config(
            tmp_path,
            ns,
            label,
            prometheus_server.url,
            steps=[20, 100],
            cluster={
                "deployment": app,
                "mode": "istio",
                "route": app,
                "stable_service": f"{app}-stable",
                "canary_service": f"{app}-canary",
            },
        )
        with LoadGenerator(stable.url, canary.url, weight, rows, max_seconds=60):
            code, output, result = canary_cli(k8s_cluster, config, "--image", CANARY_IMAGE)
    finally:
        canary.stop()
    assert code == 0, output
    assert result["details"]["mode"] == "istio" and result["details"]["outcome"] == "promoted"
    assert 20 in weight.seen  # the VirtualService carried the 20 % step
    assert vs_weights() == {f"{app}-stable": 100, f"{app}-canary": 0}
    live = get(k8s_cluster, deploy_path(ns, app)) or {}
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == CANARY_IMAGE
    assert get(k8s_cluster, deploy_path(ns, f"{app}-canary")) is None
