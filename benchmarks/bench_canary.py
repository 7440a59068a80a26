"""Benchmark ``shipml canary``: analysis overhead per step, and time from an injected fault to rollback.

Real parts, started through ``tests.support`` as the tests do: Debian's Prometheus
(1 s scrape) scraping two real ``shipml serve`` processes labelled like pods
(``app``, ``track=stable|canary``), the local Kubernetes control plane, and the
bounded loopback load generator standing in for the mesh (pods on the kwok node
carry no traffic, so it splits requests between the two processes by the weight
written in the cluster).

(a) **Analysis overhead per step**: shipml's whole analysis of one step
    (:class:`shipml.canary.analysis.Analyser`: every Prometheus query for both
    tracks, parsing, noise floors and the rule judging) against the raw
    Prometheus HTTP API doing the same work a hand-written script must: the very
    same PromQL strings (captured from shipml's own run), each sent with
    ``urllib`` and its JSON decoded. Same process, same Prometheus, alternating
    rounds; medians and their ratio.
(b) **Fault to rollback**: ``shipml canary`` (the console script, a fresh process
    as a workflow step runs it) against a canary server started with
    ``--inject-error-rate``; a poller reads the canary's replica share from the
    API server every 0.1 s, as the mesh would. Measured from the first read that
    shows canary traffic (the fault takes traffic) to the first read that shows
    none (rollback has taken the traffic back). Goal: within one analysis
    interval (plus the analysis and the cluster write, which (a) bounds).

    .venv/bin/python -m benchmarks.bench_canary [--rounds 30] [--faults 3] [--interval 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import run_shipml
from tests.integration.test_canary_analysis import scrape
from tests.integration.test_canary_cluster import (
    CANARY_IMAGE,
    create,
    deploy_path,
    deployment,
    replica_weight,
    write_config,
)
from tests.integration.test_serve import Server, start
from tests.support import prometheus
from tests.support.canary_traffic import LoadGenerator
from tests.support.k8s import cluster as kube
from tests.unit.test_serve_model import churn_frame, make_model_dir

from shipml.canary.analysis import Analyser
from shipml.config.canary import CanarySection
from shipml.prometheus_api import PrometheusClient, Vector


class RecordingClient(PrometheusClient):
    """shipml's client, noting each PromQL string it sends: the raw side replays exactly these."""

    def __init__(self, url: str) -> None:
        super().__init__(url, retries=0, timeout=10)
        self.sent: list[str] = []

    def query(self, promql: str, *, what: str) -> Vector:
        self.sent.append(promql)
        return super().query(promql, what=what)


def raw_step(url: str, queries: list[str]) -> float:
    """What a hand-written step must at least do: GET each query, decode its JSON; seconds."""
    started = time.perf_counter()
    for promql in queries:
        with urllib.request.urlopen(
            f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}", timeout=10
        ) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
    return time.perf_counter() - started


def section(app: str, url: str, interval: int) -> CanarySection:
    return CanarySection.model_validate(
        {"app": app, "steps": [30, 100], "interval": interval, "min_requests": 30,
         "prometheus": {"url": url}}
    )  # fmt: skip


def overhead(
    prom: prometheus.Prometheus,
    stable: Server,
    canary: Server,
    rows: list[dict[str, Any]],
    rounds: int,
    interval: int,
) -> None:
    app = "bench-overhead"
    scrape(prom, app, stable, canary)
    cfg = section(app, prom.url, interval)
    recorder = RecordingClient(prom.url)
    with LoadGenerator(stable.url, canary.url, lambda: 30, rows, max_seconds=interval + 60 + rounds):
        time.sleep(interval + 1)  # one full window of traffic, as at a real step
        first = Analyser(recorder, cfg).run()
        queries = list(recorder.sent)
        analyser = Analyser(PrometheusClient(prom.url, retries=0, timeout=10), cfg)
        ours: list[float] = []
        raw: list[float] = []
        for i in range(rounds):
            sides = [("ours", True), ("raw", False)]
            for _, is_ours in sides if i % 2 == 0 else sides[::-1]:
                if is_ours:
                    started = time.perf_counter()
                    analyser.run()
                    ours.append(time.perf_counter() - started)
                else:
                    raw.append(raw_step(prom.url, queries))
    judged = {c.name: c.outcome for c in first.checks}
    assert first.outcome == "pass", judged  # a step that judged nothing would be a cheap lie
    mo, mr = statistics.median(ours), statistics.median(raw)
    print(
        f"(a) analysis per step ({len(queries)} instant queries, {len(first.checks)} checks judged), "
        f"median of {rounds}: shipml {mo * 1000:.1f} ms, raw urllib+json {mr * 1000:.1f} ms, "
        f"ratio {mo / mr:.2f}x (shipml min {min(ours) * 1000:.1f} max {max(ours) * 1000:.1f} ms)"
    )
    print(
        f"    goal (the issue asks for the figure; this bench's bar: < 5% of the {interval} s "
        f"interval) -> {100 * mo / interval:.2f}% of it, {'met' if mo < 0.05 * interval else 'NOT met'}"
    )


def fault_to_rollback(
    cluster: kube.Cluster,
    prom: prometheus.Prometheus,
    stable: Server,
    canary: Server,
    rows: list[dict[str, Any]],
    work: Path,
    interval: int,
    run: int,
) -> tuple[float, float, str]:
    ns = cluster.new_namespace("bench-canary")
    app = "churn"
    create(cluster, deploy_path(ns), deployment(ns, app))
    label = f"fault-{run}"
    scrape(prom, label, stable, canary)
    home = work / f"fault-{run}"
    home.mkdir()
    config = write_config(home, ns, label, prom.url, interval=interval, cluster={"deployment": app})
    read = replica_weight(cluster, ns, app)
    seen: dict[str, float] = {}
    weight = 0
    stop = threading.Event()

    def poll() -> None:  # the mesh's view, every 0.1 s
        nonlocal weight
        while not stop.is_set():
            with contextlib.suppress(Exception):  # a transient read error keeps the last weight
                weight = read()
            now = time.monotonic()
            if weight > 0:
                seen.setdefault("on", now)
            elif "on" in seen:
                seen.setdefault("off", now)
            stop.wait(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        with LoadGenerator(stable.url, canary.url, lambda: weight, rows, max_seconds=interval + 60):
            result = home / "result.json"
            done = run_shipml(
                "canary", "--config", str(config), "--kubeconfig", str(cluster.kubeconfig),
                "--image", CANARY_IMAGE, "--result-file", str(result), cwd=home, timeout=300,
            )  # fmt: skip
    finally:
        stop.set()
        poller.join(timeout=5)
    details = json.loads(result.read_text())["details"] if result.is_file() else {}
    if done.code != 1 or details.get("outcome") != "rolled-back" or "off" not in seen:
        raise SystemExit(f"expected a rollback (exit 1), got {done.code}: {done.output[-2000:]}")
    analysis_s = float(details["log"][-1]["analysis_s"])
    return seen["off"] - seen["on"], analysis_s, str(details.get("failed_check"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30, help="analyses timed per side in (a)")
    parser.add_argument("--faults", type=int, default=3, help="fault-to-rollback runs in (b)")
    parser.add_argument("--interval", type=int, default=5, help="analysis interval, seconds")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-canary-"))
    rows: list[dict[str, Any]] = json.loads(
        churn_frame("new.csv").drop(columns=["churned"]).to_json(orient="records")
    )
    model = make_model_dir(work / "model")
    prom = prometheus.start(work / "prometheus")
    servers: list[Server] = []
    cluster_state = work / "k8s"
    try:
        stable = start(model, work)
        servers.append(stable)
        healthy = start(model, work)
        servers.append(healthy)
        overhead(prom, stable, healthy, rows, args.rounds, args.interval)
        faulty = start(model, work, "--inject-error-rate", "0.3")
        servers.append(faulty)
        started = time.perf_counter()
        cluster = kube.start(cluster_state, build=False)
        print(f"    (control plane warm start {time.perf_counter() - started:.1f}s)")
        took: list[float] = []
        for run in range(args.faults):
            seconds, analysis_s, failed = fault_to_rollback(
                cluster, prom, stable, faulty, rows, work, args.interval, run
            )
            took.append(seconds)
            print(
                f"    fault run {run + 1}: canary traffic on -> off {seconds:.2f}s "
                f"(analysis {analysis_s:.3f}s, failed check {failed})"
            )
        med = statistics.median(took)
        print(
            f"(b) injected 30% errors to rollback (traffic back on stable, mesh view at 0.1 s), "
            f"median of {args.faults}: {med:.2f}s = {med / args.interval:.2f} x the {args.interval} s "
            f"interval (min {min(took):.2f} max {max(took):.2f})"
        )
        print(
            f"    goal: within one analysis interval (+ the analysis and the cluster write) -> "
            f"{'met' if med <= args.interval + 1 else 'NOT met'} (≤ {args.interval + 1} s)"
        )
    finally:
        for server in servers:
            server.stop()
        prom.stop()
        if cluster_state.exists():
            kube.stop(cluster_state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
