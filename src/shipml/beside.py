"""Run pieces of work in forked children while the parent does another, on the other cores.

Why: ``shipml validate`` spends most of a small PR's step importing Great Expectations and
Evidently (about 3 s each on a runner), and the two parts do not depend on each other.
Imports are Python work under one GIL, so threads would not overlap them; a forked child
inherits the data already read and overlaps the whole drift part with the expectations.

The child's result comes back pickled through a pipe. A shipml error raised in the child is
raised again in the parent with the same type, message and hint (so the exit code is the
one the work would have had); anything else becomes an internal error carrying the child's
traceback. Where fork is unavailable or only one CPU is usable, they run one after the
other in this process, with the same results.

:func:`together` runs two different works (validate's two halves); :func:`spread` runs
parts of one (the gate's bootstrap, a share of its resamples per core); :func:`helper` keeps
one child for several calls, so what it imported for the first stays out of this process
(the gate's MLflow side: resolving, downloading and recording).
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, NoReturn, TypeVar

from .errors import ShipmlError

A = TypeVar("A")
B = TypeVar("B")


def usable_cpus() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """fork is used on Linux with two or more usable CPUs (macOS forbids fork after some libraries)."""
    return sys.platform == "linux" and hasattr(os, "fork") and usable_cpus() >= 2


class ChildFailed(RuntimeError):
    """The forked work ended without a result: it crashed (a signal) or raised a non-shipml error."""


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _encode_error(exc: BaseException) -> tuple[str, Any]:
    if isinstance(exc, ShipmlError):
        return "shipml", (type(exc), exc.message, exc.hint)
    return "other", "".join(traceback.format_exception(exc))


class _Child:
    """A forked child computing one work; its pickled outcome arrives on ``fd``."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd

    def stop(self) -> None:
        """Kill and reap it: its work is no longer wanted (another part failed)."""
        os.kill(self.pid, signal.SIGKILL)
        os.close(self.fd)
        os.waitpid(self.pid, 0)

    def result(self) -> Any:
        """Its work's value, or its error raised again here."""
        data = _read_all(self.fd)
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        if not data:
            how = (
                f"was killed by signal {os.WTERMSIG(status)}"
                if os.WIFSIGNALED(status)
                else f"exited with {os.waitstatus_to_exitcode(status)} and no result"
            )
            raise ChildFailed(f"the work run beside this process {how}")
        return _decode(data)


def _decode(data: bytes) -> Any:
    """The value of an outcome a child sent, or its error raised again here."""
    kind, value = pickle.loads(data)  # our own child's bytes through our own pipe
    if kind == "ok":
        return value
    if kind == "shipml":
        cls, message, hint = value
        error = cls.__new__(cls)
        ShipmlError.__init__(error, message, hint=hint)
        raise error
    raise ChildFailed(f"the work run beside this process failed:\n{value}")


def _outcome(work: Callable[[], Any]) -> bytes:
    """``work()``'s value or error, pickled for the parent (an unpicklable value is an error too)."""
    try:
        payload: tuple[str, Any] = ("ok", work())
    except BaseException as exc:  # every outcome goes back to the parent
        payload = _encode_error(exc)
    try:
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        return pickle.dumps(_encode_error(exc), protocol=pickle.HIGHEST_PROTOCOL)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fork(work: Callable[[], Any]) -> _Child:
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do the work, send the outcome, leave without running the parent's exit code
        os.close(read_fd)
        code = 0
        try:
            _write_all(write_fd, _outcome(work))
        except BaseException:  # e.g. the parent is gone: it reports no result
            code = 70
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_fd)  # the child holds the only write end: its exit is the end of the data
    return _Child(pid, read_fd)


def _results(children: list[_Child]) -> list[Any]:
    """Every child's value in order; if one failed, the others are stopped before its error is raised."""
    values: list[Any] = []
    for i, child in enumerate(children):
        try:
            values.append(child.result())
        except BaseException:
            for other in children[i + 1 :]:
                other.stop()
            raise
    return values


def _run_beside(children_work: list[Callable[[], Any]], here: Callable[[], B]) -> tuple[list[Any], B]:
    children: list[_Child] = []
    try:
        for work in children_work:
            children.append(_fork(work))
        mine = here()
    except BaseException:
        for child in children:
            child.stop()
        raise
    return _results(children), mine


def together(child: Callable[[], A], parent: Callable[[], B]) -> tuple[A, B]:
    """``(child(), parent())``, the first in a forked process when that can run beside this one."""
    if not can_fork():
        return child(), parent()
    (value,), mine = _run_beside([child], parent)
    return value, mine


def spread(works: Sequence[Callable[[], A]]) -> list[A]:
    """Each work's value, in order: the first here, each other one in its own forked child, all at once.

    For CPU-bound NumPy work in many short calls, where threads lose much of
    their second core to handing the GIL back and forth (the gate's bootstrap
    ran 1.6x faster this way on two cores than on two threads).
    """
    if len(works) <= 1 or not can_fork():
        return [work() for work in works]
    rest, first = _run_beside(list(works[1:]), works[0])
    return [first, *rest]


_FRAME = struct.Struct("!Q")  # length prefix of each message between a helper and its parent


def _send(fd: int, data: bytes) -> None:
    _write_all(fd, _FRAME.pack(len(data)) + data)


def _receive(fd: int) -> bytes | None:
    """One framed message, or None at end of file (the other side closed its end, or died mid-message)."""
    head = _read_exactly(fd, _FRAME.size)
    return None if head is None else _read_exactly(fd, _FRAME.unpack(head)[0])


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Pending(Generic[A]):
    """A call sent to a helper; :meth:`result` waits for its value (or raises its error)."""

    def __init__(self, helper: Helper, outcome: bytes | None = None) -> None:
        self._helper, self._outcome = helper, outcome

    def result(self) -> A:
        if self._outcome is None:
            self._outcome = self._helper._answer()
        value: A = _decode(self._outcome)
        return value


class Helper:
    """A forked child that runs calls one at a time and keeps its state (imports, connections) between them.

    Calls are module-level functions and picklable arguments, sent through a pipe; each
    value or error comes back as :func:`together`'s does. Without fork (one CPU, macOS)
    every call runs here, at once, with the same results.
    """

    def __init__(self) -> None:
        self._pid = 0
        self._to_child = self._from_child = -1
        self._waiting = False
        if not can_fork():
            return
        sys.stdout.flush()
        sys.stderr.flush()
        requests, request_end = os.pipe()
        answer_end, answers = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(request_end)
            os.close(answer_end)
            _serve(requests, answers)
        os.close(requests)
        os.close(answers)
        self._pid, self._to_child, self._from_child = pid, request_end, answer_end

    def submit(self, fn: Callable[..., A], *args: Any) -> Pending[A]:
        """Start ``fn(*args)`` in the child (here, if there is none); one call at a time."""
        if not self._pid:
            return Pending(self, _outcome(functools.partial(fn, *args)))
        if self._waiting:
            raise RuntimeError("a helper runs one call at a time: take the last one's result first")
        _send(self._to_child, pickle.dumps((fn, *args), protocol=pickle.HIGHEST_PROTOCOL))
        self._waiting = True
        return Pending(self)

    def _answer(self) -> bytes:
        data = _receive(self._from_child)
        self._waiting = False
        if data is None:
            status = self._end()
            how = (
                f"was killed by signal {os.WTERMSIG(status)}"
                if os.WIFSIGNALED(status)
                else f"exited with {os.waitstatus_to_exitcode(status)}"
            )
            raise ChildFailed(f"the helper process {how} before answering")
        return data

    def close(self, *, kill: bool = False) -> None:
        """End the child: at once (``kill``: its work is no longer wanted) or once it reads end of file."""
        if not self._pid:
            return
        if kill:
            os.kill(self._pid, signal.SIGKILL)
        self._end()

    def _end(self) -> int:
        """Close both pipes and reap the child; its wait status."""
        os.close(self._to_child)
        os.close(self._from_child)
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        return status


def _serve(requests: int, answers: int) -> NoReturn:
    """The helper child's loop: run and answer each call; at end of file, leave without the parent's exit."""
    code = 0
    try:
        while (message := _receive(requests)) is not None:
            call = functools.partial(*pickle.loads(message))  # from our own parent, through our own pipe
            outcome = _outcome(call)
            sys.stdout.flush()
            sys.stderr.flush()
            _send(answers, outcome)
    except BaseException:  # the parent went away mid-message, or an interrupt
        code = 70
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


@contextmanager
def helper() -> Iterator[Helper]:
    """A :class:`Helper` for the block: ended normally when it finishes, killed when it raises."""
    h = Helper()
    try:
        yield h
    except BaseException:
        h.close(kill=True)
        raise
    h.close()


def low_priority(work: Callable[[], A]) -> A:
    """``work()`` in a thread that gets the CPU only when nothing else wants it, while a program runs.

    Why: ``shipml scan`` validates its config and imports its report code while trivy
    scans; on two cores that work took CPU from trivy (about 0.07 s slower per scan). Under
    ``SCHED_IDLE`` (else nice +10) it uses only what trivy leaves idle. Linux sets the policy
    per thread, and the thread ends with the work, so this process's main thread and any
    program it starts later keep theirs. Elsewhere ``work`` simply runs here.
    """
    if sys.platform != "linux":
        return work()
    box: dict[str, Any] = {}

    def run() -> None:
        tid = threading.get_native_id()
        try:
            os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        except (OSError, AttributeError):  # not allowed or not offered: nice, else the usual priority
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, tid, 10)
        try:
            box["value"] = work()
        except BaseException as exc:  # raised again in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="shipml-low-priority", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: A = box["value"]
    return value
