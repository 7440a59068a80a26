"""Finding and reaching the MLflow tracking store, without importing MLflow.

Checked before a command starts real work so that an unreachable server is one
clear line with exit 3 (after retries with backoff), never a traceback from deep
inside MLflow's REST client half-way through a registration.
"""

from __future__ import annotations

import argparse
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import runner
from .config import ShipmlConfig
from .config.load import KeyPath
from .errors import InfrastructureUnreachable, require

if TYPE_CHECKING:
    from mlflow import MlflowClient

QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
    # MLflow's INFO lines ("Creating initial MLflow database tables...") drown our own progress.
    "MLFLOW_LOGGING_LEVEL": "WARNING",
    # MLflow's own REST retries default to 7 with factor-2 backoff (minutes of silence);
    # we probe first and keep its in-flight retries short.
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The MLflow flags every registry-using command takes (train, gate, promote)."""
    parser.add_argument(
        "--tracking-uri",
        default="",
        help="MLflow tracking URI (mlflow.tracking_uri); use MLFLOW_TRACKING_URI if it has credentials.",
    )
    parser.add_argument(
        "--registered-model", default="", help="Registered model name (mlflow.registered_model)."
    )


def overrides(args: argparse.Namespace) -> dict[KeyPath, Any]:
    """Config overrides from :func:`add_arguments`' flags (empty means not given)."""
    return {
        ("mlflow", "tracking_uri"): args.tracking_uri,
        ("mlflow", "registered_model"): args.registered_model,
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


def mask_credentials(uri: str) -> None:
    """A URI with user:password, and MLflow's token, must never reach the Actions log."""
    if "@" in uri and "://" in uri:
        runner.mask(uri)
        runner.mask(uri.split("://", 1)[1].split("@", 1)[0])
    runner.mask(os.environ.get("MLFLOW_TRACKING_TOKEN", ""))
    runner.mask(os.environ.get("MLFLOW_TRACKING_PASSWORD", ""))


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
            with urllib.request.urlopen(url, timeout=timeout) as response:
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


def connect(cfg: ShipmlConfig, *, extra: str = "train") -> MlflowClient:
    """Point MLflow at the configured store after proving it answers; return a client.

    Every MLflow-using command goes through here so the reachability check, the
    quiet environment and the registry URI are applied the same way.
    """
    require("mlflow", extra)
    quiet_mlflow()
    uri = tracking_uri(cfg)
    mask_credentials(uri)
    check_reachable(uri)
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    registry: Any = cfg.mlflow.registry_uri
    if registry:
        mlflow.set_registry_uri(registry)
    return MlflowClient(tracking_uri=uri, registry_uri=registry or uri)
