"""Every fatal condition shipml can report, each with its own exit code and a fix.

One module so that the exit-code contract (documented in the README and relied upon
by workflows that branch on ``steps.<id>.outcome``) lives in exactly one place.
The CLI catches :class:`ShipmlError` and prints ``str(error)`` as one line; a
traceback is shown only with ``--debug``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; stable across releases because workflows depend on them."""

    OK = 0
    POLICY_FAILED = 1  # a gate, policy or check said no
    BAD_INPUT = 2  # the user's config, data or arguments are wrong
    INFRASTRUCTURE = 3  # a service we need (MLflow, GitHub, docker, ...) could not be reached
    INCONCLUSIVE = 4  # only when the user asked to fail on inconclusive verdicts
    INTERNAL = 70  # a bug in shipml itself (EX_SOFTWARE): the traceback is printed


class ShipmlError(Exception):
    """Base of all errors that end a command with a one-line message.

    ``hint`` tells the user how to fix it; it is appended to the message so the
    single line always says what, where and how.
    """

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        text = self.message.rstrip(".")
        if self.hint:
            hint = self.hint.rstrip(".")
            return f"{text}. {hint[:1].upper()}{hint[1:]}."
        return f"{text}."


class ConfigError(ShipmlError):
    """shipml.yaml, an env override or a CLI flag is invalid."""

    exit_code = ExitCode.BAD_INPUT


class InputDataError(ShipmlError):
    """A data file, suite, model or result file given to shipml cannot be used."""

    exit_code = ExitCode.BAD_INPUT


class UsageError(ShipmlError):
    """The command line itself is wrong (missing argument, conflicting flags)."""

    exit_code = ExitCode.BAD_INPUT


class UnwritableDestination(ShipmlError):
    """Where the result or the step outputs must go cannot be written (a path the user gave)."""

    exit_code = ExitCode.BAD_INPUT


class InfrastructureUnreachable(ShipmlError):
    """A service could not be reached even after retries."""

    exit_code = ExitCode.INFRASTRUCTURE


class PolicyFailed(ShipmlError):
    """A gate, validation or policy decided "no" (e.g. a refused promotion).

    Raised from wherever the decision is made; recorded as status ``failed`` (a
    decision, not a crash) with the message as its summary.
    """

    exit_code = ExitCode.POLICY_FAILED


class Inconclusive(ShipmlError):
    """The evidence was not enough to decide and the user chose to fail on that.

    Recorded as a blocking ``inconclusive`` result (exit 4); a command that returns
    its outcome says the same with ``Outcome(status="inconclusive", blocking=True)``.
    """

    exit_code = ExitCode.INCONCLUSIVE


class MissingExtra(ShipmlError):
    """The command needs an optional dependency group that is not installed."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"this command needs the '{extra}' extra (could not import {module})",
            hint=f"install it with: pip install 'shipml[{extra}]'",
        )


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message: errors are reported on one line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def require(module: str, extra: str) -> None:
    """Fail with :class:`MissingExtra` when an optional dependency is absent.

    Checked up front so a user sees which extra to install instead of an
    ImportError traceback from deep inside a command.
    """
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtra(extra, module)
