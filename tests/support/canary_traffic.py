"""A bounded loopback load generator that splits requests between a stable and a canary server.

It stands in for the mesh: before each request it reads the canary's weight
(from whatever the test says holds it — a router object now, the weight written
in the cluster later) and sends exactly that share of requests to the canary
(a deterministic error-diffusion split, not a coin flip, so a 20% weight is 20%
of requests in every window). Bounded twice: it stops after ``max_requests``
or ``max_seconds``, whichever comes first, and on :meth:`stop`; it paces itself
to ``rate`` requests per second so it never takes the shared machine's cores.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse


@dataclass
class Counts:
    stable: int = 0
    canary: int = 0
    errors: dict[str, int] = field(default_factory=lambda: {"stable": 0, "canary": 0})


class LoadGenerator:
    def __init__(
        self,
        stable_url: str,
        canary_url: str,
        weight: Callable[[], int],
        rows: list[dict[str, Any]],
        *,
        batch: int = 20,
        rate: float = 40.0,
        max_requests: int = 20_000,
        max_seconds: float = 300.0,
    ) -> None:
        self.urls = {"stable": urlparse(stable_url), "canary": urlparse(canary_url)}
        self.weight = weight
        self.rows = rows
        self.batch = batch
        self.rate = rate
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.counts = Counts()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="canary-load", daemon=True)
        self._conns: dict[str, http.client.HTTPConnection] = {}

    def __enter__(self) -> LoadGenerator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _conn(self, track: str) -> http.client.HTTPConnection:
        if track not in self._conns:
            url = self.urls[track]
            self._conns[track] = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
        return self._conns[track]

    def _send(self, track: str, body: bytes) -> None:
        for attempt in range(2):
            try:
                conn = self._conn(track)
                conn.request("POST", "/predict/batch", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                if response.status >= 500:
                    self.counts.errors[track] += 1
                return
            except (OSError, http.client.HTTPException):
                self._conns.pop(track, None)  # reconnect once (a server restarted, keep-alive dropped)
                if attempt:
                    self.counts.errors[track] += 1

    def _run(self) -> None:
        started = time.monotonic()
        debt = 0.0  # error diffusion: canary share sent so far vs owed
        sent = 0
        while not self._stop.is_set() and sent < self.max_requests:
            now = time.monotonic()
            if now - started > self.max_seconds:
                break
            share = max(0, min(100, self.weight())) / 100
            debt += share
            track = "canary" if debt >= 1 else "stable"
            if track == "canary":
                debt -= 1
            start = (sent * self.batch) % max(1, len(self.rows) - self.batch)
            body = json.dumps({"rows": self.rows[start : start + self.batch]}).encode()
            self._send(track, body)
            if track == "canary":
                self.counts.canary += 1
            else:
                self.counts.stable += 1
            sent += 1
            pause = started + sent / self.rate - time.monotonic()
            if pause > 0:
                self._stop.wait(pause)
        for conn in self._conns.values():
            conn.close()
