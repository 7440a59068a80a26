"""Canary analysis against real parts: Debian's Prometheus scraping real ``shipml serve`` processes.

A stable and a canary server (the churn example's trained models, as MLflow
model directories) run on loopback; Prometheus scrapes both every second with
the labels pods would carry (``app``, ``track=stable|canary``). There is no
cluster in these tests: the traffic split is done by the test's bounded load
generator, which sends each request to the canary or to stable by the weight
the controller's router holds at that moment — the job a mesh (or the replica
ratio) does in a cluster. The controller, the analysis, the queries and the
judging are shipml's own, unchanged.

Cases (issue 15): a healthy canary is promoted through all steps; a canary with
an injected error rate is rolled back at the first analysis; a canary serving a
different model, healthy as a service, is caught by the score distribution;
too little traffic holds and then fails, never promotes; Prometheus stopped
mid-canary is exit 3 with traffic back on stable.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from shipml.canary.analysis import Analyser
from shipml.canary.controller import CanaryState, Controller
from shipml.config.canary import CanarySection
from shipml.contracts.canary import CanaryDetails
from shipml.errors import ExitCode, InfrastructureUnreachable
from shipml.prometheus_api import PrometheusClient
from tests.integration.test_serve import Server, start
from tests.support import prometheus
from tests.support.canary_traffic import LoadGenerator
from tests.unit.test_serve_model import churn_frame, make_model_dir

pytestmark = pytest.mark.integration

INTERVAL = 5  # seconds per analysis window; Prometheus scrapes every second
WARMUP: list[dict[str, Any]] = json.loads(
    churn_frame("new.csv").drop(columns=["churned"]).head(20).to_json(orient="records")
)


@dataclass
class MemoryRouter:
    """Holds the weight the load generator reads: the test's stand-in for the cluster's split."""

    mode: str = "test-split"
    weight: int = 0
    history: list[tuple[str, int, float]] = field(default_factory=list)

    def set_weight(self, weight: int) -> None:
        self.weight = weight
        self.history.append(("weight", weight, time.monotonic()))

    def promote(self) -> None:
        self.weight = 0  # stable now runs the canary's version and takes all traffic
        self.history.append(("promote", 0, time.monotonic()))

    def rollback(self) -> None:
        self.weight = 0
        self.history.append(("rollback", 0, time.monotonic()))


@dataclass
class MemoryStore:
    state: CanaryState | None = None
    saves: int = 0

    def load(self) -> CanaryState | None:
        return None if self.state is None else self.state.model_copy(deep=True)

    def save(self, state: CanaryState) -> None:
        self.state = state.model_copy(deep=True)
        self.saves += 1

    def clear(self) -> None:
        self.state = None


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("canary-models")
    return {
        "stable": make_model_dir(root / "stable"),
        # another model of the same task: serves fine, predicts differently (strongly regularised)
        "other": make_model_dir(root / "other", estimator=LogisticRegression(C=1e-4, max_iter=200)),
    }


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    frame = churn_frame("new.csv").drop(columns=["churned"])
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return records


@pytest.fixture(scope="module")
def stable(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start(models["stable"], tmp_path_factory.mktemp("stable"))
    try:
        yield server
    finally:
        server.stop()


def config(app: str, url: str, **overrides: Any) -> CanarySection:
    base: dict[str, Any] = {
        "app": app,
        "steps": [20, 50, 100],
        "interval": INTERVAL,
        "min_requests": 30,
        "max_holds": 1,
        "prometheus": {"url": url, "retries": 2, "backoff": 0.2, "timeout": 5},
    }
    return CanarySection.model_validate({**base, **overrides})


def scrape(prom: prometheus.Prometheus, app: str, stable: Server, canary: Server) -> None:
    """Label both servers like pods and wait for Prometheus to see them; warm the canary up first.

    A freshly started server's first predictions are slower (lazy imports, first
    allocation); a cluster's readiness probe and warm-up absorb that before a pod
    takes traffic, and with this test's few dozen canary requests per window the
    p99 is close to the maximum, so one cold request would decide it.
    """
    for _ in range(5):
        canary.call("/predict/batch", {"rows": [dict(r) for r in WARMUP]})
    prom.set_targets(
        {
            stable.url.removeprefix("http://"): {"app": app, "track": "stable"},
            canary.url.removeprefix("http://"): {"app": app, "track": "canary"},
        }
    )
    prom.wait_scraped(app, {"stable", "canary"})


def run_canary(
    cfg: CanarySection,
    stable: Server,
    canary: Server,
    rows: list[dict[str, Any]],
    *,
    rate: float = 40.0,
    batch: int = 20,
) -> tuple[CanaryDetails, MemoryRouter, LoadGenerator]:
    router = MemoryRouter()
    client = PrometheusClient(
        cfg.prometheus.url, retries=cfg.prometheus.retries, backoff=cfg.prometheus.backoff, timeout=5
    )
    controller = Controller(cfg, router, MemoryStore(), Analyser(client, cfg))
    with LoadGenerator(
        stable.url, canary.url, lambda: router.weight, rows, rate=rate, batch=batch, max_seconds=120
    ) as load:
        details = controller.run("canary-v2")
    return details, router, load


def checks_of(details: CanaryDetails, step: int = 0) -> dict[str, Any]:
    return {c.name: c for c in details.log[step].checks}


def test_healthy_canary_is_promoted_through_every_step(
    prometheus_server: prometheus.Prometheus,
    stable: Server,
    models: dict[str, Path],
    rows: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    canary = start(models["stable"], tmp_path)
    try:
        scrape(prometheus_server, "healthy", stable, canary)
        # p99 needs samples: at the default min_requests (100) one slow request is not the p99
        cfg = config("healthy", prometheus_server.url, interval=10, min_requests=100)
        details, router, load = run_canary(cfg, stable, canary, rows, rate=60, batch=5)
    finally:
        canary.stop()
    assert details.outcome == "promoted", [
        (r.weight, c.name, c.canary, c.stable, c.reason)
        for r in details.log
        for c in r.checks
        if c.outcome != "pass"
    ]
    assert [r.weight for r in details.log] == [20, 50, 100]
    assert [r.action for r in details.log] == ["advance", "advance", "promote"]
    assert [e[0] for e in router.history][-1] == "promote"
    first = checks_of(details)
    # every check carries both tracks' numbers; the traffic numbers follow the split
    assert first["requests"].canary and first["requests"].stable
    assert 0.1 < first["requests"].canary / (first["requests"].canary + first["requests"].stable) < 0.3
    assert first["success-rate"].canary == pytest.approx(1.0)
    assert first["score-psi"].outcome == "pass" and first["score-psi"].canary is not None
    assert first["score-psi"].canary < 0.2
    assert load.counts.canary > 0 and load.counts.errors == {"stable": 0, "canary": 0}


def test_canary_with_errors_is_rolled_back_at_the_first_step(
    prometheus_server: prometheus.Prometheus,
    stable: Server,
    models: dict[str, Path],
    rows: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    canary = start(models["stable"], tmp_path, "--inject-error-rate", "0.3")
    try:
        scrape(prometheus_server, "errors", stable, canary)
        cfg = config("errors", prometheus_server.url)
        details, router, _ = run_canary(cfg, stable, canary, rows)
    finally:
        canary.stop()
    assert details.outcome == "rolled-back"
    assert details.final_weight == 0 and router.weight == 0
    assert len(details.log) == 1 and details.log[0].weight == 20
    checks = checks_of(details)
    assert details.failed_check == "success-rate"
    assert checks["success-rate"].outcome == "fail" and checks["error-rate"].outcome == "fail"
    assert 0.1 < (checks["error-rate"].canary or 0) < 0.75  # ~0.3 injected, on a few dozen requests
    assert checks["error-rate"].stable == pytest.approx(0.0)
    # time from the fault taking traffic to the start of rollback: one interval plus the analysis
    (_, _, shifted), (_, _, rolled) = router.history[0], router.history[-1]
    assert rolled - shifted < INTERVAL + 5
    print(f"fault to rollback start: {rolled - shifted:.2f}s; analysis: {details.log[0].analysis_s}s")


def test_different_model_is_caught_by_the_score_distribution(
    prometheus_server: prometheus.Prometheus,
    stable: Server,
    models: dict[str, Path],
    rows: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    canary = start(models["other"], tmp_path)
    try:
        scrape(prometheus_server, "other", stable, canary)
        cfg = config("other", prometheus_server.url)
        details, _, _ = run_canary(cfg, stable, canary, rows)
    finally:
        canary.stop()
    checks = checks_of(details)
    assert details.outcome == "rolled-back"
    assert checks["success-rate"].outcome == "pass" and checks["error-rate"].outcome == "pass"
    assert checks["score-psi"].outcome == "fail" and (checks["score-psi"].canary or 0) > 0.2
    assert details.failed_check == "score-psi"


def test_too_little_traffic_holds_then_fails(
    prometheus_server: prometheus.Prometheus,
    stable: Server,
    models: dict[str, Path],
    rows: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    canary = start(models["stable"], tmp_path)
    try:
        scrape(prometheus_server, "quiet", stable, canary)
        cfg = config("quiet", prometheus_server.url, min_requests=200)
        details, router, _ = run_canary(cfg, stable, canary, rows, rate=10)
    finally:
        canary.stop()
    assert [r.action for r in details.log] == ["hold", "rollback"]
    assert all(r.outcome == "inconclusive" for r in details.log)
    assert details.outcome == "rolled-back" and details.failed_check == "requests"
    assert router.weight == 0


def test_prometheus_stopped_mid_canary_is_exit_3_with_traffic_on_stable(
    stable: Server, models: dict[str, Path], rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    prom = prometheus.start(tmp_path / "prometheus")
    canary = start(models["stable"], tmp_path)
    try:
        scrape(prom, "stopped", stable, canary)
        cfg = config("stopped", prom.url)
        router = MemoryRouter()
        client = PrometheusClient(prom.url, retries=2, backoff=0.2, timeout=2)
        store = MemoryStore()
        controller = Controller(cfg, router, store, Analyser(client, cfg), sleep=lambda s: prom.stop())
        with (
            LoadGenerator(stable.url, canary.url, lambda: router.weight, rows, max_seconds=60),
            pytest.raises(InfrastructureUnreachable) as caught,
        ):
            controller.run("canary-v2")
    finally:
        canary.stop()
        prom.stop()
    assert caught.value.exit_code == ExitCode.INFRASTRUCTURE
    assert "requests (canary)" in str(caught.value) and "shipml_requests_total" in str(caught.value)
    assert router.history[-1][0] == "rollback" and router.weight == 0
    assert store.state is None
