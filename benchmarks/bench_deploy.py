"""Benchmark ``shipml deploy`` (3-replica rollout to Ready) against the raw kubernetes client.

Both sides run against the same real control plane (tests/support/k8s/cluster.py:
etcd, kube-apiserver, controller-manager, scheduler, kwok) in fresh namespaces. The
raw side is what a hand-written step does: one server-side apply of the same
Deployment and a poll until ``kubectl rollout status`` would say done. shipml adds
offline schema validation, a reachability probe, discovery, the Service, audit
annotations, the in-progress marker and its clearing, all in a fresh process (as a
workflow step runs it); the raw side also runs as a fresh process.

    .venv/bin/python -m benchmarks.bench_deploy [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from tests.support.k8s import cluster as kube

REPO_ROOT = Path(__file__).resolve().parents[1]
DIGESTS = [f"registry.local:5000/team/model@sha256:{i:02x}" + "0" * 62 for i in range(1, 40)]

RAW = textwrap.dedent(
    """
    import sys, time
    from kubernetes import client, config
    from shipml.deploy.manifests import default_set
    kubeconfig, ns, image = sys.argv[1:4]
    api = config.new_client_from_config(config_file=kubeconfig)
    body = default_set("srv", image, port=8080, replicas=3, cpu="250m", memory="512Mi",
                       progress_deadline=60, hpa_max=None, pdb=False, network_policy=False)[0].obj
    apps = client.AppsV1Api(api)
    apps.patch_namespaced_deployment("srv", ns, body, field_manager="raw", force=True,
                                     _content_type="application/apply-patch+yaml")
    while True:
        d = apps.read_namespaced_deployment("srv", ns)
        s = d.status
        if (d.metadata.generation <= (s.observed_generation or 0) and (s.updated_replicas or 0) == 3
                and (s.replicas or 0) == 3 and (s.available_replicas or 0) == 3):
            break
        time.sleep(0.5)
    """
)


def timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-k8s-"))
    started = time.perf_counter()
    cluster = kube.start(state)
    print(f"cluster warm start: {time.perf_counter() - started:.1f}s")
    try:
        work = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
        (work / "shipml.yaml").write_text(
            "deploy:\n  name: srv\n  replicas: 3\n  progress_deadline_seconds: 60\n"
        )
        exe = str(Path(sys.executable).with_name("shipml"))
        ours, raw = [], []
        for i in range(args.runs):
            ns_a, ns_b = cluster.new_namespace("bench"), cluster.new_namespace("raw")
            ours.append(
                timed(
                    [
                        exe,
                        "deploy",
                        "--kubeconfig",
                        str(cluster.kubeconfig),
                        "--namespace",
                        ns_a,
                        "--image",
                        DIGESTS[i],
                    ],
                    work,
                )
            )
            raw.append(timed([sys.executable, "-c", RAW, str(cluster.kubeconfig), ns_b, DIGESTS[i]], work))
        mo, mr = statistics.median(ours), statistics.median(raw)
        print(
            f"3-replica deploy to ready, median of {args.runs}: shipml {mo:.2f}s, raw client {mr:.2f}s, "
            f"ratio {mo / mr:.2f}x"
        )
        print(
            f"resident memory of the control plane: {sum(kube.resident_kib(state).values()) / 1024:.0f} MiB"
        )
    finally:
        kube.stop(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
