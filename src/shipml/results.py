"""The result file every command writes, and the step outputs derived from it.

A result file is the contract between steps and jobs: ``shipml comment`` composes
the files that validate, train and gate wrote, possibly in another workflow run
(downloaded as artifacts), possibly by a newer shipml. Hence a schema version,
and ``details`` kept as plain JSON so an older reader renders what it knows.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import __version__, runner
from .errors import InputDataError
from .outcome import Clock, Outcome, OutcomeStatus, default_result_path

__all__ = [
    "SCHEMA_VERSION",
    "Clock",
    "Outcome",
    "OutcomeStatus",
    "Result",
    "build_result",
    "default_result_path",
    "publish",
    "read_result",
    "write_result",
]

SCHEMA_VERSION = 1

Status = Literal["passed", "failed", "inconclusive", "error"]


class Result(BaseModel):
    """What one shipml command concluded."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    command: str
    status: Status
    summary: str = Field(default="", description="One line, also printed at the end of the command.")
    summary_md: str = Field(default="", description="Markdown fragment for the PR comment and job summary.")
    details: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(
        default_factory=dict, description="Step outputs, besides status/result-file."
    )
    blocking: bool = Field(
        default=False,
        description="Whether this result stops the pipeline (a failure, an error, or an inconclusive "
        "verdict the project chose to fail on); the PR report's verdict follows it.",
    )
    started_at: str
    duration_s: float
    shipml_version: str = __version__
    commit: str | None = None
    run_url: str | None = None
    pr_number: int | None = None


def build_result(command: str, clock: Clock, outcome: Outcome | None = None, *, error: str = "") -> Result:
    """The result file's content: the outcome (or the error) plus timing, commit, run and PR."""
    ctx = runner.run_context()
    if outcome is None:
        outcome = Outcome("failed", summary=error, summary_md=f"**shipml {command}**: error — {error}")
    return Result(
        command=command,
        status="error" if error else outcome.status,
        summary=outcome.summary,
        summary_md=outcome.summary_md,
        details=outcome.details,
        outputs=outcome.outputs,
        blocking=bool(error) or outcome.blocks,
        started_at=clock.started_at,
        duration_s=round(time.perf_counter() - clock.started, 3),
        commit=ctx.commit,
        run_url=ctx.run_url,
        pr_number=ctx.pr_number,
    )


def write_result(result: Result, path: str | os.PathLike[str] | None = None) -> Path:
    """Write atomically: a reader (or a crashed step) never sees half a file."""
    target = Path(path) if path else default_result_path(result.command)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def load_result_data(path: str | os.PathLike[str]) -> Any:
    """The parsed JSON of a result file, or one line saying why it cannot be read."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputDataError(
            f"cannot read result file {source}: {exc}", hint="check the path and permissions"
        ) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputDataError(
            f"result file {source} is not valid JSON ({exc})",
            hint="pass files written by a shipml command (--result-file); a truncated upload can cause this",
        ) from None


def validate_result(data: Any, source: str | os.PathLike[str]) -> Result:
    try:
        return Result.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputDataError(
            f"{source} is not a valid shipml result file ({key}: {first['msg']})",
            hint="pass files written by a shipml command (--result-file)",
        ) from None


def read_result(path: str | os.PathLike[str]) -> Result:
    return validate_result(load_result_data(path), path)


def publish(result: Result, path: Path) -> None:
    """Step outputs and job summary for a finished command."""
    runner.set_outputs({"status": result.status, "result-file": str(path), **result.outputs})
    if result.summary_md:
        runner.append_summary(result.summary_md)
