"""build-image, scan-image, then sign-image as users run them (`shipml/shipml/actions/X@v1`), under act.

The job talks to the session's real dockerd (DOCKER_HOST passed through the job's
env) and real registry on loopback; the scan runs the real trivy against the
generated vulnerability DB, on the digest the build step output; the real cosign signs
that digest with a key from the job's secrets, and cosign itself verifies the result.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Registry
from tests.support.act import UserRepo
from tests.support.cosign import attested, generate_keys, is_signed

SEVERITIES = ("critical", "high", "medium", "low", "unknown")
COLLECT = (
    {f"build-{n}": f"${{{{ steps.build.outputs.{n} }}}}" for n in ("status", "digest", "image", "tags")}
    | {f"scan-{n}": f"${{{{ steps.scan.outputs.{n} }}}}" for n in (*SEVERITIES, "blocking", "new-critical")}
    | {f"scan-{n}": f"${{{{ steps.scan.outputs.{n} }}}}" for n in ("status", "target", "sarif", "sbom")}
    | {
        f"sign-{n}": f"${{{{ steps.sign.outputs.{n} }}}}"
        for n in ("status", "image", "signature", "attestations")
    }
    | {"build-outcome": "${{ steps.build.outcome }}", "scan-outcome": "${{ steps.scan.outcome }}"}
    | {"sign-outcome": "${{ steps.sign.outcome }}"}
)


def _user_project(user_repo: UserRepo, base_image: str) -> None:
    """A user's own Dockerfile: the base plus a Python package with a known HIGH advisory."""
    user_repo.write(
        "app/pkgs/requests-2.19.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n",
    )
    user_repo.write(
        "app/Dockerfile",
        f"FROM {base_image}\nCOPY pkgs /usr/lib/python3/dist-packages\nUSER 10001\n",
    )
    user_repo.write(
        "shipml.yaml",
        "project: e2e-image\n"
        "image:\n  dockerfile: Dockerfile\n  context: app\n  repository: acme/e2e-app\n"
        "scan:\n  scanners: [vuln, secret, misconfig]\n",
    )


def test_build_image_then_scan_image_by_digest_then_sign_image(
    user_repo: UserRepo,
    docker_daemon: str,
    base_image: str,
    registry: Registry,
    trivy_db: Path,
    cosign_bin: Path,
    tmp_path: Path,
) -> None:
    _user_project(user_repo, base_image)
    keys = generate_keys(cosign_bin, tmp_path / "keys", "e2e password")
    user_repo.write("cosign.pub", keys.public.read_text())  # the public half lives in the repository
    user_repo.workflow(
        [
            {
                "id": "build",
                "uses": "shipml/shipml/actions/build-image@v1",
                "with": {"config": "shipml.yaml", "registry": registry.host, "tags": "e2e,latest"},
            },
            {
                "id": "scan",
                "uses": "shipml/shipml/actions/scan-image@v1",
                "with": {
                    "config": "shipml.yaml",
                    "image": "${{ steps.build.outputs.digest }}",
                    "require-digest": "true",
                    "fail-on": "CRITICAL",
                    "cache-dir": str(trivy_db),
                },
            },
            {
                "id": "sign",
                "uses": "shipml/shipml/actions/sign-image@v1",
                "with": {
                    "config": "shipml.yaml",
                    "image": "${{ steps.build.outputs.digest }}",
                    "sbom": "${{ steps.scan.outputs.sbom }}",
                    "scan-result": "${{ steps.scan.outputs.result-file }}",
                    "key": "${{ secrets.COSIGN_PRIVATE_KEY }}",
                    "password": "${{ secrets.COSIGN_PASSWORD }}",
                    "public-key": "cosign.pub",
                    "allow-http-registry": "true",
                    "cosign": str(cosign_bin),
                },
            },
        ],
        collect=COLLECT,
    )
    run = user_repo.run(env={"DOCKER_HOST": docker_daemon}, secrets=keys.env())
    assert run.returncode == 0, run.log[-6000:]
    out = run.outputs
    assert out["build-outcome"] == "success" and out["build-status"] == "passed"
    digest = out["build-digest"]
    assert digest.startswith(f"{registry.host}/acme/e2e-app@sha256:") and len(digest.split(":")[-1]) == 64
    assert out["build-image"] == digest
    assert out["build-tags"] == f"{registry.host}/acme/e2e-app:e2e,{registry.host}/acme/e2e-app:latest"
    build = run.result("build")
    assert build["details"]["digest"] == digest and build["details"]["pushed"] is True
    assert build["details"]["labels"]["org.opencontainers.image.created"]

    assert out["scan-outcome"] == "success" and out["scan-status"] == "passed"
    assert out["scan-target"] == digest  # the exact pushed image, not a tag
    scan = run.result("scan")["details"]
    counts = {s: str(scan["counts"][s.upper()]) for s in SEVERITIES}
    assert {s: out[f"scan-{s}"] for s in SEVERITIES} == counts
    assert out["scan-high"] == "1" and out["scan-critical"] == "0"  # requests 2.19.1: CVE-2018-18074
    assert "CVE-2018-18074" in {f["id"] for f in scan["findings"]}
    assert out["scan-blocking"] == "0" and out["scan-new-critical"] == "0"  # policy: CRITICAL only
    assert out["scan-sarif"].endswith(".sarif") and out["scan-sbom"].endswith(".cdx.json")
    assert "### shipml build: ✅ passed" in run.summary and "### shipml scan: ✅ passed" in run.summary

    assert out["sign-outcome"] == "success" and out["sign-status"] == "passed", run.log[-6000:]
    assert out["sign-image"] == digest and out["sign-attestations"] == "sbom,scan"
    assert out["sign-signature"] == digest.replace("@sha256:", ":sha256-") + ".sig"
    assert run.result("sign")["details"]["verified"] is True  # checked with the repository's cosign.pub
    assert is_signed(cosign_bin, keys.public, digest)  # and by cosign itself
    (verdict,) = attested(cosign_bin, keys.public, digest, "https://shipml.dev/attestations/scan/v1")
    assert verdict["status"] == "passed" and verdict["counts"]["HIGH"] == 1
    assert "BEGIN" not in run.log and keys.password not in run.log  # the secrets stayed secret
    assert "Traceback" not in run.log
    ran = [line for line in run.log.splitlines() if "shipml: running: shipml " in line]
    assert any(" build --config=shipml.yaml --registry=" in line for line in ran), ran
    assert any(f" scan --config=shipml.yaml --image={digest}" in line for line in ran), ran
