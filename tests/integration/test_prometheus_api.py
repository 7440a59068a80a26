"""The Prometheus adapter against a real Prometheus: answers, no data, a rejected query, unreachable."""

from __future__ import annotations

import time

import pytest

from shipml.errors import ConfigError, ExitCode, InfrastructureUnreachable
from shipml.prometheus_api import PrometheusClient
from tests.support import prometheus
from tests.support.services import free_port

pytestmark = pytest.mark.integration


def test_scalar_and_vector_answers(prometheus_server: prometheus.Prometheus) -> None:
    client = PrometheusClient(prometheus_server.url)
    assert client.query("1 + 1", what="arithmetic").value() == 2.0
    vector = client.query('label_replace(vector(3), "le", "0.5", "", "")', what="one series")
    assert vector.value() == 3.0 and vector.by_label("le") == {"0.5": 3.0}


def test_no_data_is_none_never_zero(prometheus_server: prometheus.Prometheus) -> None:
    client = PrometheusClient(prometheus_server.url)
    assert client.query('sum(rate(shipml_no_such_metric{track="canary"}[5s]))', what="x").value() is None
    assert client.query("vector(0) / vector(0)", what="0/0").value() is None  # NaN: no requests


def test_a_query_prometheus_cannot_parse_is_exit_2_naming_it(
    prometheus_server: prometheus.Prometheus,
) -> None:
    client = PrometheusClient(prometheus_server.url, retries=3, backoff=5)
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        client.query("sum(rate(x[5s]", what="latency-p99 (canary)")
    assert time.monotonic() - started < 3, "a parse error is not retried"
    message = str(caught.value)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert "latency-p99 (canary)" in message and "sum(rate(x[5s]" in message and "parse error" in message


def test_unreachable_is_exit_3_after_retries_with_backoff() -> None:
    waits: list[float] = []
    client = PrometheusClient(f"http://127.0.0.1:{free_port()}", retries=3, backoff=0.5, sleep=waits.append)
    with pytest.raises(InfrastructureUnreachable) as caught:
        client.query("up", what="requests (canary)")
    assert caught.value.exit_code == ExitCode.INFRASTRUCTURE
    assert waits == [0.5, 1.0, 2.0]
    assert "after 4 attempts" in str(caught.value) and "requests (canary)" in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1
