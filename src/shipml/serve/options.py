"""The server's flags, each with an environment variable behind it.

Flags for people and tests, env vars for images: the default Dockerfile bakes
``SHIPML_MODEL_NAME``/``SHIPML_MODEL_VERSION``/... into the image so the entry
point stays ``python -m shipml.serve --model-dir /opt/model``. Standard library
only: ``shipml serve --help`` must not import the serving stack.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    flag: str
    env: str
    help: str
    kind: type = str
    default: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS: tuple[Option, ...] = (
    Option("--model-dir", "SHIPML_MODEL_DIR", "MLflow model directory (the folder holding MLmodel)."),
    Option("--model-name", "SHIPML_MODEL_NAME", "Registered model name, reported by /health and metrics."),
    Option("--model-version", "SHIPML_MODEL_VERSION", "Registered model version, reported likewise."),
    Option("--run-id", "SHIPML_RUN_ID", "MLflow run id (default: the one recorded in MLmodel)."),
    Option("--image-digest", "SHIPML_IMAGE_DIGEST", "Digest of the image this server runs in, if known."),
    Option("--host", "SHIPML_SERVE_HOST", "Address to listen on.", default="127.0.0.1"),
    Option("--port", "SHIPML_SERVE_PORT", "Port to listen on.", kind=int, default="8080"),
    Option("--workers", "SHIPML_SERVE_WORKERS", "Worker processes (1 is fastest per core).", int, "1"),
    Option(
        "--max-batch-rows", "SHIPML_SERVE_MAX_BATCH_ROWS", "Largest batch accepted (else 413).", int, "1000"
    ),
    Option(
        "--max-body-bytes",
        "SHIPML_SERVE_MAX_BODY_BYTES",
        "Largest request body accepted (else 413).",
        int,
        str(1024 * 1024),
    ),
    Option(
        "--graceful-timeout",
        "SHIPML_SERVE_GRACEFUL_TIMEOUT",
        "Seconds to let in-flight requests finish after SIGTERM.",
        float,
        "30",
    ),
    # Test-only fault injection, for canary tests: off unless asked for.
    Option(
        "--inject-error-rate",
        "SHIPML_SERVE_INJECT_ERROR_RATE",
        "TEST ONLY (canary tests): answer this share of prediction requests with 500.",
        float,
        "0",
    ),
    Option(
        "--inject-latency-ms",
        "SHIPML_SERVE_INJECT_LATENCY_MS",
        "TEST ONLY (canary tests): add this much latency to every prediction request.",
        float,
        "0",
    ),
    Option(
        "--inject-load-delay-s",
        "SHIPML_SERVE_INJECT_LOAD_DELAY_S",
        "TEST ONLY: wait this long before loading the model (to observe /health 503).",
        float,
        "0",
    ),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags; defaults are resolved later so env vars apply to both entry points."""
    for opt in OPTIONS:
        default = f" (env {opt.env}; default {opt.default})" if opt.default else f" (env {opt.env})"
        parser.add_argument(opt.flag, dest=opt.dest, type=opt.kind, default=None, help=opt.help + default)


def resolve(args: argparse.Namespace, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Flag, else env var, else default; only the options that have a value."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for opt in OPTIONS:
        value = getattr(args, opt.dest, None)
        if value is None or value == "":
            value = env.get(opt.env) or opt.default
        if value is not None and value != "":
            values[opt.dest] = str(value)
    return values


def flag_for(field: str) -> str:
    """The flag (and env var) a settings field comes from, for one-line error messages."""
    for opt in OPTIONS:
        if opt.dest == field:
            return f"{opt.flag} (or {opt.env})"
    return field
