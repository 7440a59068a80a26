"""The Prometheus metrics the server exports, designed for canary-vs-stable comparison.

The canary analysis (issue 15) compares two versions over a time window with
PromQL ``rate()``/``increase()`` over buckets, so:

- every histogram has FIXED buckets, identical in every version, so bucket-wise
  PSI / Jensen-Shannon between canary and stable is well defined;
- ``shipml_prediction_score`` buckets are 0.05 wide over [0, 1];
- label values are bounded (routes are templates, outcomes three words, classes
  the model's ``classes_``), so series counts cannot explode.

With several workers the values live in ``PROMETHEUS_MULTIPROC_DIR`` (a tmp dir
the parent creates before forking) and ``/metrics`` merges them.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

ROUTES = ("/predict", "/predict/batch", "/health", "/metrics")
OTHER_ROUTE = "other"
OUTCOMES = ("ok", "client_error", "server_error")
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
    0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
SCORE_BUCKETS = tuple(round(0.05 * i, 2) for i in range(1, 21))  # 0.05 .. 1.0
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000)


def outcome(status: int) -> str:
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "client_error"
    return "ok"


class Metrics:
    """All series in one registry; label children are cached so a request pays no lookups."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter(
            "shipml_requests", "HTTP requests by route and outcome.", ["route", "outcome"], registry=reg
        )
        self.duration = Histogram(
            "shipml_request_duration_seconds",
            "Request latency in seconds, from first byte in to last byte out.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.score = Histogram(
            "shipml_prediction_score",
            "Binary: probability of the positive class; multiclass: probability of the predicted class.",
            buckets=SCORE_BUCKETS,
            registry=reg,
        )
        self.predicted = Counter(
            "shipml_predicted_class", "Predicted rows by class.", ["class"], registry=reg
        )
        self.rows = Counter("shipml_prediction_rows", "Rows predicted (all routes).", registry=reg)
        self.batch_rows = Histogram(
            "shipml_batch_rows", "Rows per /predict/batch request.", buckets=BATCH_BUCKETS, registry=reg
        )
        self.info = Gauge(
            "shipml_model_info",
            "Always 1; its labels say which model this server is running.",
            ["name", "version", "run_id", "digest"],
            registry=reg,
            multiprocess_mode="max",
        )
        self.ready = Gauge(
            "shipml_model_ready",
            "Processes (workers) that have loaded the model: 1 with one worker.",
            registry=reg,
            multiprocess_mode="sum",  # ignored in single-process mode
        )
        self.load_seconds = Gauge(
            "shipml_model_load_seconds",
            "Time to load the model at start-up.",
            registry=reg,
            multiprocess_mode="max",
        )
        self._children: dict[tuple[str, str], Any] = {}
        self._durations: dict[str, Any] = {}
        for route in (*ROUTES, OTHER_ROUTE):
            self._durations[route] = self.duration.labels(route)
            for result in OUTCOMES:
                self._children[(route, result)] = self.requests.labels(route, result)
        self._classes: dict[str, Any] = {}

    def declare_classes(self, classes: list[str]) -> None:
        """Create every class series at 0, so a class never predicted still shows (rate() needs it)."""
        for name in classes:
            self._classes[name] = self.predicted.labels(name)

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        key = route if route in self._durations else OTHER_ROUTE
        self._children[(key, outcome(status))].inc()
        self._durations[key].observe(seconds)

    def observe_predictions(self, scores: list[float], labels: list[str]) -> None:
        for s in scores:
            self.score.observe(s)
        for label in labels:
            child = self._classes.get(label)
            if child is None:
                child = self._classes[label] = self.predicted.labels(label)
            child.inc()

    def ready_workers(self) -> float:
        """How many worker processes have the model loaded (multiprocess mode: they share the dir)."""
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return merged.get_sample_value("shipml_model_ready") or 0.0

    def exposition(self) -> bytes:
        if not self.multiprocess:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
