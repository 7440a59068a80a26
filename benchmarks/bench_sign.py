"""What ``shipml sign`` costs over the raw cosign commands doing the same work, in one run.

Raw: what a CI script would run for the same result: ``cosign sign`` of the digest, ``cosign
attest`` of the CycloneDX SBOM and of the scan verdict (a JSON predicate), then ``cosign verify``
and two ``cosign verify-attestation`` with the public key. shipml: the whole ``shipml sign``
step with ``sign.public_key`` set (the same six cosign runs, plus Python start-up, config,
input checks, ``cosign version``, the result file and the report section). Both sign the same
pushed digest in a real registry on loopback, alternating within each round; the ratio of
medians is the figure. A signature is appended on every run, as in real use.

    .venv/bin/python -m benchmarks.bench_sign [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support import base_image, cosign, services

PASSWORD = "bench"
SCAN_TYPE = "https://shipml.dev/attestations/scan/v1"


def _push(docker_host: str, registry: str, work: Path) -> str:
    import docker

    client = docker.DockerClient(base_url=docker_host)
    base_image.import_image(base_image.DEFAULT_TAG, docker_host)
    repo = f"{registry}/bench/sign"
    client.images.get(base_image.DEFAULT_TAG).tag(repo, "1")
    digest = None
    for line in client.images.push(repo, tag="1", stream=True, decode=True):
        digest = (line.get("aux") or {}).get("Digest") or digest
    client.close()
    assert digest
    return f"{repo}@{digest}"


def _timed(argvs: list[list[str]], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    for argv in argvs:
        subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sign-"))
    state = work / "services"
    binary = cosign.ensure_built()
    try:
        registry = services.start("registry", state)
        daemon = services.start("dockerd", state)
        try:
            ref = _push(daemon.url, registry.url.removeprefix("http://"), work)
        finally:
            services.stop("dockerd", state)
        keys = cosign.generate_keys(binary, work / "keys", PASSWORD)
        sbom = work / "sbom.cdx.json"
        bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []}
        sbom.write_text(json.dumps(bom))
        scan = work / "scan.json"
        scan.write_text(
            json.dumps(
                {
                    "schema_version": 1,
                    "command": "scan",
                    "status": "passed",
                    "summary": "0 blocking; no findings",
                    "started_at": "2026-11-28T00:00:00+00:00",
                    "duration_s": 1.0,
                    "details": {"target": ref, "counts": {}, "blocking": 0},
                }
            )
        )
        verdict = work / "verdict.json"
        verdict.write_text(json.dumps({"status": "passed", "target": ref}))
        (work / "shipml.yaml").write_text(
            f"project: bench\nsign:\n  allow_http_registry: true\n  public_key: {keys.public}\n"
        )
        env = {**os.environ, **keys.env(), "SHIPML_HOME": str(work / ".shipml")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        insecure = ["--allow-http-registry", "--allow-insecure-registry"]
        signing = ["--key", "env://COSIGN_PRIVATE_KEY", "--yes", "--tlog-upload=false", *insecure]
        checking = ["--key", str(keys.public), "--insecure-ignore-tlog=true", *insecure]
        c = str(binary)
        raw = [
            [c, "sign", *signing, ref],
            [c, "attest", *signing, "--type", "cyclonedx", "--predicate", str(sbom), ref],
            [c, "attest", *signing, "--type", SCAN_TYPE, "--predicate", str(verdict), ref],
            [c, "verify", *checking, ref],
            [c, "verify-attestation", *checking, "--type", "cyclonedx", ref],
            [c, "verify-attestation", *checking, "--type", SCAN_TYPE, ref],
        ]
        shipml = str(Path(sys.executable).with_name("shipml"))
        ours = [[shipml, "sign", ref, "--sbom", str(sbom), "--scan-result", str(scan), "--cosign", c]]
        runs = {"raw cosign (6 commands)": raw, "shipml sign": ours}
        for argvs in runs.values():  # untimed: bytecode written, registry warm
            _timed(argvs, env, work)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, argvs in runs.items():
                times[name].append(_timed(argvs, env, work))
        medians = {name: statistics.median(v) for name, v in times.items()}
        raw_s, ours_s = medians["raw cosign (6 commands)"], medians["shipml sign"]
        print(f"{args.rounds} rounds, alternating; medians; same digest, same registry, same key")
        for name, seconds in medians.items():
            print(f"  {name:<28} {seconds:6.2f}s")
        print(f"  overhead ratio: {ours_s / raw_s:.2f}x ({ours_s - raw_s:+.3f}s)")
    finally:
        services.stop("registry", state)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
