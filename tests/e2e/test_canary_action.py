"""actions/canary used as users do (`shipml/shipml/actions/canary@v1`) under act, against real parts.

What is real: act running the user's workflow on the host, the composite action's setup and
``shipml canary`` inside it, the local Kubernetes control plane (Deployments, rollout,
annotations), Debian's Prometheus scraping two real ``shipml serve`` processes labelled like pods
(``app``, ``track=stable|canary``).

What stands in for the mesh: pods on the kwok node are simulated and carry no traffic, so the
test process runs the bounded loopback load generator (tests/support/canary_traffic.py) while
act runs; it splits requests between the two server processes **by the canary's replica share
written in the cluster**, read with the cluster's admin client, not through shipml's code.

The user's shipml.yaml deliberately names an unreachable Prometheus and other steps: the
action's inputs (``prometheus-url``, ``steps``, ``interval``, ``namespace``) must override them,
or the run would fail with exit 3 or show other weights. The kubeconfig is a secret's content.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_deploy_action import inline_kubeconfig
from tests.integration.test_canary_analysis import models, rows, scrape, stable  # noqa: F401
from tests.integration.test_canary_cluster import (
    CANARY_IMAGE,
    LOG,
    STABLE_IMAGE,
    STATE,
    ClusterWeight,
    create,
    deploy_path,
    deployment,
    get,
    replica_weight,
    write_config,
)
from tests.integration.test_serve import Server, start
from tests.support import prometheus
from tests.support.act import ActRun, UserRepo
from tests.support.canary_traffic import LoadGenerator
from tests.support.k8s.cluster import Cluster

OUTPUTS = ("status", "outcome", "final-weight", "failed-check")
UNREACHABLE = "http://127.0.0.1:1"  # the config file's Prometheus: the input must replace it


def _collect() -> dict[str, str]:
    return {name: f"${{{{ steps.canary.outputs.{name} }}}}" for name in OUTPUTS} | {
        "step-outcome": "${{ steps.canary.outcome }}"
    }


@pytest.fixture
def app_ns(k8s_cluster: Cluster) -> Iterator[tuple[str, str]]:
    ns = k8s_cluster.new_namespace("e2e-canary")
    create(k8s_cluster, deploy_path(ns), deployment(ns, "churn"))
    yield ns, "churn"


def run_canary_action(
    user_repo: UserRepo,
    cluster: Cluster,
    prom: prometheus.Prometheus,
    stable_server: Server,
    canary_server: Server,
    rows_: list[dict[str, Any]],
    ns: str,
    app: str,
    *,
    interval: int,
    min_requests: int,
    rate: float,
    batch: int,
) -> tuple[ActRun, ClusterWeight]:
    """One act run of the canary action while the load generator follows the cluster's weight."""
    label = f"{app}-{ns}"  # the servers' app label in Prometheus; the Deployment is `app`
    scrape(prom, label, stable_server, canary_server)
    # the file's namespace, steps and Prometheus are wrong on purpose: the inputs override them
    write_config(
        user_repo.root,
        "no-such-namespace",
        label,
        UNREACHABLE,
        steps=[10, 100],
        interval=60,
        min_requests=min_requests,
        cluster={"deployment": app},
    )
    user_repo.workflow(
        [
            {
                "id": "canary",
                "uses": "shipml/shipml/actions/canary@v1",
                "continue-on-error": True,
                "with": {
                    "image": CANARY_IMAGE,
                    "kubeconfig": "${{ secrets.KUBECONFIG }}",
                    "namespace": ns,
                    "prometheus-url": prom.url,
                    "steps": "20,50,100",
                    "interval": str(interval),
                },
            }
        ],
        collect=_collect(),
    )
    weight = ClusterWeight(replica_weight(cluster, ns, app))
    with LoadGenerator(
        stable_server.url, canary_server.url, weight, rows_, rate=rate, batch=batch, max_seconds=150
    ):
        run = user_repo.run(secrets={"KUBECONFIG": inline_kubeconfig(cluster.kubeconfig)}, timeout=300)
    (user_repo.root.parent / "act.log").write_text(run.log)  # the whole log, for a failing assertion
    return run, weight


def test_canary_action_promotes_a_healthy_canary_and_stable_takes_its_image(
    user_repo: UserRepo,
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
    try:
        # p99 needs samples: 100 requests a track per 10 s window (as in the cluster test)
        run, weight = run_canary_action(
            user_repo, k8s_cluster, prometheus_server, stable, canary, rows, ns, app,
            interval=10, min_requests=100, rate=60, batch=5,
        )  # fmt: skip
    finally:
        canary.stop()
    out = run.outputs
    assert out.get("step-outcome") == "success", run.log[-6000:]
    assert out["outcome"] == "promoted" and out["final-weight"] == "100", out
    assert out["status"] == "passed" and out["failed-check"] == ""
    details = run.result("canary")["details"]
    assert [r["weight"] for r in details["log"]] == [20, 50, 100]  # the input's steps, not the file's
    assert details["interval_s"] == 10
    first = {c["name"]: c for c in details["log"][0]["checks"]}
    assert first["requests"]["canary"] >= 100 and first["success-rate"]["canary"] == pytest.approx(1.0)
    # the load generator followed the weights written in the cluster (20 %, 50 %); the last weight
    # it read may be mid-promotion (the stable rolled to the new image, the canary not yet gone),
    # so the end state is read from the cluster once the action is done: all stable
    assert 20 in weight.seen and 50 in weight.seen
    assert replica_weight(k8s_cluster, ns, app)() == 0
    live = get(k8s_cluster, deploy_path(ns, app))
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == CANARY_IMAGE
    assert live["spec"]["replicas"] == 10
    assert get(k8s_cluster, deploy_path(ns, f"{app}-canary")) is None
    assert [r["weight"] for r in json.loads(live["metadata"]["annotations"][LOG])][:2] == [20, 50]
    # the decision log reached the job summary; the kubeconfig (a secret) never reached the log
    assert "shipml canary" in run.summary and "mermaid" in run.summary, run.summary[-3000:]
    assert "client-key-data" not in run.log and "BEGIN" not in run.log
    assert "Traceback" not in run.log


def test_canary_action_rolls_back_an_erroring_canary_and_fails_the_step(
    user_repo: UserRepo,
    k8s_cluster: Cluster,
    prometheus_server: prometheus.Prometheus,
    stable: Server,  # noqa: F811
    models: dict[str, Path],  # noqa: F811
    rows: list[dict[str, Any]],  # noqa: F811
    app_ns: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, app = app_ns
    canary = start(models["stable"], tmp_path, "--inject-error-rate", "0.3")
    try:
        run, weight = run_canary_action(
            user_repo, k8s_cluster, prometheus_server, stable, canary, rows, ns, app,
            interval=5, min_requests=30, rate=40, batch=20,
        )  # fmt: skip
    finally:
        canary.stop()
    out = run.outputs
    assert out.get("step-outcome") == "failure", run.log[-6000:]
    assert out["outcome"] == "rolled-back" and out["final-weight"] == "0", out
    assert out["status"] == "failed" and out["failed-check"] == "success-rate"  # failed = exit 1
    assert "exit status 1" in run.log, run.log[-4000:]
    details = run.result("canary")["details"]
    assert [r["weight"] for r in details["log"]] == [20]  # rolled back at the first analysis
    errors = {c["name"]: c for c in details["log"][0]["checks"]}["error-rate"]
    # 30 % injected, on ~40 canary requests of one step: "clearly elevated, clearly not everything"
    assert errors["outcome"] == "fail" and 0.1 < errors["canary"] < 0.75 and errors["stable"] == 0
    assert 20 in weight.seen
    assert replica_weight(k8s_cluster, ns, app)() == 0
    stable_live = get(k8s_cluster, deploy_path(ns, app))
    assert stable_live is not None
    assert stable_live["spec"]["template"]["spec"]["containers"][0]["image"] == STABLE_IMAGE
    canary_live = get(k8s_cluster, deploy_path(ns, f"{app}-canary")) or {}
    assert STATE not in (canary_live.get("metadata", {}).get("annotations") or {})
    assert "Traceback" not in run.log
