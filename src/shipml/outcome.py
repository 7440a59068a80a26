"""What a command returns and when it started: the part of a result that needs no pydantic.

Kept apart from :mod:`shipml.results` (the pydantic result file) so the CLI can time a
command and check where its result will go, and a command can start slow external
work (``shipml scan`` starts trivy), before pydantic and the config models are imported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from . import runner

OutcomeStatus = Literal["passed", "failed", "inconclusive"]  # an error is raised, never returned


@dataclass(frozen=True)
class Outcome:
    """What a command concluded; :func:`shipml.cli.main` turns it into the :class:`Result`.

    Commands only decide: timing, run context, writing the file, step outputs and
    the exit code happen in one place. ``blocking`` says whether a ``failed`` or
    ``inconclusive`` outcome should stop the pipeline; ``None`` is the default of
    its status (failed blocks, inconclusive does not). A blocking inconclusive
    outcome exits 4, a non-blocking failed one 0 (a verdict that is reported,
    not enforced).
    """

    status: OutcomeStatus
    summary: str
    summary_md: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    blocking: bool | None = None

    @property
    def blocks(self) -> bool:
        if self.blocking is not None:
            return self.blocking
        return self.status == "failed"


@dataclass(frozen=True)
class Clock:
    """When a command started: taken before anything else runs, so the duration is honest."""

    started: float
    started_at: str

    @classmethod
    def start(cls) -> Clock:
        return cls(time.perf_counter(), datetime.now(timezone.utc).isoformat(timespec="seconds"))


def default_result_path(command: str) -> Path:
    return runner.work_dir() / "results" / f"{command}.json"
