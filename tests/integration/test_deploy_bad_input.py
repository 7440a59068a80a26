"""``shipml deploy`` refusing bad input against the real control plane: exit code and one line.

Schema errors and tags are refused before the cluster is touched; RBAC is a real
ServiceAccount with no rights (token from the TokenRequest API); the field-manager
conflict is a real ``kubectl scale`` taking ``.spec.replicas`` from shipml.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.integration.test_deploy_cluster import GOOD_A, GOOD_B, GOOD_C, deploy, live, project


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "error" in line]
    assert "Traceback" not in stderr and lines, stderr
    return lines[-1]


def test_schema_error_names_file_object_field_and_nothing_is_applied(
    k8s_cluster: Any, tmp_path: Path
) -> None:
    ns = k8s_cluster.new_namespace("bad")
    manifests = tmp_path / "k8s"
    manifests.mkdir()
    (manifests / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: three\n"
        "  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n"
        f"    spec: {{containers: [{{name: c, image: '{GOOD_A}'}}]}}\n"
    )
    run = deploy(k8s_cluster, project(tmp_path), ns, "--image", GOOD_B, "--manifests", str(manifests))
    assert run.code == 2
    line = one_line(run.stderr)
    assert "app.yaml#0 Deployment/api: spec.replicas" in line
    code, _ = k8s_cluster.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/api")
    assert code == 404


def test_tag_is_refused_unless_allowed(k8s_cluster: Any, tmp_path: Path) -> None:
    ns = k8s_cluster.new_namespace("bad")
    run = deploy(k8s_cluster, project(tmp_path), ns, "--image", "registry.local:5000/team/model:v1")
    assert run.code == 2 and "is a tag, not a digest" in one_line(run.stderr)
    allowed = deploy(
        k8s_cluster, tmp_path, ns, "--image", "registry.local:5000/team/model:v1", "--allow-tags"
    )
    assert allowed.code == 0, allowed.stderr


def test_missing_namespace_is_exit_2_unless_creation_is_allowed(k8s_cluster: Any, tmp_path: Path) -> None:
    ns = "absent-" + k8s_cluster.new_namespace("x").split("-")[-1]
    run = deploy(k8s_cluster, project(tmp_path), ns, "--image", GOOD_A)
    assert run.code == 2 and f"namespace {ns} does not exist" in one_line(run.stderr)
    created = deploy(k8s_cluster, tmp_path, ns, "--image", GOOD_A, "--create-namespace")
    assert created.code == 0, created.stderr
    assert live(k8s_cluster, ns)["status"]["readyReplicas"] == 3


def test_rbac_forbidden_is_exit_3_naming_verb_resource_and_namespace(
    k8s_cluster: Any, tmp_path: Path
) -> None:
    ns = k8s_cluster.new_namespace("rbac")
    code, _ = k8s_cluster.request(
        "POST",
        f"/api/v1/namespaces/{ns}/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}},
    )
    assert code == 201
    code, answer = k8s_cluster.request(
        "POST",
        f"/api/v1/namespaces/{ns}/serviceaccounts/nobody/token",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600},
        },
    )
    assert code == 201, answer
    kubeconfig = tmp_path / "nobody.kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: c, cluster: {{server: '{k8s_cluster.api_url}', "
        f"certificate-authority: '{k8s_cluster.pki / 'ca.crt'}'}}}}]\n"
        f"users: [{{name: nobody, user: {{token: '{answer['status']['token']}'}}}}]\n"
        "contexts: [{name: nobody, context: {cluster: c, user: nobody}}]\ncurrent-context: nobody\n"
    )
    cwd = project(tmp_path)
    run = deploy(k8s_cluster, cwd, ns, "--image", GOOD_A, "--kubeconfig", str(kubeconfig))
    assert run.code == 3, run.stderr
    line = one_line(run.stderr)
    assert "RBAC forbids get on deployments.apps in namespace " + ns in line
    assert "verbs [get]" in line


def kubectl(cluster: Any, ns: str, *args: str) -> None:
    """A write by another actor, through the real kubectl with the cluster's admin kubeconfig."""
    argv = [str(cluster.kubectl), "--kubeconfig", str(cluster.kubeconfig), "-n", ns, *args]
    subprocess.run(argv, check=True, capture_output=True)


def test_field_manager_conflict_is_exit_1_naming_field_and_owner(k8s_cluster: Any, tmp_path: Path) -> None:
    ns = k8s_cluster.new_namespace("own")
    cwd = project(tmp_path)
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_A).code == 0
    kubectl(k8s_cluster, ns, "scale", "deployment/srv", "--replicas=5")
    run = deploy(k8s_cluster, cwd, ns, "--image", GOOD_B)
    assert run.code == 1, run.stderr
    line = one_line(run.stderr)
    assert ".spec.replicas (owned by 'kubectl')" in line
    obj = live(k8s_cluster, ns)
    assert (
        obj["spec"]["replicas"] == 5 and obj["spec"]["template"]["spec"]["containers"][0]["image"] == GOOD_A
    )


def test_fields_a_promoted_canary_wrote_are_taken_back_by_the_next_deploy(
    k8s_cluster: Any, tmp_path: Path
) -> None:
    """A canary promotion writes stable's image and replicas as ``shipml-canary`` (a merge patch, the
    write ``shipml canary`` makes); those fields are shipml's own, so the next deploy applies over
    them instead of reporting a conflict. Any other manager still conflicts (the test above)."""
    ns = k8s_cluster.new_namespace("own")
    cwd = project(tmp_path)
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_A).code == 0
    containers = live(k8s_cluster, ns)["spec"]["template"]["spec"]["containers"]
    containers[0]["image"] = GOOD_B  # a merge patch replaces the list: the whole list, as the canary sends
    patch = {"spec": {"replicas": 4, "template": {"spec": {"containers": containers}}}}
    kubectl(
        k8s_cluster, ns, "patch", "deployment/srv", "--type", "merge",
        "--field-manager", "shipml-canary", "-p", json.dumps(patch),
    )  # fmt: skip
    owners = {m["manager"] for m in live(k8s_cluster, ns)["metadata"]["managedFields"]}
    assert "shipml-canary" in owners  # the promotion's write really took the fields
    run = deploy(k8s_cluster, cwd, ns, "--image", GOOD_C)
    assert run.code == 0, run.stderr
    obj = live(k8s_cluster, ns)
    assert (
        obj["spec"]["template"]["spec"]["containers"][0]["image"] == GOOD_C and obj["spec"]["replicas"] == 3
    )
    canary_fields = [m for m in obj["metadata"]["managedFields"] if m["manager"] == "shipml-canary"]
    assert "f:replicas" not in json.dumps(canary_fields) and "f:image" not in json.dumps(canary_fields)


def test_unreachable_cluster_is_exit_3(k8s_cluster: Any, tmp_path: Path) -> None:
    dead = tmp_path / "dead.kubeconfig"
    dead.write_text(k8s_cluster.kubeconfig.read_text().replace(k8s_cluster.api_url, "https://127.0.0.1:9"))
    run = deploy(k8s_cluster, project(tmp_path), "default", "--image", GOOD_A, "--kubeconfig", str(dead))
    assert run.code == 3 and "unreachable" in one_line(run.stderr)


def test_missing_kubeconfig_or_context_is_exit_2_before_any_request(k8s_cluster: Any, tmp_path: Path) -> None:
    ns = k8s_cluster.new_namespace("cfg")
    cwd = project(tmp_path)
    gone = deploy(k8s_cluster, cwd, ns, "--image", GOOD_A, "--kubeconfig", str(tmp_path / "nope.kubeconfig"))
    assert gone.code == 2 and "nope.kubeconfig not found" in one_line(gone.stderr)
    wrong = deploy(k8s_cluster, cwd, ns, "--image", GOOD_A, "--context", "prod-eu")
    assert wrong.code == 2, wrong.stderr
    line = one_line(wrong.stderr)
    assert "context 'prod-eu' is not in kubeconfig" in line and "shipml-test" in line
    code, _ = k8s_cluster.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/srv")
    assert code == 404
