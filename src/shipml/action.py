"""``python -m shipml.action [COMMAND]``: run a command from its action's ``INPUT_*`` variables.

Every ``actions/<name>/action.yml`` passes its inputs as ``INPUT_<NAME>`` environment
variables and runs this module, so the input -> flag mapping exists once, here,
derived from the command's own argparse options instead of hand-written bash in
each action.yml:

* input ``foo-bar`` (``INPUT_FOO_BAR``) is option ``--foo-bar`` (any of an option's
  long spellings, e.g. train's ``--alias`` for ``--challenger-alias``);
* an empty value means "not given" (the command's default applies);
* a flag takes ``true``/``false``: ``--x``/``--no-x`` for a ``--[no-]x`` option, and a
  plain flag is passed only for ``true``;
* values go as one ``--option=value`` argument: never split or evaluated by a shell;
* secret inputs (the command's ``secrets``: tracking URI and token, GitHub token)
  become environment variables only, never argv, which process lists and logs show.

Without COMMAND (the root action) it runs ``INPUT_COMMAND`` with ``INPUT_ARGS`` split
like a shell would (quotes respected, nothing expanded) and ``INPUT_CONFIG``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from . import runner
from .commands import REGISTRY, Command
from .errors import UsageError

TRUE = ("true",)
FALSE = ("false",)


def env_name(input_name: str) -> str:
    """The variable an input travels in: ``fail-on`` -> ``INPUT_FAIL_ON``."""
    return "INPUT_" + input_name.upper().replace("-", "_")


@dataclass(frozen=True)
class Option:
    """One argparse option as an action input sees it."""

    names: tuple[str, ...]  # long spellings without "--", e.g. ("challenger-alias", "alias")
    dest: str
    flag: bool  # takes no value: the input is true/false
    negatable: bool  # a --[no-]x BooleanOptionalAction

    def argv(self, name: str, value: str) -> list[str]:
        if not self.flag:
            return [f"--{name}={value}"]
        text = value.strip().lower()
        if text not in TRUE + FALSE:
            raise UsageError(
                f"input '{name}' must be true or false, got {value!r}",
                hint=f"set `{name}: true` or `{name}: false` (or leave it empty for the default)",
            )
        if text in TRUE:
            return [f"--{name}"]
        return [f"--no-{name}"] if self.negatable else []


def options(parser: argparse.ArgumentParser) -> list[Option]:
    """The parser's visible long options (hidden aliases and --help excluded)."""
    found: list[Option] = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        negatable = isinstance(action, argparse.BooleanOptionalAction)
        names = tuple(
            s[2:]
            for s in action.option_strings
            if s.startswith("--") and not (negatable and s.startswith("--no-"))
        )
        found.append(Option(names, action.dest, flag=action.nargs == 0, negatable=negatable))
    return found


def command_options(command: Command) -> list[Option]:
    from .cli import command_parser

    parser = argparse.ArgumentParser(prog=f"shipml {command.name}")
    command_parser(command, parser)
    return options(parser)


NOT_SECRETS = frozenset({"local"})


def build_argv(command: Command, env: MutableMapping[str, str]) -> list[str]:
    """argv for ``command`` from ``env``'s INPUT_* variables; moves secret inputs to their variables."""
    for name, target in command.secrets.items():
        value = env.pop(env_name(name), "")
        if value.strip():
            # A keyword such as `local` (tracking-uri) is a choice, not a secret: masking it would
            # redact that word from every later log line ("job-*** store").
            if value.strip() not in NOT_SECRETS:
                runner.mask(value)
            env[target] = value
    argv = [command.name]
    taken: set[str] = set()
    for option in command_options(command):
        if option.dest in taken:
            continue
        for name in option.names:
            if name in command.secrets:
                continue
            value = env.get(env_name(name), "")
            if value.strip():
                argv += option.argv(name, value)
                taken.add(option.dest)
                break
    return argv


def root_argv(env: Mapping[str, str]) -> list[str]:
    """The root action: any command, its arguments as one shell-like string."""
    name = env.get("INPUT_COMMAND", "").strip()
    if name not in REGISTRY:
        raise UsageError(
            f"input 'command' is {name!r}, not a shipml command",
            hint=f"use one of: {', '.join(REGISTRY)}",
        )
    try:
        extra = shlex.split(env.get("INPUT_ARGS", ""))
    except ValueError as exc:
        raise UsageError(f"input 'args' cannot be split: {exc}", hint="balance the quotes") from None
    config = env.get("INPUT_CONFIG", "")
    return [name, *([f"--config={config}"] if config.strip() else []), *extra]


def main(argv: list[str]) -> int:
    from .cli import main as cli_main

    try:
        if not argv:
            args = root_argv(os.environ)
        else:
            command = REGISTRY.get(argv[0])
            if command is None or len(argv) > 1:
                raise UsageError(
                    f"usage: python -m shipml.action [COMMAND]; got {' '.join(argv)!r}",
                    hint=f"COMMAND is one of: {', '.join(REGISTRY)}",
                )
            args = build_argv(command, os.environ)
    except UsageError as exc:
        runner.error(str(exc), title="shipml action")
        return int(exc.exit_code)
    print(f"shipml: running: shipml {shlex.join(args)}", file=sys.stderr, flush=True)
    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
