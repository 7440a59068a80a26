"""The Prometheus HTTP API: the only module that talks to Prometheus (canary analysis reads it)."""

from .client import PrometheusClient, Sample, Vector

__all__ = ["PrometheusClient", "Sample", "Vector"]
