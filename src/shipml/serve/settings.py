"""Validated server settings, built from flags and env vars (see :mod:`.options`).

Also the form in which settings travel to worker processes (JSON in one env var),
because uvicorn starts extra workers by import string, not with Python objects.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import UsageError
from . import options

SETTINGS_ENV = "SHIPML_SERVE_SETTINGS_JSON"


class ServeSettings(BaseModel):
    """Everything the server needs to start; immutable once validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_dir: Path
    model_name: str | None = None
    model_version: str | None = None
    run_id: str | None = None
    image_digest: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    max_batch_rows: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    graceful_timeout: float = Field(default=30.0, gt=0)
    inject_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    inject_latency_ms: float = Field(default=0.0, ge=0.0)
    inject_load_delay_s: float = Field(default=0.0, ge=0.0)

    @property
    def faults(self) -> bool:
        return bool(self.inject_error_rate or self.inject_latency_ms or self.inject_load_delay_s)

    def to_env(self) -> str:
        return self.model_dump_json()


def from_args(args: argparse.Namespace, environ: dict[str, str] | None = None) -> ServeSettings:
    """Settings from flags over env vars over defaults; a bad value is one line naming its flag."""
    values = options.resolve(args, environ)
    if "model_dir" not in values:
        raise UsageError("no model directory given", hint="pass --model-dir DIR or set SHIPML_MODEL_DIR")
    try:
        return ServeSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        raise UsageError(
            f"{options.flag_for(field)}: {first['msg']} (got {first.get('input')!r})",
            hint="fix the value",
        ) from None


def from_env() -> ServeSettings:
    """In a worker process: the settings the parent serialized."""
    return ServeSettings.model_validate_json(os.environ[SETTINGS_ENV])
