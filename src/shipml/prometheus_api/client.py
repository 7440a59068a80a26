"""Instant queries against Prometheus' HTTP API, with retries and one-line errors.

Standard library only (``urllib``): the canary needs no client package for a
GET and a JSON body, and nothing here slows ``shipml --help``. Every failure
becomes a :class:`~shipml.errors.ShipmlError` naming the query that failed, so a
user reading the step log knows which check to look at:

* unreachable, timeouts, 5xx and execution errors (Prometheus' ``422``/
  ``503``: a query that timed out or was cancelled) are retried with
  exponential backoff, then exit 3;
* a query Prometheus cannot parse (``400 bad_data``) is the user's template:
  exit 2, with Prometheus' own message, not retried.

"No data" (an empty vector, or a NaN from a ratio over zero requests) is not an
error: :meth:`Vector.value` returns None and the analysis makes that check
inconclusive — never a pass.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, InfrastructureUnreachable

RETRIED_HTTP = frozenset({422, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and its value (NaN kept as NaN)."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class Vector:
    """An instant query's answer."""

    query: str
    samples: tuple[Sample, ...] = field(default_factory=tuple)

    def value(self) -> float | None:
        """The single value of a query that aggregates to one series; None for no data.

        Several series are summed (a query without ``sum``) so the number still
        means "over all matching pods"; NaN (0/0: no requests) is no data.
        """
        finite = [s.value for s in self.samples if math.isfinite(s.value)]
        if not finite:
            return None
        return sum(finite)

    def by_label(self, label: str) -> dict[str, float]:
        """``{label value: value}`` of finite samples (histogram buckets by ``le``, classes)."""
        out: dict[str, float] = {}
        for s in self.samples:
            key = s.labels.get(label)
            if key is not None and math.isfinite(s.value):
                out[key] = out.get(key, 0.0) + s.value
        return out


class PrometheusClient:
    """Instant queries against one Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.headers = dict(headers or {})
        self._sleep = sleep

    def query(self, promql: str, *, what: str) -> Vector:
        """Evaluate ``promql`` now; ``what`` names it in errors (the check and track)."""
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
        last = ""
        delay = self.backoff
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(delay)
                delay *= 2
            try:
                request = urllib.request.Request(url, headers={"Accept": "application/json", **self.headers})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return _parse(promql, json.loads(response.read()))
            except urllib.error.HTTPError as exc:
                body = _error_body(exc)
                if exc.code == 400:
                    raise ConfigError(
                        f"Prometheus rejected the query of {what} ({body or 'HTTP 400'}): {promql}",
                        hint="fix the query template in canary.checks (placeholders: {selector}, {window})",
                    ) from None
                last = f"HTTP {exc.code}{f': {body}' if body else ''}"
                if exc.code not in RETRIED_HTTP:
                    break
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = str(getattr(exc, "reason", exc)) or type(exc).__name__
        raise InfrastructureUnreachable(
            f"Prometheus at {self.url} failed the query of {what} after {self.retries + 1} attempts "
            f"({last}): {promql}",
            hint="check canary.prometheus.url and that Prometheus is up and scraping both tracks' pods",
        )


def _error_body(exc: urllib.error.HTTPError) -> str:
    try:
        payload = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return ""
    return str(payload.get("error", "")) if isinstance(payload, dict) else ""


def _parse(promql: str, body: object) -> Vector:
    """A ``vector`` or ``scalar`` result; anything else is a query the canary cannot judge."""
    if not isinstance(body, dict) or body.get("status") != "success":
        raise ValueError(f"unexpected answer {str(body)[:200]}")
    data: dict[str, Any] = body.get("data") or {}
    kind = data.get("resultType")
    result: Any = data.get("result") or []
    if kind == "scalar":
        return Vector(promql, (Sample({}, float(result[1])),))
    if kind != "vector":
        raise ConfigError(
            f"the query {promql} returns a {kind}, not an instant vector",
            hint="use an instant query that aggregates over the window, e.g. sum(rate(...[{window}]))",
        )
    samples = tuple(Sample(dict(item.get("metric") or {}), float(item["value"][1])) for item in result)
    return Vector(promql, samples)
