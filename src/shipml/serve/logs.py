"""Structured logs: one JSON object per line on stdout, which every log shipper parses.

Written directly (not through ``logging`` handlers and formatters) because the
request line is on the hot path; uvicorn's own records are routed here too so a
container's output is uniformly JSON.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any


def event(name: str, level: str = "info", /, **fields: Any) -> None:
    record = {"ts": round(time.time(), 3), "level": level, "event": name, **fields}
    sys.stdout.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class _JsonHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            event("server", record.levelname.lower(), logger=record.name, message=record.getMessage())
        except Exception:  # a log line must never break a request
            self.handleError(record)


def configure() -> dict[str, Any]:
    """uvicorn's ``log_config``: its records as JSON lines, its access log off (we log requests)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"json": {"()": _JsonHandler}},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
