"""``shipml sign`` and the deploy's signature check with the real cosign, a real registry and cluster.

cosign is built from the Go module proxy (tests/support/cosign/build.sh); images are built
by a real dockerd from the debootstrap base and pushed to Debian's docker-registry; the
scans are real trivy runs; the deploy goes to the real local control plane. What shipml
signed is checked with cosign itself, not with shipml's own verification.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun, Registry, run_shipml
from tests.integration.test_deploy_cluster import deploy, live
from tests.support.cosign import Keys, attested, generate_keys, is_signed

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"
SCAN_TYPE = "https://shipml.dev/attestations/scan/v1"


@pytest.fixture(scope="module")
def keys(cosign_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return generate_keys(cosign_bin, tmp_path_factory.mktemp("cosign-keys"), PASSWORD)


def _push(docker_daemon: str, base_image: str, registry: Registry, name: str, work: Path) -> str:
    """An image with a planted requests 2.19.1 (one HIGH finding in the test DB), pushed; its digest ref."""
    import docker

    client = docker.DockerClient(base_url=docker_daemon)
    ctx = work / name
    info = ctx / "pkgs" / "requests-2.19.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n")
    (ctx / "marker").write_text(name)  # a different image (digest) for each name
    (ctx / "Dockerfile").write_text(
        f"FROM {base_image}\nCOPY pkgs /usr/lib/python3/dist-packages\nCOPY marker /marker\n"
    )
    repo = f"{registry.host}/signing/{name}"
    client.images.build(path=str(ctx), tag=f"{repo}:1", rm=True)
    auth = {"username": registry.username, "password": registry.password} if registry.username else None
    digest = None
    for line in client.images.push(repo, tag="1", stream=True, decode=True, auth_config=auth):
        assert "error" not in line, line
        digest = (line.get("aux") or {}).get("Digest") or digest
    client.close()
    assert digest, f"no digest pushed for {repo}"
    return f"{repo}@{digest}"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Path:
    root = tmp_path_factory.mktemp("sign-project")
    (root / "shipml.yaml").write_text(
        "project: signing\n"
        "scan:\n  scanners: [vuln]\n"
        "sign:\n  allow_http_registry: true\n  public_key: " + str(keys.public) + "\n"
    )
    return root


def scan(
    cwd: Path, ref: str, trivy_db: Path, docker_daemon: str, name: str, *, fail_on: str = ""
) -> tuple[Path, Path]:
    """A real ``shipml scan`` of the pushed digest; its result file and SBOM."""
    result, sbom = cwd / f"{name}-scan.json", cwd / f"{name}-sbom.json"
    args = ["scan", ref, "--cache-dir", str(trivy_db), "--sbom", str(sbom), "--result-file", str(result)]
    run = run_shipml(
        *args, *(["--fail-on", fail_on] if fail_on else []), cwd=cwd, env={"DOCKER_HOST": docker_daemon}
    )
    assert run.code in (0, 1), run.output
    return result, sbom


def sign(cwd: Path, keys: Keys, cosign_bin: Path, *args: str, env: dict[str, str] | None = None) -> CliRun:
    return run_shipml(
        "sign",
        *args,
        "--cosign",
        str(cosign_bin),
        "--result-file",
        str(cwd / "sign.json"),
        cwd=cwd,
        env={**keys.env(), **(env or {})},
    )


@pytest.fixture(scope="module")
def pushed(
    docker_daemon: str, base_image: str, registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    work = tmp_path_factory.mktemp("sign-images")
    return lambda name: _push(docker_daemon, base_image, registry, name, work)


def test_sign_attests_sbom_and_scan_verdict_that_cosign_itself_verifies(
    pushed: Callable[[str], str],
    project: Path,
    keys: Keys,
    cosign_bin: Path,
    trivy_db: Path,
    docker_daemon: str,
) -> None:
    ref = pushed("good")
    result, sbom = scan(project, ref, trivy_db, docker_daemon, "good", fail_on="CRITICAL")
    run = sign(project, keys, cosign_bin, ref, "--sbom", str(sbom), "--scan-result", str(result))
    assert run.code == 0, run.output
    data = json.loads((project / "sign.json").read_text())
    details = data["details"]
    assert details["attestations"] == ["sbom", "scan"] and details["verified"] is True
    assert details["cosign_version"] == "v2.6.5" and details["tlog_upload"] is False
    assert data["outputs"]["signature"] == ref.replace("@sha256:", ":sha256-") + ".sig"
    # cosign's own verdicts, with the public key only
    assert is_signed(cosign_bin, keys.public, ref)
    (verdict,) = attested(cosign_bin, keys.public, ref, SCAN_TYPE)
    assert verdict["status"] == "passed" and ref.split("@")[1] in verdict["target"]
    assert verdict["counts"].get("HIGH") == 1  # requests 2.19.1: CVE-2018-18074, as the scan found
    (bom,) = attested(cosign_bin, keys.public, ref, "cyclonedx")
    assert bom["bomFormat"] == "CycloneDX"
    assert "requests" in {c.get("name") for c in bom.get("components", [])}
    assert PASSWORD not in run.output and "BEGIN" not in run.output  # no key material in the log


def test_bad_inputs_are_refused_before_anything_is_signed(
    pushed: Callable[[str], str],
    project: Path,
    keys: Keys,
    cosign_bin: Path,
    trivy_db: Path,
    docker_daemon: str,
) -> None:
    ref = pushed("refused")
    other = pushed("other")
    other_result, _ = scan(project, other, trivy_db, docker_daemon, "other")
    cases: list[tuple[list[str], dict[str, str], int, str]] = [
        ([ref.split("@")[0] + ":1"], {}, 2, "is a tag"),
        ([ref], {"COSIGN_PASSWORD": "wrong"}, 2, "could not decrypt the private key"),
        ([ref], {"COSIGN_PRIVATE_KEY": ""}, 2, "COSIGN_PRIVATE_KEY is empty or not set"),
        ([ref, "--scan-result", str(other_result)], {}, 2, f"not of {ref}"),
        ([ref, "--sbom", str(other_result)], {}, 2, "is not a CycloneDX document"),
        (["127.0.0.1:1/signing/none@sha256:" + "0" * 64], {}, 3, "cannot reach the registry"),
        ([ref, "--key-ref", str(project / "missing.key")], {}, 2, "missing.key not found"),
        ([ref.split("@")[0] + "@sha256:" + "e" * 64], {}, 2, "the registry has no such image"),
        ([ref], {"COSIGN_PRIVATE_KEY": keys.public.read_text()}, 2, "is not a private key"),
        ([ref, "--public-key", str(keys.private)], {}, 2, "is not a public key"),
    ]
    for args, env, code, words in cases:
        run = sign(project, keys, cosign_bin, *args, env=env)
        assert run.code == code and words in run.stderr, (args, run.output)
        assert "Traceback" not in run.output
    assert not is_signed(cosign_bin, keys.public, ref)  # nothing of it reached the registry
    missing = run_shipml("sign", ref, cwd=project, env={**keys.env(), "PATH": "/usr/bin:/bin"})
    assert missing.code == 3 and "go install github.com/sigstore/cosign" in missing.stderr, missing.output


def test_signing_into_a_registry_that_needs_a_login(
    docker_daemon: str,
    base_image: str,
    registry_auth: Registry,
    project: Path,
    keys: Keys,
    cosign_bin: Path,
    tmp_path: Path,
) -> None:
    ref = _push(docker_daemon, base_image, registry_auth, "private", tmp_path)
    refused = sign(project, keys, cosign_bin, ref)
    assert refused.code == 3 and "the registry refused cosign" in refused.stderr, refused.output
    login = {
        "SHIPML_REGISTRY_USERNAME": str(registry_auth.username),
        "SHIPML_REGISTRY_PASSWORD": str(registry_auth.password),
    }
    run = sign(project, keys, cosign_bin, ref, env=login)
    assert run.code == 0, run.output
    assert str(registry_auth.password) not in run.output


def test_deploy_refuses_unsigned_and_failed_scans_and_deploys_the_signed_passing_digest(
    pushed: Callable[[str], str],
    project: Path,
    keys: Keys,
    cosign_bin: Path,
    trivy_db: Path,
    docker_daemon: str,
    k8s_cluster: Any,
    tmp_path: Path,
) -> None:
    passing, failing, unsigned = pushed("deploy-ok"), pushed("deploy-failed-scan"), pushed("deploy-unsigned")
    result, _ = scan(project, passing, trivy_db, docker_daemon, "deploy-ok", fail_on="CRITICAL")
    assert sign(project, keys, cosign_bin, passing, "--scan-result", str(result)).code == 0
    result, _ = scan(project, failing, trivy_db, docker_daemon, "deploy-failed")  # HIGH fails by default
    assert json.loads(result.read_text())["status"] == "failed"
    assert sign(project, keys, cosign_bin, failing, "--scan-result", str(result)).code == 0
    (tmp_path / "shipml.yaml").write_text(
        "deploy:\n  name: srv\n  replicas: 2\n  timeout: 60\n"
        f"  verify_key: {keys.public}\n  require_attestations: [scan]\n"
        "  environments:\n    staging:\n      namespace: placeholder\n"
        "sign:\n  allow_http_registry: true\n"
    )
    env = {"PATH": f"{cosign_bin.parent}:{os.environ['PATH']}"}
    ns = k8s_cluster.new_namespace("signed")
    for ref, words in [
        (unsigned, "carries no signature that deploy.verify_key verifies"),
        (failing, "the attested scan of"),
    ]:
        run = deploy(k8s_cluster, tmp_path, ns, "--image", ref, env=env)
        assert run.code == 1 and words in run.stderr, run.output
        code, _ = k8s_cluster.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/srv")
        assert code == 404  # refused before the cluster was touched
    run = deploy(k8s_cluster, tmp_path, ns, "--image", passing, env=env)
    assert run.code == 0, run.output
    assert "signature verified; attested: scan" in run.output
    obj = live(k8s_cluster, ns)
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == passing


def test_doctor_requires_cosign_when_asked(cosign_bin: Path, tmp_path: Path) -> None:
    found = run_shipml(
        "doctor", "--require", "cosign", cwd=tmp_path, env={"PATH": f"{cosign_bin.parent}:/usr/bin:/bin"}
    )
    assert found.code == 0 and "cosign" in found.stdout and "v2.6.5" in found.stdout, found.output
    missing = run_shipml("doctor", "--require", "cosign", cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert missing.code == 3 and "required service cosign is not available" in missing.stderr, missing.output
