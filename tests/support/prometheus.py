#!/usr/bin/env python3
"""A real Prometheus (Debian's ``prometheus`` package) scraping loopback targets, for canary tests.

Follows :mod:`tests.support.services`' pattern (command line, readiness probe,
log file, stop by process group) in a module of its own, because its config
changes while it runs: a test adds the stable and canary server processes as
targets, each with a static ``track`` label as a pod's label would give it, and
Prometheus re-reads the file targets (``file_sd_configs``) within a second, with
no restart. Scrape and evaluation interval 1 s, so a test's analysis window can
be a few seconds long. A missing binary or a start failure is an error with the
log's tail, never a skip.

    python -m tests.support.prometheus start --state-dir DIR   # prints the URL
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.services import free_port, http_ok

READY_TIMEOUT = 60.0


@dataclass
class Prometheus:
    """A running Prometheus; ``set_targets`` replaces what it scrapes."""

    url: str
    proc: subprocess.Popen[bytes]
    home: Path
    log: Path

    @property
    def targets_file(self) -> Path:
        return self.home / "targets.json"

    def set_targets(self, targets: dict[str, dict[str, str]]) -> None:
        """``{"127.0.0.1:8081": {"app": "churn", "track": "stable"}}``: each target with its pod labels."""
        groups = [{"targets": [address], "labels": labels} for address, labels in targets.items()]
        tmp = self.targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(groups))
        os.replace(tmp, self.targets_file)

    def wait_scraped(self, app: str, tracks: set[str], timeout: float = 30.0) -> None:
        """Until every track of ``app`` has a target up: the analysis must not start on an empty TSDB."""
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline:
            seen = {str(s["metric"].get("track", "")) for s in self.query(f'up{{app="{app}"}} == 1')}
            if tracks <= seen:
                return
            time.sleep(0.3)
        raise AssertionError(
            f"prometheus scraped {sorted(seen)} but not {sorted(tracks - seen)}:\n{self.tail()}"
        )

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def binary() -> str:
    found = shutil.which("prometheus")
    if not found:
        raise RuntimeError(
            "prometheus is not installed: apt-get install -y prometheus (Debian 12 ships 2.42)"
        )
    return found


def start(home: Path, port: int | None = None) -> Prometheus:
    """Start Prometheus with a file-discovered target list (empty at first) and wait for /-/ready."""
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    config = home / "prometheus.yml"
    targets = home / "targets.json"
    targets.write_text("[]")
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 900ms\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: shipml-serve\n"
        "    file_sd_configs:\n"
        f"      - files: ['{targets}']\n"
        "        refresh_interval: 1s\n"
    )
    log = home / "prometheus.log"
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            [
                binary(),
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Prometheus(f"http://127.0.0.1:{port}", proc, home, log)
    ready = http_ok(f"{running.url}/-/ready")
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prometheus exited with {proc.returncode}; log:\n{running.tail()}")
        if ready():
            return running
        time.sleep(0.2)
    running.stop()
    raise RuntimeError(f"prometheus was not ready after {READY_TIMEOUT:.0f}s; log:\n{running.tail()}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["start"])
    parser.add_argument("--state-dir", type=Path, default=Path(".shipml/services/prometheus"))
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    running = start(args.state_dir, args.port)
    print(f"prometheus: {running.url} (pid {running.proc.pid}, log {running.log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
