"""Reaching MLflow: a probe before work starts, retries for overload, and one translator for errors.

Errors are sorted by cause, not by the status MLflow happened to answer with.
A tracking server whose database pool is exhausted answers ``BAD_REQUEST``
("QueuePool limit ... timed out"), a busy sqlite answers "database is locked",
a proxy answers 429/503: all of them are overload, so the client returned by
:func:`connect` retries them with jittered exponential backoff, and what is
left after the retries is exit 3 (:class:`InfrastructureUnreachable`), never
exit 2. Only a request the server understood and refused is the user's input.
"""

from __future__ import annotations

import functools
import os
import random
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .. import runner
from ..config import ShipmlConfig
from ..errors import (
    ConfigError,
    InfrastructureUnreachable,
    InputDataError,
    ShipmlError,
    first_line,
    require,
)
from . import store

if TYPE_CHECKING:
    from mlflow import MlflowClient

T = TypeVar("T")

QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
    # MLflow's INFO lines ("Creating initial MLflow database tables...") drown our own progress.
    "MLFLOW_LOGGING_LEVEL": "WARNING",
    # MLflow's own REST retries default to 7 with factor-2 backoff (minutes of silence);
    # we probe first, keep its in-flight retries short and retry overload ourselves.
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
}

# MLflow error codes, defined once for every caller.
NOT_FOUND = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"})
ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
DENIED = frozenset({"PERMISSION_DENIED", "UNAUTHENTICATED", "CUSTOMER_UNAUTHORIZED"})
TRANSIENT = frozenset(
    {
        "TEMPORARILY_UNAVAILABLE",
        "INTERNAL_ERROR",
        "SERVICE_UNDER_MAINTENANCE",
        "DEADLINE_EXCEEDED",
        "REQUEST_LIMIT_EXCEEDED",
        "IO_ERROR",
        "UNPARSEABLE_HTTP_ERROR",
    }
)
# Overload and lost connections, whatever error code they arrive under (pool timeouts come as BAD_REQUEST).
OVERLOAD = re.compile(
    r"QueuePool limit|timed out|timeout|database is locked|too many requests|service unavailable|"
    r"temporarily unavailable|bad gateway|gateway time|error code (429|502|503|504)\b|"
    r"Max retries exceeded|Connection refused|Connection reset|Connection aborted|RemoteDisconnected",
    re.IGNORECASE,
)
HTTP_DENIED = re.compile(r"error code (401|403)\b")

RETRY_ATTEMPTS = 5
RETRY_FIRST_DELAY = 1.0
RETRY_MAX_DELAY = 8.0


def error_code(exc: BaseException) -> str:
    return str(getattr(exc, "error_code", "") or "")


def is_not_found(exc: BaseException) -> bool:
    return _is_mlflow(exc) and error_code(exc) in NOT_FOUND


def is_overload(exc: BaseException) -> bool:
    """Worth retrying: the server (or its database) was busy or unreachable, not wrong about the request."""
    if not _is_mlflow(exc):
        return False
    return error_code(exc) in TRANSIENT or OVERLOAD.search(str(exc)) is not None


def _is_mlflow(exc: BaseException) -> bool:
    from mlflow.exceptions import MlflowException

    return isinstance(exc, MlflowException)


def translate(
    exc: BaseException, doing: str, *, rejected_hint: str = "check the names and versions given"
) -> ShipmlError | None:
    """The one-line shipml error for an exception raised while ``doing``; None for a bug of ours."""
    if isinstance(exc, ShipmlError):
        return exc
    if not _is_mlflow(exc):
        return None
    code = error_code(exc)
    text = first_line(exc) if str(exc).strip() else code
    if code in DENIED or HTTP_DENIED.search(text):
        return ConfigError(
            f"MLflow refused {doing}: {text}",
            hint="check the credentials (MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD) allow this",
        )
    if is_overload(exc):
        return InfrastructureUnreachable(
            f"MLflow tracking server unreachable or overloaded while {doing}: {text[:300]}",
            hint="check the server and re-run, it is safe; a server shared by concurrent jobs needs "
            "more workers and database connections (docs/promotion.md)",
        )
    return InputDataError(f"MLflow rejected {doing}: {text}", hint=rejected_hint)


@contextmanager
def calling(doing: str) -> Iterator[None]:
    """Turn an MLflow error escaping the block into a one-line error with the exit code of its cause."""
    try:
        yield
    except Exception as exc:
        translated = translate(exc, doing)
        if translated is None or translated is exc:
            raise
        raise translated from None


def with_retries(call: Callable[[], T], *, attempts: int = RETRY_ATTEMPTS) -> T:
    """Run ``call``; on overload wait (jittered, doubling) and try again, up to ``attempts`` times."""
    delay = RETRY_FIRST_DELAY
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == attempts or not is_overload(exc):
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, RETRY_MAX_DELAY)
    raise AssertionError("unreachable")


class RetryingClient:
    """An MlflowClient whose public calls go through :func:`with_retries`.

    Registry calls shipml makes are idempotent (reads, tag and alias upserts) or
    safe to repeat: a lock create that succeeded before its answer was lost meets
    its own lock, which :mod:`.lock` recognises by its token.
    """

    def __init__(self, client: MlflowClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            return with_retries(lambda: attr(*args, **kwargs))

        return call


def quiet_mlflow() -> None:
    """Telemetry off and no network probes: CI runners are often offline or metered."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)


def check_reachable(
    uri: str, *, attempts: int = 4, first_delay: float = 0.5, timeout: float = 5.0, creates: bool = True
) -> None:
    """Probe ``/health`` of a tracking server, retrying with exponential backoff.

    A local sqlite store is only created by a command that writes (``creates``): a reader
    (gate, promote, build) on a missing file would otherwise create an empty registry and then
    report "model not found" against it, leaving a ~1 MB database behind.
    """
    if not store.is_remote(uri):
        if uri.startswith("sqlite:///"):
            path = Path(uri[len("sqlite:///") :])
            if not creates and not path.is_file():
                shown = runner.display_path(path)
                raise InputDataError(
                    f"no MLflow store at {shown}: nothing was trained or registered there",
                    hint="run `shipml train` first, or point mlflow.tracking_uri / MLFLOW_TRACKING_URI "
                    "at the store that holds the models",
                )
            path.parent.mkdir(parents=True, exist_ok=True)
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
            if exc.code < 500 and exc.code != 429:
                return  # the server answered; auth or routing problems surface with a clear error later
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        if attempt < attempts:
            time.sleep(delay)
            delay *= 2
    raise InfrastructureUnreachable(
        f"MLflow tracking server {store.redact(uri)} is unreachable after {attempts} attempts ({last})",
        hint="check mlflow.tracking_uri / MLFLOW_TRACKING_URI and that the server is up",
    )


def connect(cfg: ShipmlConfig, *, extra: str = "train", creates: bool = False) -> MlflowClient:
    """Point MLflow at the configured store after proving it answers; return a retrying client.

    Every MLflow-using command goes through here so the reachability check, the
    quiet environment, the registry URI and the overload retries apply the same way.
    """
    require("mlflow", extra)
    quiet_mlflow()
    uri = store.tracking_uri(cfg)
    store.mask_credentials(uri)
    if runner.in_actions() and not store.is_remote(uri):
        runner.warning(
            f"MLflow store is a {store.describe(uri)}: what this step registers, gates or promotes "
            "is gone when the job ends (set tracking-uri to a tracking server to keep it)",
            title="shipml: job-local MLflow store",
        )
    check_reachable(uri, creates=creates)
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    registry: Any = cfg.mlflow.registry_uri
    if registry:
        mlflow.set_registry_uri(registry)
    client = MlflowClient(tracking_uri=uri, registry_uri=registry or uri)
    return cast("MlflowClient", RetryingClient(client))
