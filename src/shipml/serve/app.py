"""The HTTP API: /health, /predict, /predict/batch, /metrics.

The model loads in a background thread after the lifespan starts, so the port
is open at once and ``/health`` answers 503 until the model is ready (what a
Kubernetes readiness probe wants), then 200. Prediction runs on the event loop
itself: it is CPU-bound and short, and a thread hop per request would cost more
than it saves with one worker per core.

Every HTTP request passes through :class:`Observe`, a plain ASGI wrapper (not a
Starlette middleware: cheaper) that enforces the body limit, adds the request
id, and records the request metrics and one JSON log line.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from ..errors import InputDataError, ShipmlError
from . import loading, logs
from .metrics import Metrics
from .mlmodel import ModelSpec
from .predictor import Predictor, model_columns
from .rows import RequestError, RowValidator
from .settings import ServeSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class ServerState:
    """What the endpoints share; written once by the loader thread, then read-only."""

    settings: ServeSettings
    spec: ModelSpec
    metrics: Metrics = field(default_factory=Metrics)
    predictor: Predictor | None = None
    validator: RowValidator | None = None
    loaded_at: str | None = None
    load_error: ShipmlError | None = None
    requests: int = 0
    on_load_failure: Callable[[], None] | None = None

    _all_ready: bool = False

    def ready(self) -> bool:
        """Loaded here, and (with several workers) in every worker: /health speaks for the whole server."""
        if self.predictor is None:
            return False
        if self.settings.workers == 1:
            return True
        if not self._all_ready:
            self._all_ready = self.metrics.ready_workers() >= self.settings.workers
        return self._all_ready

    @property
    def run_id(self) -> str | None:
        return self.settings.run_id or self.spec.run_id

    def model_info(self) -> dict[str, Any]:
        return {
            "name": self.settings.model_name,
            "version": self.settings.model_version,
            "run_id": self.run_id,
            "model_id": self.spec.model_id,
            "image_digest": self.settings.image_digest,
        }

    def load(self) -> None:
        """Runs in a thread: load, pick the input path, then flip to ready."""
        started = time.perf_counter()
        try:
            if self.settings.inject_load_delay_s:
                time.sleep(self.settings.inject_load_delay_s)
            model = loading.load(self.spec)
            columns = model_columns(self.spec, model)
            if columns is None:
                raise InputDataError(
                    f"model directory {self.spec.directory}: no signature in MLmodel and the model has no "
                    "feature_names_in_",
                    hint="log the model with a signature (mlflow.models.infer_signature)",
                )
            predictor = Predictor(model, self.spec, columns)
        except ShipmlError as exc:
            self._fail(exc)
            return
        except Exception as exc:
            self._fail(InputDataError(f"cannot prepare the model: {type(exc).__name__}: {exc}"))
            return
        self.validator = RowValidator(columns, self.settings.max_batch_rows)
        self.metrics.declare_classes([str(c) for c in predictor.classes])
        info = self.model_info()
        self.metrics.info.labels(
            info["name"] or "", info["version"] or "", info["run_id"] or "", info["image_digest"] or ""
        ).set(1)
        seconds = time.perf_counter() - started
        self.metrics.load_seconds.set(seconds)
        self.loaded_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        self.predictor = predictor  # last: readiness flips only when everything above is in place
        self.metrics.ready.set(1)
        logs.event("model_loaded", load_s=round(seconds, 3), model=info, **predictor.describe())

    def _fail(self, exc: ShipmlError) -> None:
        self.load_error = exc
        logs.event("model_load_failed", "error", message=str(exc))
        if self.on_load_failure is not None:
            self.on_load_failure()


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def _refusal(exc: RequestError) -> Response:
    return _json(exc.status, {"detail": exc.detail})


def create_app(state: ServerState) -> FastAPI:
    """The FastAPI app around ``state``; loading starts with the lifespan."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=state.load, name="shipml-model-load", daemon=True).start()
        yield
        logs.event("shutdown", requests=state.requests)

    app = FastAPI(title="shipml model server", lifespan=lifespan)
    settings = state.settings
    faults = settings.faults
    error_rate, latency = settings.inject_error_rate, settings.inject_latency_ms / 1000.0
    version_header = {"x-model-version": settings.model_version} if settings.model_version else None

    @app.get("/health")
    async def health() -> Response:
        if not state.ready() or state.predictor is None:
            status = "failed" if state.load_error else "loading"
            return _json(503, {"status": status, "model": state.model_info()})
        return _json(
            200,
            {
                "status": "ok",
                "model": state.model_info(),
                "loaded_at": state.loaded_at,
                "input_path": state.predictor.path,
            },
        )

    async def prepare() -> Response | None:
        """Readiness and the test-only faults, shared by both prediction routes."""
        if state.predictor is None:
            return _json(503, {"detail": "the model is not loaded yet"})
        if faults:
            if latency:
                await asyncio.sleep(latency)
            if error_rate and random.random() < error_rate:
                return _json(500, {"detail": "injected fault (--inject-error-rate, for canary tests)"})
        return None

    limit = settings.max_body_bytes

    async def body_json(request: Request) -> Any:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestError(413, f"request body exceeds {limit} bytes")
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks))
        except ValueError as exc:
            raise RequestError(
                422, [{"loc": ["body"], "msg": f"invalid JSON: {exc}", "type": "json_invalid"}]
            ) from None

    def run_model(rows: list[list[Any]]) -> list[dict[str, Any]]:
        assert state.predictor is not None
        out = state.predictor.predict(rows)
        state.metrics.rows.inc(len(rows))
        state.metrics.observe_predictions(out.scores, out.labels)
        return out.outputs

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        early = await prepare()
        if early is not None:
            return early
        assert state.validator is not None
        try:
            row = state.validator.one(await body_json(request))
        except RequestError as exc:
            return _refusal(exc)
        return _json(200, run_model([row])[0], version_header)

    @app.post("/predict/batch")
    async def predict_batch(request: Request) -> Response:
        early = await prepare()
        if early is not None:
            return early
        assert state.validator is not None
        try:
            rows = state.validator.batch(await body_json(request))
        except RequestError as exc:
            return _refusal(exc)
        state.metrics.batch_rows.observe(len(rows))
        return _json(200, {"predictions": run_model(rows)}, version_header)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        logs.event("request_failed", "error", path=request.url.path, error=f"{type(exc).__name__}: {exc}")
        return _json(500, {"detail": f"prediction failed: {type(exc).__name__}"})

    return app


class Observe:
    """ASGI wrapper: declared body size limit (413), request id, request metrics, one JSON log line."""

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state
        self.limit = state.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = ""
        length = -1
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                request_id = value.decode("latin-1")[:128]
            elif key == b"content-length" and value.isdigit():
                length = int(value)
        request_id = request_id or uuid.uuid4().hex
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            if length > self.limit:  # refused before reading; chunked bodies are counted in body_json
                await _send_json(send_with_id, 413, {"detail": f"request body exceeds {self.limit} bytes"})
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = scope["path"]
            self.state.metrics.observe_request(route, status, seconds)
            self.state.requests += 1
            logs.event(
                "request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 3),
                request_id=request_id,
            )


async def _send_json(send: Send, status: int, body: Any) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def build(state: ServerState) -> ASGIApp:
    """The app as served: FastAPI routes inside the observing wrapper."""
    return Observe(create_app(state), state)


def app_from_env() -> ASGIApp:
    """uvicorn's factory in worker processes (workers > 1): settings come from the parent's env."""
    from . import mlmodel
    from .settings import from_env

    settings = from_env()
    return build(ServerState(settings=settings, spec=mlmodel.read(settings.model_dir)))
