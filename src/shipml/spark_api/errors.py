"""One translator from Spark/Py4J failures to shipml's exit codes.

Spark reports everything as a Java exception text; what matters to a user is whose
problem it is. A path or table that does not exist, or cannot be read, is the user's
(exit 2, naming it). A lost worker, a dead JVM or a master that stopped answering is
the infrastructure's (exit 3, with Spark's own reason). Anything else is a bug here or
in Spark and is left to propagate (exit 70 with the traceback).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import InfrastructureUnreachable, InputDataError, ShipmlError

_PATH = re.compile(r"\[PATH_NOT_FOUND\][^:]*:\s*(?P<path>\S+?)\.?(\s|$)")
_TABLE = re.compile(r"\[TABLE_OR_VIEW_NOT_FOUND\][^`]*`?(?P<table>[^`\s]+)`?")
_UNREADABLE = ("AccessDeniedException", "Permission denied", "[FAILED_READ_FILE", "UNABLE_TO_INFER_SCHEMA")
# Failures of the cluster, not of the data: each text is what Spark prints for it.
_INFRA = (
    "ExecutorLostFailure",
    "Lost executor",
    "worker lost",
    "Worker lost",
    "Remote RPC client disassociated",
    "SparkContext was shut down",
    "Cannot call methods on a stopped SparkContext",
    "All masters are unresponsive",
    "Master removed our application",
    "Connection refused",
    "JAVA_GATEWAY_EXITED",
    "Answer from Java side is empty",
    "Py4JNetworkError",
    "cancelled because SparkContext was shut down",
)
_REASON = re.compile(
    r"(ExecutorLostFailure[^\n]*|Lost executor[^\n]*|Job aborted due to stage failure:[^\n]*)"
)


def reason(text: str) -> str:
    """The line of Spark's message that says what happened, trimmed for a one-line error."""
    match = _REASON.search(text)
    line = match.group(1) if match else (text.strip().splitlines() or ["unknown error"])[0]
    return line.strip()[:400]


def is_infrastructure(text: str) -> bool:
    return any(marker in text for marker in _INFRA)


def translate(
    exc: BaseException, what: str, lost: Callable[[], str | None] | None = None
) -> Exception | None:
    """The ShipmlError for ``exc`` raised while doing ``what``; None when it is not ours to explain."""
    text = f"{type(exc).__name__}: {exc}"
    java = getattr(exc, "java_exception", None)
    if java is not None:
        with contextlib.suppress(Exception):  # the JVM may be gone; the Python text is enough then
            text += "\n" + str(java.toString())
    lost_reason = lost() if lost else None
    if lost_reason:
        return InfrastructureUnreachable(
            f"Spark lost its workers while {what}: {lost_reason}",
            hint="check the cluster's workers (memory, preemption) and rerun; nothing was written",
        )
    if match := _PATH.search(text):
        return InputDataError(
            f"{what}: path not found: {match.group('path')}",
            hint="fix the path (spark.current/spark.reference, --data, data.*) or the URI scheme",
        )
    if match := _TABLE.search(text):
        return InputDataError(
            f"{what}: table {match.group('table')} not found in Spark's catalog",
            hint="fix spark.current.table / spark.reference.table",
        )
    if is_infrastructure(text):
        return InfrastructureUnreachable(
            f"Spark failed while {what}: {reason(text)}",
            hint="check the master and workers (doctor shows their state) and rerun",
        )
    if any(marker in text for marker in _UNREADABLE):
        return InputDataError(
            f"{what}: cannot read it: {reason(text)}", hint="check the files and permissions"
        )
    return None


@contextmanager
def calling(what: str, lost: Callable[[], str | None] | None = None) -> Iterator[None]:
    """Run Spark work, reporting its failure as a ShipmlError (exit 2 or 3) when it is explainable."""
    try:
        yield
    except Exception as exc:
        # Once the watchdog has cancelled the jobs, whatever fails next is that cancellation
        # seen through another layer: GX, say, catches it and reports the expectation as one
        # that "cannot run on this data" (exit 2). The user's data is not at fault then.
        workers_lost = lost is not None and bool(lost())
        if isinstance(exc, InfrastructureUnreachable) or (isinstance(exc, ShipmlError) and not workers_lost):
            raise
        translated = translate(exc, what, lost)
        if translated is None:
            raise
        raise translated from None
