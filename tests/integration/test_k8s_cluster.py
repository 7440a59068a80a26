"""The local control plane does what the deploy tests rely on, through the official client.

Rollouts, ReplicaSet revisions, ``ProgressDeadlineExceeded`` and server-side apply are the
real apiserver's and controllers' behaviour; kwok only decides pod readiness (the
never-ready rule in tests/support/k8s/cluster.py).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client, config, dynamic
from kubernetes.client.exceptions import ApiException

from tests.support.k8s import cluster as kube
from tests.support.k8s.stages import NEVER_READY_KEY

pytestmark = pytest.mark.integration

ROLLOUT_TIMEOUT = 90.0  # FACTS: a restarted cluster's first Deployment once took 16.6 s
GOOD = "127.0.0.1:5000/model-server@sha256:" + "1" * 64
GOOD_V2 = "127.0.0.1:5000/model-server@sha256:" + "2" * 64
BROKEN = "127.0.0.1:5000/never-ready@sha256:" + "3" * 64


@pytest.fixture(scope="module")
def api(k8s_cluster: kube.Cluster) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(k8s_cluster.kubeconfig))
    try:
        yield api_client
    finally:
        api_client.close()


@pytest.fixture
def namespace(k8s_cluster: kube.Cluster) -> str:
    return k8s_cluster.new_namespace("k8s")


def deployment(name: str, image: str, replicas: int = 3, deadline: int = 15) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "progressDeadlineSeconds": deadline,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "server", "image": image}]},
            },
        },
    }


def wait_for(desc: str, probe: Callable[[], Any], timeout: float = ROLLOUT_TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {desc}; last: {last!r}")


def condition(dep: client.V1Deployment, kind: str) -> client.V1DeploymentCondition | None:
    return next((c for c in dep.status.conditions or [] if c.type == kind), None)


def rolled_out(apps: client.AppsV1Api, name: str, ns: str, replicas: int = 3) -> Callable[[], bool]:
    """`kubectl rollout status` semantics: observed, all updated, all available."""

    def probe() -> bool:
        dep = apps.read_namespaced_deployment_status(name, ns)
        st = dep.status
        return bool(
            (st.observed_generation or 0) >= dep.metadata.generation
            and st.updated_replicas == replicas
            and st.ready_replicas == replicas
            and st.available_replicas == replicas
            and (st.replicas or 0) == replicas
        )

    return probe


def replica_sets(apps: client.AppsV1Api, ns: str, name: str) -> dict[str, client.V1ReplicaSet]:
    """The Deployment's ReplicaSets by revision."""
    found = apps.list_namespaced_replica_set(ns, label_selector=f"app={name}").items
    return {rs.metadata.annotations["deployment.kubernetes.io/revision"]: rs for rs in found}


def test_three_replica_deployment_becomes_available(api: client.ApiClient, namespace: str) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(namespace, deployment("web", GOOD))
    wait_for("3/3 available", rolled_out(apps, "web", namespace))
    available = condition(apps.read_namespaced_deployment_status("web", namespace), "Available")
    assert available is not None and available.status == "True"
    pods = core.list_namespaced_pod(namespace, label_selector="app=web").items
    assert len(pods) == 3
    assert {p.spec.node_name for p in pods} == {kube.NODE_NAME}  # the scheduler placed them
    assert all(p.status.phase == "Running" and p.status.pod_ip for p in pods)


def test_image_update_rolls_a_new_replica_set(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(namespace, deployment("web", GOOD))
    wait_for("first rollout", rolled_out(apps, "web", namespace))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "server", "image": GOOD_V2}]}}}}
    apps.patch_namespaced_deployment("web", namespace, patch)
    wait_for("second rollout", rolled_out(apps, "web", namespace))
    sets = replica_sets(apps, namespace, "web")
    assert sorted(sets) == ["1", "2"]
    assert sets["2"].spec.template.spec.containers[0].image == GOOD_V2
    assert sets["2"].status.ready_replicas == 3
    assert sets["1"].spec.replicas == 0


def test_never_ready_rollout_hits_deadline_and_old_template_scales_back(
    api: client.ApiClient, namespace: str
) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(namespace, deployment("web", GOOD, deadline=15))
    wait_for("first rollout", rolled_out(apps, "web", namespace))
    old_template = apps.read_namespaced_deployment("web", namespace).spec.template

    patch = {"spec": {"template": {"spec": {"containers": [{"name": "server", "image": BROKEN}]}}}}
    apps.patch_namespaced_deployment("web", namespace, patch)

    def deadline_exceeded() -> client.V1DeploymentCondition | None:
        progressing = condition(apps.read_namespaced_deployment_status("web", namespace), "Progressing")
        if progressing and progressing.status == "False" and progressing.reason == "ProgressDeadlineExceeded":
            return progressing
        return None

    started = time.monotonic()
    wait_for("ProgressDeadlineExceeded", deadline_exceeded)
    assert time.monotonic() - started >= 10  # the deadline (15 s) ran, not an instant failure
    broken = [
        p
        for p in core.list_namespaced_pod(namespace, label_selector="app=web").items
        if p.spec.containers[0].image == BROKEN
    ]
    assert broken, "the surge pod of the broken revision exists"
    for pod in broken:  # Running but never Ready: what a failing readiness probe looks like
        ready = next(c for c in pod.status.conditions if c.type == "Ready")
        assert pod.status.phase == "Running" and ready.status == "False"
    # maxUnavailable 0: the old revision kept serving all along
    assert apps.read_namespaced_deployment_status("web", namespace).status.available_replicas == 3

    # What `kubectl rollout undo` does: put the previous revision's pod template back.
    apps.patch_namespaced_deployment(
        "web",
        namespace,
        [{"op": "replace", "path": "/spec/template", "value": api.sanitize_for_serialization(old_template)}],
    )
    wait_for("rollback rollout", rolled_out(apps, "web", namespace))
    sets = replica_sets(apps, namespace, "web")
    live = {rev: rs for rev, rs in sets.items() if rs.spec.replicas}
    assert len(sets) == 2 and len(live) == 1
    ((revision, restored),) = live.items()
    assert restored.spec.template.spec.containers[0].image == GOOD
    assert revision == "3"  # the old ReplicaSet itself, re-labelled with the next revision
    assert restored.status.ready_replicas == 3
    progressing = condition(apps.read_namespaced_deployment_status("web", namespace), "Progressing")
    assert progressing is not None and progressing.status == "True"


@pytest.mark.parametrize(
    ("image", "labels", "annotations", "ready"),
    [
        (GOOD, {}, {}, "True"),
        (BROKEN, {}, {}, "False"),
        (GOOD, {NEVER_READY_KEY: "true"}, {}, "False"),
        (GOOD, {}, {NEVER_READY_KEY: "true"}, "False"),
        (GOOD, {NEVER_READY_KEY: "false"}, {}, "True"),
    ],
    ids=["plain", "image", "label", "annotation", "label-false"],
)
def test_never_ready_rule(
    api: client.ApiClient,
    k8s_cluster: kube.Cluster,
    image: str,
    labels: dict[str, str],
    annotations: dict[str, str],
    ready: str,
) -> None:
    core = client.CoreV1Api(api)
    ns = k8s_cluster.new_namespace("rule")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": labels, "annotations": annotations},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }
    core.create_namespaced_pod(ns, pod)

    def running() -> client.V1Pod | None:
        live = core.read_namespaced_pod("p", ns)
        return live if live.status.phase == "Running" else None

    live = wait_for("pod Running", running)
    assert next(c for c in live.status.conditions if c.type == "Ready").status == ready
    assert live.status.container_statuses[0].ready is (ready == "True")


def test_server_side_apply_records_field_manager_and_reports_conflicts(
    api: client.ApiClient, namespace: str
) -> None:
    dyn = dynamic.DynamicClient(api)
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    body = deployment("applied", GOOD)
    applied = deployments.server_side_apply(body=body, namespace=namespace, field_manager="shipml")
    managers = {(m.manager, m.operation) for m in applied.metadata.managedFields}
    assert ("shipml", "Apply") in managers
    wait_for("applied rollout", rolled_out(client.AppsV1Api(api), "applied", namespace))

    # Another manager claiming a field shipml owns is refused, naming field and owner.
    other = copy.deepcopy(body)
    other["spec"]["replicas"] = 5
    with pytest.raises(ApiException) as conflict:
        deployments.server_side_apply(body=other, namespace=namespace, field_manager="someone-else")
    assert conflict.value.status == 409
    assert "spec.replicas" in str(conflict.value.body) and "shipml" in str(conflict.value.body)

    # A dry run (dryRun=All) validates server-side and changes nothing.
    changed = copy.deepcopy(body)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = GOOD_V2
    preview = deployments.server_side_apply(
        body=changed, namespace=namespace, field_manager="shipml", dry_run="All"
    )
    assert preview.spec.template.spec.containers[0].image == GOOD_V2
    live = deployments.get(name="applied", namespace=namespace)
    assert live.spec.template.spec.containers[0].image == GOOD
    assert live.metadata.generation == applied.metadata.generation


def test_start_reuses_the_running_cluster(k8s_cluster: kube.Cluster) -> None:
    pids = {p: (k8s_cluster.state_dir / "pids" / f"{p}.pid").read_text() for p in kube.PROCESSES}
    again = kube.start(k8s_cluster.state_dir)
    assert again.api_url == k8s_cluster.api_url
    assert pids == {p: (k8s_cluster.state_dir / "pids" / f"{p}.pid").read_text() for p in kube.PROCESSES}
    rss = kube.resident_kib(k8s_cluster.state_dir)
    assert set(rss) == set(kube.PROCESSES) and all(kib > 0 for kib in rss.values())
