"""The lost-executor watchdog's decisions, on a stand-in for the few JVM calls it makes.

The real thing (a standalone worker killed mid-job gives exit 3) is
tests/integration/test_validate_spark.py; this pins what the watchdog does when a poll of
a busy JVM fails once, which a real cluster produces only now and then.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from shipml.config.spark import SparkSection
from shipml.spark_api import session as spark_session


@dataclass
class _Option:
    value: str | None

    def isDefined(self) -> bool:  # the JVM objects' spelling
        return self.value is not None

    def get(self) -> str | None:
        return self.value


@dataclass
class _Executor:
    ident: str
    active: bool
    reason: str | None = None

    def id(self) -> str:
        return self.ident

    def isActive(self) -> bool:
        return self.active

    def removeReason(self) -> _Option:
        return _Option(self.reason)


@dataclass
class _Context:
    cancelled: threading.Event = field(default_factory=threading.Event)
    cancels: int = 0

    def statusTracker(self) -> Any:
        class Tracker:
            def getActiveJobsIds(self) -> list[int]:
                return [7]  # a job waits for executors throughout

        return Tracker()

    def cancelAllJobs(self) -> None:
        self.cancels += 1
        if self.cancels >= 2:  # the first cancel, and one more for a job started after it
            self.cancelled.set()


def _watch(polls: list[Any]) -> tuple[spark_session.Session, _Context]:
    """Run the watchdog over ``polls`` (executor lists, or an exception to raise), the last one repeating."""
    context = _Context()
    watched = spark_session.Session.__new__(spark_session.Session)
    watched.section = SparkSection(master="spark://127.0.0.1:7077", executor_lost_timeout=0.5)
    watched.spark = type("Spark", (), {"sparkContext": context})()
    watched._lost = None
    watched._stop = threading.Event()
    answers = iter(polls)
    last: list[Any] = [polls[-1]]

    def executors() -> list[_Executor]:
        answer = next(answers, last[0])
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    watched._executors = executors  # type: ignore[method-assign]
    thread = threading.Thread(target=watched._watch_executors, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while thread.is_alive() and not context.cancelled.is_set() and time.monotonic() < deadline:
        time.sleep(0.1)  # until the cancels under test, or the watch gives up on the JVM
    watched._stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    return watched, context


def test_a_failed_poll_of_a_busy_jvm_does_not_stop_the_watch_nor_does_the_first_cancel() -> None:
    lost = [_Executor("driver", True), _Executor("0", False, "Worker lost: killed")]
    watched, context = _watch([[_Executor("driver", True), _Executor("0", True)], RuntimeError("busy"), lost])
    assert context.cancels >= 2  # jobs started after the first cancel are cancelled too
    assert watched.lost() is not None and "Worker lost: killed" in (watched.lost() or "")


def test_a_jvm_that_stays_unreachable_ends_the_watch_without_cancelling() -> None:
    watched, context = _watch([RuntimeError("gone")])
    assert context.cancels == 0 and watched.lost() is None


def test_an_error_raised_after_the_watchdog_gave_up_is_the_lost_workers_exit_3() -> None:
    """GX catches the cancelled job and reports the expectation as unrunnable; that is not bad data."""
    from shipml.errors import InfrastructureUnreachable, InputDataError
    from shipml.spark_api.errors import calling

    reason = "executor 0: worker lost (no executor for 5s, job cancelled)"
    try:
        with calling("checking expectations", lambda: reason):
            raise InputDataError("suite.yaml:3: expect_column_values_to_not_be_null cannot run on this data")
    except InfrastructureUnreachable as exc:
        assert reason in str(exc) and exc.exit_code == 3
    else:
        raise AssertionError("not translated")
    # without a lost worker, the data error stands (exit 2)
    try:
        with calling("checking expectations", lambda: None):
            raise InputDataError("suite.yaml:3: cannot run on this data")
    except InputDataError as exc:
        assert exc.exit_code == 2
