"""A Spark session from the ``spark:`` section, and a watchdog for lost executors.

When the only worker dies, Spark does not fail the job: it re-queues the tasks and
waits for resources forever. In CI that is a hung step, so :class:`Session` watches
the executors while jobs run and, after ``executor_lost_timeout`` seconds with none
left, cancels the jobs and keeps Spark's own removal reason for the error (exit 3).
It goes on cancelling any job started after that, and a poll that fails once does not
end the watch: only a JVM that answers nothing for several seconds does.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import runner
from ..config.spark import SparkSection
from ..errors import ConfigError, require
from .errors import calling

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENV_PREFIX = "env:"
# Quiet, CI-friendly defaults; anything in spark.conf wins.
DEFAULTS = {
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
}
LOCAL_DEFAULTS = {"spark.sql.shuffle.partitions": "4"}  # 200 tiny partitions cost seconds on one host


def resolve_conf(section: SparkSection) -> dict[str, str]:
    """Spark conf with ``env:NAME`` values read from the environment and masked in the log."""
    out = {**DEFAULTS, **(LOCAL_DEFAULTS if section.master.startswith("local") else {})}
    for key, value in section.conf.items():
        if value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX) :]
            if name not in os.environ:
                raise ConfigError(
                    f"spark.conf.{key}: environment variable {name} is not set",
                    hint=f"export {name} (e.g. from a secret) or remove the entry",
                )
            value = os.environ[name]
            runner.mask(value)
        out[key] = value
    return out


WATCH_FAILURES = 5  # consecutive failed polls (one a second) that mean the JVM is gone


class Session:
    """The SparkSession plus what it takes to stop it cleanly and to explain a lost worker."""

    def __init__(self, section: SparkSection) -> None:
        require("pyspark", "spark")
        from pyspark.sql import SparkSession

        self.section = section
        builder = SparkSession.builder.master(section.master).appName(section.app_name)
        for key, value in resolve_conf(section).items():
            builder = builder.config(key, value)
        with calling(f"starting Spark on {section.master}"):
            self.spark: SparkSession = builder.getOrCreate()
            self.spark.sparkContext.setLogLevel("ERROR")
        self._lost: str | None = None
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None
        if not section.master.startswith("local"):
            self._watch = threading.Thread(
                target=self._watch_executors, name="shipml-spark-watch", daemon=True
            )
            self._watch.start()

    def lost(self) -> str | None:
        """Why the jobs were cancelled for want of executors, or None."""
        return self._lost

    @contextmanager
    def calling(self, what: str) -> Iterator[None]:
        with calling(what, self.lost):
            yield
            if self._lost:  # a cancelled job that returned nothing must not read as a pass
                raise RuntimeError("jobs cancelled")

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):  # a dead JVM cannot be stopped; the process exits anyway
            self.spark.stop()

    # -- watchdog ------------------------------------------------------------------------------

    def _executors(self) -> list[Any]:
        store = self.spark.sparkContext._jsc.sc().statusStore()
        listed = store.executorList(False)
        return [listed.apply(i) for i in range(listed.size())]

    def _removal_reasons(self) -> list[str]:
        out = []
        for info in self._executors():
            if info.id() == "driver" or info.isActive():
                continue
            why = info.removeReason()
            out.append(f"executor {info.id()}: {why.get() if why.isDefined() else 'removed'}")
        return out

    def _watch_executors(self) -> None:
        context = self.spark.sparkContext
        seen = False
        empty_since: float | None = None
        failures = 0
        while not self._stop.wait(1.0):
            try:
                active = [e for e in self._executors() if e.id() != "driver" and e.isActive()]
                busy = bool(context.statusTracker().getActiveJobsIds())
                failures = 0
                if self._lost:
                    # Given up already, but a job submitted since (adaptive execution's next query
                    # stage, say) would wait for the same lost workers: cancel it too.
                    if busy and not active:
                        context.cancelAllJobs()
                    continue
                seen = seen or bool(active)
                if active or not busy:
                    empty_since = None
                    continue
                empty_since = empty_since or time.monotonic()
                # before any executor registered, allow twice as long (a cluster may be scaling up)
                limit = self.section.executor_lost_timeout * (1 if seen else 2)
                if time.monotonic() - empty_since >= limit:
                    reasons = self._removal_reasons() if seen else []
                    self._lost = (
                        "; ".join(reasons[-3:]) if reasons else "no executor was granted by the master"
                    ) + f" (no executor for {limit:.0f}s, job cancelled)"
                    context.cancelAllJobs()
            except Exception:
                # A JVM that is gone fails every call (the job's own error then says so); a busy
                # one can fail a call while it removes an executor. Giving up on one failure left
                # a job waiting for a lost worker with nobody watching: a hung step.
                failures += 1
                if failures >= WATCH_FAILURES:
                    return
