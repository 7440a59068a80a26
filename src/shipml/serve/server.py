"""Run the server until SIGTERM/SIGINT, drain in-flight requests, exit 0.

uvicorn does the draining (stop accepting, let open requests finish within
``--graceful-timeout``); afterwards it re-raises the signal it caught, which
with the default SIGTERM handler would kill the process with -15 instead of
exiting 0. So no-op handlers are installed for the duration: a drained stop is
a success, as Kubernetes expects.

Nothing here writes outside a temp dir: with one worker nothing is written at
all; with several, Prometheus' multiprocess files go to a fresh dir under
``$TMPDIR`` (mount an emptyDir there on a read-only root filesystem).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from dataclasses import dataclass
from types import FrameType
from typing import Any

from ..errors import ShipmlError, UsageError
from . import logs, mlmodel
from .settings import SETTINGS_ENV, ServeSettings


@dataclass
class ServeOutcome:
    requests: int | None  # None with several workers (each counts its own)
    loaded_at: str | None
    input_path: str | None


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Placeholder handler: uvicorn re-raises the caught signal after a graceful stop."""


def _config_kwargs(settings: ServeSettings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": logs.configure(),
        "access_log": False,
        "server_header": False,
        "timeout_graceful_shutdown": settings.graceful_timeout,
        "lifespan": "on",
    }


def serve(settings: ServeSettings) -> ServeOutcome:
    """Block until stopped. Raises ShipmlError for a bad model dir, a failed load or a busy port."""
    spec = mlmodel.read(settings.model_dir)  # a wrong directory fails before the port is bound
    if settings.faults:
        logs.event(
            "faults_injected",
            "warning",
            **settings.model_dump(include={"inject_error_rate", "inject_latency_ms", "inject_load_delay_s"}),
        )
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if settings.workers > 1:
            return _serve_workers(settings)
        return _serve_one(settings, spec)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve_one(settings: ServeSettings, spec: mlmodel.ModelSpec) -> ServeOutcome:
    import uvicorn

    from .app import ServerState, build

    state = ServerState(settings=settings, spec=spec)
    server = uvicorn.Server(uvicorn.Config(build(state), **_config_kwargs(settings)))

    def stop() -> None:
        server.should_exit = True

    state.on_load_failure = stop
    try:
        server.run()
    except SystemExit:  # uvicorn exits 1 when it cannot bind
        raise UsageError(
            f"cannot listen on {settings.host}:{settings.port}", hint="choose a free port with --port"
        ) from None
    if state.load_error is not None:
        raise state.load_error
    predictor = state.predictor
    return ServeOutcome(state.requests, state.loaded_at, predictor.path if predictor else None)


def _serve_workers(settings: ServeSettings) -> ServeOutcome:
    """Several processes: uvicorn's supervisor imports the app by name in each."""
    import uvicorn

    own_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="shipml-prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    os.environ[SETTINGS_ENV] = settings.to_env()
    try:
        uvicorn.run(
            "shipml.serve.app:app_from_env",
            factory=True,
            workers=settings.workers,
            **_config_kwargs(settings),
        )
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise ShipmlError(
                f"the server on {settings.host}:{settings.port} stopped with code {exc.code}",
                hint="see the log lines above",
            ) from None
    finally:
        if own_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return ServeOutcome(None, None, None)
