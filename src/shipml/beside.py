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
parts of one (the gate's bootstrap, a share of its resamples per core).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

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
        kind, value = pickle.loads(data)  # our own child's bytes through our own pipe
        if kind == "ok":
            return value
        if kind == "shipml":
            cls, message, hint = value
            error = cls.__new__(cls)
            ShipmlError.__init__(error, message, hint=hint)
            raise error
        raise ChildFailed(f"the work run beside this process failed:\n{value}")


def _fork(work: Callable[[], Any]) -> _Child:
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do the work, send the outcome, leave without running the parent's exit code
        os.close(read_fd)
        code = 0
        try:
            try:
                payload: tuple[str, Any] = ("ok", work())
            except BaseException as exc:  # every outcome goes back to the parent
                payload = _encode_error(exc)
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view) :]
        except BaseException:  # e.g. an unpicklable result: the parent reports no result
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
