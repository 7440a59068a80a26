"""``shipml <command>``: argument parsing, the error contract and result publishing.

Commands are registered by module path and imported only when chosen, so
``shipml comment`` never pays for MLflow or Evidently imports, and ``--help``
starts in a fraction of a second. A command module provides ``HELP``,
``add_arguments(parser)`` and ``run(args) -> Result``; everything common (config
flags, result file, outputs, summary, exit code, one-line errors) happens here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from . import __version__, runner
from .commands import REGISTRY as COMMANDS
from .errors import ExitCode, ShipmlError

if TYPE_CHECKING:
    from .results import Result


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", default=None, help="Path to shipml.yaml (default: $SHIPML_CONFIG or ./shipml.yaml)."
    )
    parser.add_argument(
        "--result-file",
        default=None,
        help="Where to write the JSON result (default: $RUNNER_TEMP/shipml/results/<command>.json).",
    )
    parser.add_argument("--debug", action="store_true", help="Show tracebacks for errors.")


def build_parser(selected: str | None) -> tuple[argparse.ArgumentParser, ModuleType | None]:
    parser = argparse.ArgumentParser(
        prog="shipml",
        description="Take a machine-learning model from a pull request to production safely.",
        epilog="Exit codes: 0 ok, 1 gate/policy failed, 2 bad input or config, 3 infrastructure unreachable, "
        "4 inconclusive (when asked to fail on it).",
    )
    parser.add_argument("--version", action="version", version=f"shipml {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    module = None
    for name, (mod_path, help_text) in COMMANDS.items():
        cmd_parser = sub.add_parser(name, help=help_text, description=help_text)
        _common(cmd_parser)
        if name == selected:
            module = importlib.import_module(mod_path)
            module.add_arguments(cmd_parser)
    return parser, module


def _selected(argv: Sequence[str]) -> str | None:
    for token in argv:
        if token in COMMANDS:
            return token
        if not token.startswith("-"):
            return None
    return None


def _debug(args: argparse.Namespace | None) -> bool:
    env = os.environ.get("SHIPML_DEBUG", "") or os.environ.get("RUNNER_DEBUG", "")
    return bool(getattr(args, "debug", False)) or env.lower() in ("1", "true")


def exit_code_for(result: Result) -> ExitCode:
    if result.status == "passed":
        return ExitCode.OK
    if result.status == "failed":
        return ExitCode.POLICY_FAILED
    if result.status == "inconclusive":
        return ExitCode.INCONCLUSIVE if result.outputs.get("fail-on-inconclusive") else ExitCode.OK
    return ExitCode.BAD_INPUT


def _finish(result: Result, result_file: str | None) -> Result:
    from .results import publish, write_result

    path = write_result(result, result_file).resolve()
    publish(result, path)
    line = f"shipml {result.command}: {result.status}"
    if result.summary:
        line += f": {result.summary}"
    stream = sys.stderr if result.status == "error" else sys.stdout
    print(f"{line} ({result.duration_s:.1f}s)", file=stream, flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = _selected(argv)
    parser, module = build_parser(selected)
    args = parser.parse_args(argv)
    if module is None:
        parser.print_help()
        return int(ExitCode.BAD_INPUT) if argv else int(ExitCode.OK)
    # pydantic (via results) is imported only once a command runs: --help stays instant.
    from .results import ResultRecorder

    recorder = ResultRecorder(args.command)
    try:
        result: Result = module.run(args)
    except KeyboardInterrupt:
        print("shipml: interrupted", file=sys.stderr)
        return 130
    except ShipmlError as exc:
        if _debug(args):
            traceback.print_exc()
        message = str(exc)
        if runner.in_actions():
            runner.error(message, title=f"shipml {args.command}")
        err = recorder.finish(
            "error", summary=message, summary_md=f"**shipml {args.command}**: error — {message}"
        )
        _safe_finish(err, args)
        return int(exc.exit_code)
    except Exception as exc:  # a bug in shipml: show everything
        traceback.print_exc()
        message = f"internal error: {type(exc).__name__}: {exc}"
        runner.error(
            f"{message} (please report this with the traceback above)", title=f"shipml {args.command}"
        )
        _safe_finish(recorder.finish("error", summary=message), args)
        return int(ExitCode.INTERNAL)
    _finish(result, args.result_file)
    return int(exit_code_for(result))


def _safe_finish(result: Result, args: argparse.Namespace) -> None:
    """Record the error as a result too; a broken result path must not hide the real error."""
    try:
        _finish(result, args.result_file)
    except OSError as exc:
        print(f"shipml: could not write result file: {exc}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
