"""The deploy capability's offline logic: digests, manifests, schema errors, rollout states, errors.

Everything here runs before (or without) a cluster; what needs the API server is in
tests/integration/test_deploy_*.py against the real control plane.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shipml.contracts.deploy import DeployDetails, ObjectChange
from shipml.deploy import audit, images, manifests, validation
from shipml.errors import ExitCode, InputDataError, PolicyFailed, UsageError
from shipml.kube_api import errors as kerrors
from shipml.kube_api.apply import comparable, diff
from shipml.kube_api.rollout import state
from shipml.report.sections import deploy as section
from shipml.results import Clock, Outcome, build_result
from tests.conftest import run_shipml

DIGEST = "sha256:" + "ab" * 32
IMAGE = f"registry.local:5000/team/model@{DIGEST}"


def default(**kw: Any) -> list[manifests.Manifest]:
    args: dict[str, Any] = dict(
        port=8080,
        replicas=3,
        cpu="250m",
        memory="512Mi",
        progress_deadline=60,
        hpa_max=None,
        pdb=False,
        network_policy=False,
    )
    args.update(kw)
    return manifests.default_set("srv", IMAGE, **args)


# -- images --------------------------------------------------------------------------------------


def test_digest_reference_is_split_and_a_tag_is_refused_unless_allowed() -> None:
    ref = images.require_digest(IMAGE, "--image", allow_tags=False)
    assert (ref.repository, ref.tag, ref.digest) == ("registry.local:5000/team/model", None, DIGEST)
    with pytest.raises(UsageError) as caught:
        images.require_digest("registry.local:5000/team/model:v3", "--image", allow_tags=False)
    assert "is a tag, not a digest" in str(caught.value) and "allow_tags" in str(caught.value)
    assert images.require_digest("model:v3", "x", allow_tags=True).tag == "v3"
    with pytest.raises(UsageError, match="malformed digest"):
        images.parse("model@sha256:abc")


def test_scan_result_must_name_this_digest_and_have_passed(tmp_path: Path) -> None:
    ref = images.parse(IMAGE)

    def scan(status: str, target: str) -> Path:
        path = tmp_path / f"{status}-{len(target)}.json"
        path.write_text(
            json.dumps(
                {
                    "command": "scan",
                    "status": status,
                    "summary": "2 HIGH",
                    "details": {"target": target},
                    "started_at": "x",
                    "duration_s": 1,
                }
            )
        )
        return path

    assert images.check_scanned(ref, scan("passed", IMAGE)) == "2 HIGH"
    with pytest.raises(PolicyFailed, match="was not scanned"):
        images.check_scanned(ref, scan("passed", "other@sha256:" + "cd" * 32))
    with pytest.raises(PolicyFailed, match="did not pass"):
        images.check_scanned(ref, scan("failed", IMAGE))


# -- manifests -----------------------------------------------------------------------------------


def test_default_set_is_hardened_and_validates_against_the_1_37_schemas() -> None:
    objects = default(hpa_max=6, pdb=True, network_policy=True)
    assert [m.kind for m in objects] == [
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    ]
    spec = objects[0].obj["spec"]
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert (
        container["securityContext"]["readOnlyRootFilesystem"] is True
        and pod["securityContext"]["runAsNonRoot"]
    )
    assert validation.validate(objects, "1.37.0") == []


def test_schema_error_names_file_object_and_field(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec: {ports: [{port: 80}]}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
        "  selector: {matchLabels: {a: b}}\n"
        "  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n"
        f"      - name: c\n        image: {IMAGE}\n        readinesProbe: {{}}\n"
    )
    loaded = manifests.load(tmp_path)
    with pytest.raises(InputDataError) as caught:
        validation.validate(loaded, "1.37.0")
    text = str(caught.value)
    assert f"{tmp_path / 'app.yaml'}#1 Deployment/api" in text
    assert "spec.template.spec.containers[0].readinesProbe: unknown field" in text


def test_kustomization_subset_and_refusal_of_the_rest(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
        "  selector: {matchLabels: {a: b}}\n"
        "  template:\n    metadata: {labels: {a: b}}\n"
        "    spec: {containers: [{name: c, image: 'team/model:old'}]}\n"
    )
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [base.yaml]\ncommonLabels: {tier: ml}\n"
        f"images: [{{name: team/model, digest: '{DIGEST}'}}]\n"
    )
    (obj,) = [m.obj for m in manifests.load(tmp_path)]
    assert obj["metadata"]["labels"]["tier"] == "ml"
    assert obj["spec"]["template"]["metadata"]["labels"]["tier"] == "ml"
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == f"team/model@{DIGEST}"
    (tmp_path / "kustomization.yaml").write_text("resources: [base.yaml]\npatches: []\n")
    with pytest.raises(InputDataError, match="field 'patches' is not supported"):
        manifests.load(tmp_path)


def test_image_goes_to_the_matching_container_and_namespace_mismatch_is_refused() -> None:
    objects = default()
    placed = manifests.set_image(objects, images.parse(f"registry.local:5000/team/model@sha256:{'cd' * 32}"))
    assert placed == ["Deployment/srv:server"]
    with pytest.raises(UsageError, match="matches no container"):
        two = default()
        two[0].obj["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "x/y:1"})
        manifests.set_image(two, images.parse(f"other/repo@{DIGEST}"))
    objects[1].obj["metadata"]["namespace"] = "elsewhere"
    with pytest.raises(UsageError, match=r"metadata\.namespace is 'elsewhere'"):
        manifests.prepare(objects, "prod", replicas=None, env={}, labels={})
    objects[1].obj["metadata"].pop("namespace")
    ready = manifests.prepare(
        objects, "prod", replicas=5, env={"A": "1"}, labels={"shipml.dev/model-version": "7"}
    )
    spec = ready[0].obj["spec"]
    assert spec["replicas"] == 5
    assert {"name": "A", "value": "1"} in spec["template"]["spec"]["containers"][0]["env"]
    assert spec["template"]["metadata"]["labels"]["shipml.dev/model-version"] == "7"
    assert objects[0].obj["spec"]["replicas"] == 3, "prepare copies, never edits in place"


# -- audit marker --------------------------------------------------------------------------------


def test_state_marker_and_last_applied_round_trip() -> None:
    body = default()[0].obj
    marked = audit.with_state(body, audit.IN_PROGRESS, "abc123")
    notes = marked["metadata"]["annotations"]
    assert notes[audit.STATE] == "in-progress" and notes[audit.PREVIOUS_HASH] == "abc123"
    intent = audit.last_applied(marked)
    assert intent is not None and audit.STATE not in intent["metadata"]["annotations"]
    assert intent["spec"] == body["spec"]
    again = audit.with_state(intent, audit.DONE)
    assert again["metadata"]["annotations"][audit.STATE] == "done"
    assert audit.last_applied(again) == intent, "re-marking keeps the same intent"


# -- rollout status semantics --------------------------------------------------------------------


def dep(generation: int = 2, observed: int = 2, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "srv", "generation": generation},
        "spec": {"replicas": 3},
        "status": {"observedGeneration": observed, **status},
    }


@pytest.mark.parametrize(
    ("deployment", "done", "failed", "message"),
    [
        (dep(3, 2), False, False, "Waiting for deployment spec update to be observed"),
        (dep(updatedReplicas=2, replicas=3), False, False, "2/3 pods updated"),
        (dep(updatedReplicas=3, replicas=4), False, False, "1 old replicas are pending termination"),
        (dep(updatedReplicas=3, replicas=3, availableReplicas=1), False, False, "1/3 updated pods available"),
        (
            dep(updatedReplicas=3, replicas=3, availableReplicas=3),
            True,
            False,
            'deployment "srv" successfully rolled out',
        ),
        (
            dep(
                updatedReplicas=1,
                replicas=4,
                conditions=[{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}],
            ),
            False,
            True,
            'deployment "srv" exceeded its progress deadline',
        ),
    ],
)
def test_rollout_state_follows_kubectl(
    deployment: dict[str, Any], done: bool, failed: bool, message: str
) -> None:
    got = state(deployment)
    assert (got.done, got.failed, got.message) == (done, failed, message)


# -- error translation ---------------------------------------------------------------------------


class FakeApiException(Exception):
    """Shape of kubernetes.client.ApiException: status and the Status body the server sent."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body, self.reason = status, json.dumps(body), "x"


def test_conflict_names_field_and_manager_and_forbidden_names_verb_resource_namespace() -> None:
    call = kerrors.Call("patch", "deployments.apps", "prod", "srv")
    conflict = FakeApiException(
        409,
        {
            "message": 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: '
            ".spec.replicas",
            "details": {
                "causes": [
                    {
                        "reason": "FieldManagerConflict",
                        "message": 'conflict with "kubectl-edit" using apps/v1',
                        "field": ".spec.replicas",
                    }
                ]
            },
        },
    )
    err = kerrors.translate(conflict, call, "https://k")
    assert err.exit_code == ExitCode.POLICY_FAILED
    assert ".spec.replicas (owned by 'kubectl-edit')" in str(err)
    forbidden = kerrors.translate(FakeApiException(403, {"message": "forbidden"}), call, "https://k")
    assert forbidden.exit_code == ExitCode.INFRASTRUCTURE
    assert "RBAC forbids patch on deployments.apps in namespace prod" in str(forbidden)
    missing = kerrors.translate(
        FakeApiException(404, {"message": 'namespaces "prod" not found'}), call, "https://k"
    )
    assert missing.exit_code == ExitCode.BAD_INPUT and "namespace prod does not exist" in str(missing)


def test_diff_lists_changed_leaves_only() -> None:
    live = {
        "metadata": {"name": "a", "resourceVersion": "1"},
        "spec": {"replicas": 2, "x": [1, 2]},
        "status": {},
    }
    new = {"metadata": {"name": "a", "resourceVersion": "2"}, "spec": {"replicas": 3, "x": [1, 2]}}
    assert diff(comparable(live), comparable(new)) == [(".spec.replicas", 2, 3)]


# -- report section ------------------------------------------------------------------------------


def test_section_leads_a_failure_with_its_reason_and_what_is_live_again() -> None:
    details = DeployDetails(
        environment="production",
        namespace="prod",
        action="deploy",
        status="failed",
        image=IMAGE,
        live_image="team/model@sha256:" + "11" * 32,
        rolled_back=True,
        reason="the rollout timed out",
        approved_by="release-manager",
        objects=[ObjectChange(kind="Deployment", name="srv", change="configured")],
    )
    result = build_result(
        "deploy", Clock.start(), Outcome("failed", "x", details=details.model_dump(mode="json"))
    )
    text = section.render(result)
    assert text.startswith("### shipml deploy: ❌ failed, rolled back")
    assert "the rollout timed out" in text and "11111111" in text and "release-manager" in text


# -- bad input through the CLI (no cluster needed) -----------------------------------------------


def test_missing_kubeconfig_and_tag_are_exit_2_with_one_line(tmp_path: Path) -> None:
    env = {"KUBECONFIG": str(tmp_path / "nope"), "SHIPML_KUBECONFIG_DATA": "", "HOME": str(tmp_path)}
    run = run_shipml("deploy", "--environment", "staging", "--image", IMAGE, cwd=tmp_path, env=env)
    assert run.code == 2, run.stderr
    assert "no kubeconfig" in run.stderr and "Traceback" not in run.stderr
    tagged = run_shipml(
        "deploy", "--environment", "staging", "--image", "team/model:latest", cwd=tmp_path, env=env
    )
    assert tagged.code == 2 and "is a tag, not a digest" in tagged.stderr and "Traceback" not in tagged.stderr


def test_missing_context_is_exit_2_naming_the_contexts(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: kind-a, context: {cluster: c, user: u}}]\n"
        "current-context: kind-a\n"
    )
    run = run_shipml(
        "deploy", "--image", IMAGE, "--kubeconfig", str(config), "--context", "prod", cwd=tmp_path
    )
    assert run.code == 2 and "context 'prod' is not in kubeconfig" in run.stderr and "kind-a" in run.stderr
    unreachable = run_shipml("deploy", "--image", IMAGE, "--kubeconfig", str(config), cwd=tmp_path)
    assert unreachable.code == 3, unreachable.stderr
    assert "unreachable" in unreachable.stderr and "Traceback" not in unreachable.stderr
