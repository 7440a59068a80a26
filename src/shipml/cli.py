"""``shipml <command>``: argument parsing, the error contract and result publishing.

Commands are declared in :mod:`shipml.commands` and imported only when chosen, so
``shipml comment`` never pays for MLflow or Evidently imports, and ``--help``
starts in a fraction of a second. A command module adds its arguments and
returns an :class:`~shipml.results.Outcome`; everything common (config flags,
timing, the result file, outputs, summary, exit code, one-line errors) happens
here, once.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .commands import REGISTRY, Command, CommandModule
from .errors import ExitCode, Inconclusive, PolicyFailed, ShipmlError, UnwritableDestination

if TYPE_CHECKING:
    from .outcome import Clock, Outcome, OutcomeStatus
    from .results import Result


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", default=None, help="Path to shipml.yaml (default: $SHIPML_CONFIG or ./shipml.yaml)."
    )
    parser.add_argument(
        "--result-file",
        default=None,
        help="Where to write the JSON result (default: $RUNNER_TEMP/shipml/results/<command>.json).",
    )
    parser.add_argument("--debug", action="store_true", help="Show tracebacks for errors.")


def command_parser(command: Command, parser: argparse.ArgumentParser | None = None) -> CommandModule:
    """Load the command and give ``parser`` (or a new one) its common and own arguments."""
    parser = parser or argparse.ArgumentParser(prog=f"shipml {command.name}", description=command.help)
    add_common_arguments(parser)
    module = command.load()
    module.add_arguments(parser)
    return module


def build_parser(selected: str | None) -> tuple[argparse.ArgumentParser, CommandModule | None]:
    parser = argparse.ArgumentParser(
        prog="shipml",
        description="Take a machine-learning model from a pull request to production safely.",
        epilog="Exit codes: 0 ok, 1 gate/policy failed, 2 bad input or config, 3 infrastructure unreachable, "
        "4 inconclusive (when asked to fail on it).",
    )
    parser.add_argument("--version", action="version", version=f"shipml {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    module = None
    for command in REGISTRY.values():
        cmd_parser = sub.add_parser(command.name, help=command.help, description=command.help)
        if command.name == selected:
            module = command_parser(command, cmd_parser)
        else:
            add_common_arguments(cmd_parser)
    return parser, module


def _selected(argv: Sequence[str]) -> str | None:
    for token in argv:
        if token in REGISTRY:
            return token
        if not token.startswith("-"):
            return None
    return None


def _debug(args: argparse.Namespace | None) -> bool:
    env = os.environ.get("SHIPML_DEBUG", "") or os.environ.get("RUNNER_DEBUG", "")
    return bool(getattr(args, "debug", False)) or env.lower() in ("1", "true")


def _print_traceback() -> None:
    import traceback

    traceback.print_exc()


def exit_code_for(outcome: Outcome) -> ExitCode:
    """passed 0; failed 1 unless not blocking; inconclusive 4 only when blocking."""
    if outcome.status == "failed" and outcome.blocks:
        return ExitCode.POLICY_FAILED
    if outcome.status == "inconclusive" and outcome.blocks:
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK


def check_destinations(command: str, result_file: str | None) -> None:
    """Fail *before* the work when its result cannot be kept (a half-done step is worse).

    A bad --result-file or a $GITHUB_OUTPUT/$GITHUB_STEP_SUMMARY in a missing folder
    would otherwise end a finished promotion or training with a traceback.
    """
    from .outcome import default_result_path

    target = Path(result_file) if result_file else default_result_path(command)
    # Checked without creating anything: the nearest existing folder must take the new file or folders.
    existing = target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    problem = None
    if target.is_dir():
        problem = "it is a directory"
    elif not existing.is_dir():
        problem = f"{existing} is not a folder"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"{existing} is not writable"
    if problem:
        raise UnwritableDestination(
            f"cannot write the result file {target}: {problem}", hint="pass a writable --result-file path"
        )
    for var in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        value = os.environ.get(var)
        if value and not Path(value).parent.is_dir():
            raise UnwritableDestination(
                f"${var} points into a missing folder: {value}",
                hint=f"unset {var} or point it at a file in an existing folder",
            )


def _publish(result: Result, result_file: str | None, *, refused: bool = False) -> None:
    from .results import publish, write_result

    path = write_result(result, result_file).resolve()
    publish(result, path)
    line = f"shipml {result.command}: {result.status}"
    if result.summary:
        line += f": {result.summary}"
    # Errors and refusals raised mid-way go to stderr, like any failing program's last word.
    stream = sys.stderr if result.status == "error" or refused else sys.stdout
    print(f"{line} ({result.duration_s:.1f}s)", file=stream, flush=True)


def _record(result: Result, args: argparse.Namespace, code: int, *, refused: bool = False) -> int:
    """Write and publish; a destination that broke meanwhile is one line and exit 2, not a traceback."""
    try:
        _publish(result, args.result_file, refused=refused)
    except OSError as exc:
        print(
            f"shipml {args.command}: could not record the result ({exc.strerror or exc}: "
            f"{exc.filename or args.result_file}); pass a writable --result-file and check $GITHUB_OUTPUT",
            file=sys.stderr,
        )
        return int(ExitCode.BAD_INPUT)
    return code


def _annotate(message: str, command: str, *, outside_actions: bool) -> None:
    """The error as a workflow annotation (and on stderr outside Actions when ``outside_actions``)."""
    from . import runner  # not at import: nothing of it is needed before a command runs

    if outside_actions or runner.in_actions():
        runner.error(message, title=f"shipml {command}")


def _decided(exc: PolicyFailed | Inconclusive, command: str) -> Outcome:
    """A refusal raised from deep inside a command is a decision, recorded as failed/inconclusive."""
    from .outcome import Outcome

    status: OutcomeStatus = "failed" if isinstance(exc, PolicyFailed) else "inconclusive"
    message = str(exc)
    return Outcome(
        status,
        summary=message,
        summary_md=f"**shipml {command}**: {status} — {message}",
        blocking=True,
    )


def _run(module: CommandModule, args: argparse.Namespace, clock: Clock) -> int:
    """Run the command, then record its result; pydantic (via results) is first imported after it ran.

    A command may start slow external work before it builds its models (``shipml scan``
    starts trivy while the config is validated), so nothing before ``module.run`` imports them.
    """
    command = args.command
    try:
        check_destinations(command, args.result_file)
        outcome = module.run(args)
    except KeyboardInterrupt:
        print("shipml: interrupted", file=sys.stderr)
        return 130
    except UnwritableDestination as exc:
        _annotate(str(exc), command, outside_actions=True)  # nowhere to record it
        return int(exc.exit_code)
    except (PolicyFailed, Inconclusive) as exc:
        if _debug(args):
            _print_traceback()
        _annotate(str(exc), command, outside_actions=False)
        from .results import build_result

        decided = build_result(command, clock, _decided(exc, command))
        return _record(decided, args, int(exc.exit_code), refused=True)
    except ShipmlError as exc:
        if _debug(args):
            _print_traceback()
        message = str(exc)
        _annotate(message, command, outside_actions=False)
        from .results import build_result

        return _record_error(build_result(command, clock, error=message), args, int(exc.exit_code))
    except Exception as exc:  # a bug in shipml: show everything
        _print_traceback()
        message = f"internal error: {type(exc).__name__}: {exc}"
        _annotate(f"{message} (please report this with the traceback above)", command, outside_actions=True)
        from .results import build_result

        return _record_error(build_result(command, clock, error=message), args, int(ExitCode.INTERNAL))
    from .results import build_result

    result = build_result(command, clock, outcome)
    if not result.summary_md:
        # The job summary is the command's report section: the same renderer the PR comment uses.
        from .report.sections import summarised

        result = summarised(result)
    return _record(result, args, int(exit_code_for(outcome)))


def _record_error(result: Result, args: argparse.Namespace, code: int) -> int:
    """Record the error as a result too; a broken result path must not hide the real error."""
    try:
        _publish(result, args.result_file)
    except OSError as exc:
        print(f"shipml: could not write result file: {exc}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Third-party pydantic plugins (validation observers) have no part in checking shipml's own
    # config and results, and finding them reads every installed package's entry points before
    # the first model is built (~0.02 s per command). An explicit setting is respected.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    selected = _selected(argv)
    parser, module = build_parser(selected)
    args = parser.parse_args(argv)
    if module is None:
        parser.print_help()
        return int(ExitCode.BAD_INPUT) if argv else int(ExitCode.OK)
    # pydantic (via results) is imported only once a command has run: --help stays instant.
    from .outcome import Clock

    # When the process ends, its last garbage collection would walk every object of every
    # imported module (pydantic's, MLflow's, ...) to free memory the OS takes back anyway:
    # 50-100 ms after the result is recorded (a twentieth of a cached image scan). Frozen
    # objects are skipped by it. Registered first, this runs after every other exit handler;
    # thread joins and stream flushes are unaffected, and a process calling main() again
    # (tests) keeps collecting until it exits.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    return _run(module, args, Clock.start())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
