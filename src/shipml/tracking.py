"""Finding and reaching the MLflow tracking store, without importing MLflow.

Checked before a command starts real work so that an unreachable server is one
clear line with exit 3 (after retries with backoff), never a traceback from deep
inside MLflow's REST client half-way through a registration.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import runner
from .config import ShipmlConfig
from .errors import InfrastructureUnreachable

QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
}


def quiet_mlflow() -> None:
    """Telemetry off and no network probes: CI runners are often offline or metered."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)


def default_store() -> str:
    path = (runner.local_dir() / "mlflow.db").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def tracking_uri(cfg: ShipmlConfig) -> str:
    """Config (incl. overrides) first, then ``MLFLOW_TRACKING_URI``, then a local sqlite store."""
    uri = cfg.mlflow.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_store()
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        # Relative sqlite paths are relative to the config file, like every other path.
        rel = uri[len("sqlite:///") :]
        uri = f"sqlite:///{cfg.path(rel).resolve()}"
    return uri


def is_remote(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def redact(uri: str) -> str:
    """Drop credentials from a URI before it is printed."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return uri


def check_reachable(uri: str, *, attempts: int = 4, first_delay: float = 0.5, timeout: float = 5.0) -> None:
    """Probe ``/health`` of a tracking server, retrying with exponential backoff."""
    if not is_remote(uri):
        if uri.startswith("sqlite:///"):
            Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        return
    url = uri.rstrip("/") + "/health"
    delay = first_delay
    last = ""
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - user-configured URL
                if response.status < 500:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return  # the server answered; auth or routing problems surface with a clear error later
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        if attempt < attempts:
            time.sleep(delay)
            delay *= 2
    raise InfrastructureUnreachable(
        f"MLflow tracking server {redact(uri)} is unreachable after {attempts} attempts ({last})",
        hint="check mlflow.tracking_uri / MLFLOW_TRACKING_URI and that the server is up",
    )
