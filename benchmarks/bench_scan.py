"""What ``shipml scan`` costs over the raw ``trivy image --input`` on the same tarball, in one run.

Raw: the one trivy command a CI script would run (same scanners, same offline DB,
JSON out). shipml: the whole CLI step, i.e. Python start-up, config, the same trivy
scan, parsing, policy, and SARIF + CycloneDX written with two parallel ``trivy
convert`` runs. Both alternate on the same tarball against a generated DB, real
dockerd for the image; the ratio of medians is the figure (goal <= 1.1).

With ``--before REF`` the same loop also runs the shipml of an earlier commit (its
``src/shipml`` exported with ``git archive``, same venv), so a change's before/after
comes from one run on the same machine load.

    .venv/bin/python -m benchmarks.bench_scan [--rounds 5] [--before image]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support import base_image, services, trivy_db

REPO = Path(__file__).resolve().parents[1]


def _image_tarball(docker_host: str, work: Path) -> Path:
    import docker

    client = docker.DockerClient(base_url=docker_host)
    ctx = work / "ctx"
    info = ctx / "pkgs" / "requests-2.19.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n")
    (ctx / "Dockerfile").write_text(
        f"FROM {base_image.DEFAULT_TAG}\nCOPY pkgs /usr/lib/python3/dist-packages\n"
    )
    client.images.build(path=str(ctx), tag="bench-scan:1", rm=True)
    tar = work / "image.tar"
    with tar.open("wb") as fh:
        for chunk in client.images.get("bench-scan:1").save(named=True):
            fh.write(chunk)
    return tar


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default="", help="Also time the shipml of this git ref.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    state = work / "services"
    daemon = services.start("dockerd", state)
    try:
        base_image.import_image(base_image.DEFAULT_TAG, daemon.url)
        tar = _image_tarball(daemon.url, work)
    finally:
        services.stop("dockerd", state)
    cache = trivy_db.write_db(work / "trivy-cache")
    trivy = str(Path(sys.executable).with_name("trivy"))
    shipml = str(Path(sys.executable).with_name("shipml"))
    (work / "shipml.yaml").write_text("project: bench\nscan:\n  fail_on: []\n")
    raw = [trivy, "image", "--cache-dir", str(cache), "--skip-db-update", "--skip-java-db-update"]
    raw += ["--skip-check-update", "--format", "json", "--list-all-pkgs", "--output", str(work / "raw.json")]
    raw += ["--scanners", "vuln,secret", "--image-config-scanners", "misconfig", "--input", str(tar)]
    ours = [shipml, "scan", str(tar), "--cache-dir", str(cache)]
    env = {**os.environ, "SHIPML_HOME": str(work / ".shipml")}
    runs: dict[str, tuple[list[str], dict[str, str]]] = {"raw": (raw, env), "shipml": (ours, env)}
    if args.before:
        before = work / "before"
        before.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.before, "src/shipml"], cwd=REPO, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        argv = [sys.executable, "-m", "shipml", *ours[1:]]
        runs["before"] = (argv, {**env, "PYTHONPATH": str(before / "src")})
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (argv, run_env) in runs.items():
            t0 = time.perf_counter()
            subprocess.run(argv, cwd=work, env=run_env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - t0)
    raw_s, ours_s = statistics.median(times["raw"]), statistics.median(times["shipml"])
    print(f"trivy image --input (raw): median {raw_s:.2f}s over {args.rounds} rounds")
    if args.before:
        before_s = statistics.median(times["before"])
        print(f"shipml scan at {args.before}: median {before_s:.2f}s, ratio {before_s / raw_s:.2f}x")
    print(f"shipml scan (+SARIF, SBOM, policy): median {ours_s:.2f}s")
    print(f"overhead ratio: {ours_s / raw_s:.2f}x (goal <= 1.10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
