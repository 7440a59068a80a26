"""Canary analysis and promotion: step loop, Prometheus analysis, model signals."""
