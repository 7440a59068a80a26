"""Work run in a forked child beside the parent: results, errors and crashes come back as they were."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from shipml import beside
from shipml.errors import ExitCode, InfrastructureUnreachable, InputDataError, MissingExtra


def test_both_results_come_back_and_the_child_really_ran_in_another_process() -> None:
    assert beside.can_fork()  # CI machines have 2 CPUs: the forked path is the one tested here
    parent_pid = os.getpid()
    child, mine = beside.together(lambda: (os.getpid(), list(range(5))), lambda: "parent")
    assert child[0] != parent_pid and child[1] == [0, 1, 2, 3, 4] and mine == "parent"


def test_the_two_overlap_in_time() -> None:
    start = time.monotonic()
    beside.together(lambda: time.sleep(0.6), lambda: time.sleep(0.6))
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize(
    "error",
    [
        InputDataError("column 'age' is empty", hint="fill it"),
        InfrastructureUnreachable("worker lost"),
        MissingExtra("validate", "evidently"),
    ],
)
def test_a_shipml_error_in_the_child_is_raised_again_with_its_type_message_and_hint(error: Exception) -> None:
    def child() -> None:
        raise error

    with pytest.raises(type(error)) as caught:
        beside.together(child, lambda: None)
    assert str(caught.value) == str(error)
    assert caught.value.exit_code == error.exit_code  # type: ignore[attr-defined]
    assert caught.value.exit_code in (ExitCode.BAD_INPUT, ExitCode.INFRASTRUCTURE)  # type: ignore[attr-defined]


def test_any_other_error_in_the_child_carries_its_traceback() -> None:
    def child() -> None:
        raise KeyError("missing")

    with pytest.raises(beside.ChildFailed, match="KeyError: 'missing'"):
        beside.together(child, lambda: None)


def test_a_child_killed_by_a_signal_is_an_error_not_an_empty_result() -> None:
    with pytest.raises(beside.ChildFailed, match="killed by signal 9"):
        beside.together(lambda: os.kill(os.getpid(), signal.SIGKILL), lambda: None)


def test_an_error_in_the_parent_stops_the_child(tmp_path: Path) -> None:
    marker = tmp_path / "child-finished"

    def child() -> None:
        time.sleep(2)
        marker.write_text("done")

    def parent() -> None:
        raise InputDataError("bad suite")

    with pytest.raises(InputDataError, match="bad suite"):
        beside.together(child, parent)
    time.sleep(2.5)
    assert not marker.exists()


def test_without_fork_the_same_results_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    child, mine = beside.together(os.getpid, lambda: "parent")
    assert child == os.getpid() and mine == "parent"


def test_spread_returns_each_value_in_order_each_from_its_own_process() -> None:
    values = beside.spread([lambda i=i: (i, os.getpid()) for i in range(4)])
    assert [v[0] for v in values] == [0, 1, 2, 3]
    pids = [v[1] for v in values]
    assert pids[0] == os.getpid() and len(set(pids)) == 4  # the first here, every other one forked


def test_spread_runs_its_parts_at_the_same_time() -> None:
    start = time.monotonic()
    beside.spread([lambda: time.sleep(0.6)] * 3)
    assert time.monotonic() - start < 1.1


def test_spread_raises_a_part_s_error_and_stops_the_parts_still_running(tmp_path: Path) -> None:
    marker = tmp_path / "slow-part-finished"

    def failing() -> None:
        raise InputDataError("resample 3 is bad")

    def slow() -> None:
        time.sleep(2)
        marker.write_text("done")

    with pytest.raises(InputDataError, match="resample 3 is bad"):
        beside.spread([lambda: None, failing, slow])
    time.sleep(2.5)
    assert not marker.exists()


def test_spread_without_fork_runs_every_part_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    assert beside.spread([os.getpid, os.getpid]) == [os.getpid(), os.getpid()]


# The helper: one forked child serving several calls, keeping what it imported and built.
_STATE: dict[str, object] = {}


def _remember(key: str, value: object) -> int:
    _STATE[key] = value
    return os.getpid()


def _recall(key: str) -> tuple[int, object]:
    return os.getpid(), _STATE.get(key)


def _import_in_child(name: str) -> bool:
    import importlib
    import sys

    importlib.import_module(name)
    return name in sys.modules


def _fail_with(error: Exception) -> None:
    raise error


def _unpicklable() -> object:
    return lambda: None


def _sleep_then(seconds: float, value: int) -> int:
    time.sleep(seconds)
    return value


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_helper_keeps_its_state_between_calls_in_its_own_process() -> None:
    import sys

    _STATE.clear()
    with beside.helper() as h:
        pid = h.submit(_remember, "client", "connected").result()
        assert pid != os.getpid()
        assert h.submit(_recall, "client").result() == (pid, "connected")  # same child, state kept
        # what the child imports stays out of the parent (the gate's reason for a helper)
        assert "wave" not in sys.modules
        assert h.submit(_import_in_child, "wave").result() is True
        assert "wave" not in sys.modules
    assert "client" not in _STATE


def test_a_helper_call_runs_while_the_parent_works() -> None:
    start = time.monotonic()
    with beside.helper() as h:
        pending = h.submit(_sleep_then, 0.6, 7)
        time.sleep(0.6)
        assert pending.result() == 7
    assert time.monotonic() - start < 1.0


def test_a_helper_s_errors_come_back_typed_and_it_goes_on_serving() -> None:
    with beside.helper() as h:
        with pytest.raises(InputDataError) as caught:
            h.submit(_fail_with, InputDataError("model v3 not found", hint="check the alias")).result()
        assert caught.value.exit_code == ExitCode.BAD_INPUT and caught.value.hint == "check the alias"
        with pytest.raises(beside.ChildFailed, match="ZeroDivisionError"):
            h.submit(_fail_with, ZeroDivisionError("boom")).result()
        with pytest.raises(beside.ChildFailed, match="pickle"):
            h.submit(_unpicklable).result()
        assert h.submit(_sleep_then, 0, 3).result() == 3


def test_a_helper_killed_mid_call_is_an_error_naming_the_signal() -> None:
    with beside.helper() as h, pytest.raises(beside.ChildFailed, match="killed by signal 9"):
        h.submit(_die).result()


def test_one_call_at_a_time() -> None:
    with beside.helper() as h:
        first = h.submit(_sleep_then, 0.1, 1)
        with pytest.raises(RuntimeError, match="one call at a time"):
            h.submit(_sleep_then, 0, 2)
        assert first.result() == 1


def test_an_error_in_the_parent_kills_the_helper() -> None:
    with pytest.raises(KeyError), beside.helper() as h:
        h.submit(_sleep_then, 30, 1)
        pid = h._pid
        raise KeyError("parent failed")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no child left behind


def test_a_helper_without_fork_runs_each_call_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    _STATE.clear()
    with beside.helper() as h:
        assert h.submit(_remember, "client", 1).result() == os.getpid()
        with pytest.raises(InputDataError):
            h.submit(_fail_with, InputDataError("no")).result()
    assert _STATE == {"client": 1}


def test_low_priority_work_runs_idle_in_its_own_thread_and_its_errors_come_back() -> None:
    import threading

    def policy() -> tuple[int, int]:
        tid = threading.get_native_id()
        return tid, os.sched_getscheduler(tid)

    tid, sched = beside.low_priority(policy)
    assert tid != threading.get_native_id() and sched == os.SCHED_IDLE
    assert os.sched_getscheduler(threading.get_native_id()) == os.SCHED_OTHER  # this thread keeps its own
    with pytest.raises(InputDataError, match="bad"):
        beside.low_priority(lambda: _fail_with(InputDataError("bad")))
