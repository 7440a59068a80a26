"""The post-deploy smoke check: the new pods answer, through the cluster's own path to them.

An HTTP GET goes through the API server's service proxy
(``/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH``), so it needs no ingress and
no port-forward and proves Service, endpoints and pods together. A command is the
alternative for checks the proxy cannot express (a prediction with a payload, a
check through the public URL). Retries are spaced one second apart because a pod
that just became Ready may still be warming its model.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass

from ..config.deploy import SmokeCheck
from ..errors import ShipmlError
from ..kube_api.client import Kube
from ..kube_api.errors import Call


@dataclass(frozen=True)
class SmokeResult:
    ok: bool
    detail: str


def http(kube: Kube, namespace: str, service: str, port: str, path: str, timeout: float) -> SmokeResult:
    proxy = f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy{path}"
    call = Call("get", "services/proxy", namespace, service)
    try:
        status, _ = kube.send(call, "GET", proxy, accept="*/*", timeout=(5.0, timeout))
    except ShipmlError as exc:
        return SmokeResult(False, f"GET {path} on service {service}:{port}: {exc.message}")
    return SmokeResult(200 <= status < 300, f"GET {path} on service {service}:{port} answered {status}")


def command(argv: list[str], namespace: str, service: str, timeout: float) -> SmokeResult:
    env = {**os.environ, "SHIPML_DEPLOY_NAMESPACE": namespace, "SHIPML_DEPLOY_SERVICE": service}
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except FileNotFoundError:
        return SmokeResult(False, f"smoke command {argv[0]!r} not found")
    except subprocess.TimeoutExpired:
        return SmokeResult(False, f"smoke command {argv[0]!r} timed out after {timeout:g}s")
    tail = " ".join((proc.stderr or proc.stdout).split())[-200:]
    return SmokeResult(
        proc.returncode == 0, f"smoke command {argv[0]!r} exited {proc.returncode}: {tail}".rstrip(": ")
    )


def run(kube: Kube, check: SmokeCheck, namespace: str, service: str, port: str) -> SmokeResult:
    """The check with its retries; the last attempt's result."""
    result = SmokeResult(False, "not run")
    for attempt in range(check.retries + 1):
        if attempt:
            time.sleep(1.0)
        if check.command:
            result = command(check.command, namespace, service, check.timeout)
        else:
            result = http(kube, namespace, service, port, check.path or "/health", check.timeout)
        if result.ok:
            return result
    return result
