"""Start trivy before the CLI is even parsed: ``shipml scan``'s head start, never a guess kept.

Why: the CLI's imports (argparse, every command's declaration, ``dataclasses``), PyYAML and
the config read took ~0.04 s before :mod:`.early` could start trivy. On a cached scan of a
small image that is a twentieth of trivy's own time, spent while trivy had not begun.

So the console script (:mod:`shipml.entry`) hands ``shipml scan``'s arguments here first, and
the plain case is started at once: every token is one of scan's own options (the table below,
checked against the argparse declaration by a test), no ``SHIPML_SCAN__*`` variable is set,
and shipml.yaml does not mention any key that shapes trivy's command. Then the ``scan:``
settings are the flags alone, and :func:`shipml.scan.early.plan` plans from them as always.
Anything else starts nothing here, and :mod:`.early` starts trivy from the raw config a moment
later. The text test is deliberately crude: it only decides whether to try.

The process is kept only when :func:`shipml.scan.early.start` plans exactly the same command
from the merged config (and :func:`shipml.proc.run` checks it again against the validated
one); otherwise it is stopped, as it is when the command ends without claiming it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .. import proc
from ..config.sources import ENV_PREFIX, Merged, find_config_file, flag_path

# ``shipml scan``'s options (its own and the common ones) -> whether each takes a value.
# --help is left out on purpose: it must start nothing.
OPTIONS: dict[str, bool] = {
    "--config": True,
    "--result-file": True,
    "--debug": False,
    "--image": True,
    "--baseline": True,
    "--fail-on": True,
    "--ignore-unfixed": False,
    "--no-ignore-unfixed": False,
    "--cache-dir": True,
    "--trivy": True,
    "--sarif": True,
    "--sbom": True,
    "--require-digest": False,
    "--no-require-digest": False,
}

# The ``scan:`` keys :func:`shipml.scan.early.plan` reads ("trivy" also covers "trivyignore").
COMMAND_KEYS = ("trivy", "cache_dir", "db_repository", "timeout", "scanners", "require_digest")

_started: proc.Running | None = None


def _options(argv: Sequence[str]) -> tuple[dict[str, str | bool], list[str]] | None:
    """The options and positionals as argparse would read them; None at anything unusual."""
    values: dict[str, str | bool] = {}
    positionals: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if not token.startswith("-"):
            positionals.append(token)
            continue
        name, eq, value = token.partition("=")
        takes_value = OPTIONS.get(name)
        if takes_value is None or (eq and not takes_value):
            return None  # --help, an abbreviation, "--", a typo: argparse decides, not a guess
        if takes_value and not eq:
            following = next(tokens, None)
            if following is None or following.startswith("-"):
                return None
            value = following
        values[name] = value if takes_value else True
    return values, positionals


def _plain_command(argv: Sequence[str]) -> proc.Running | None:
    parsed = _options(argv)
    if parsed is None:
        return None
    values, positionals = parsed
    image = str(values.get("--image") or "")
    if len(positionals) > 1 or (image and positionals and positionals[0] != image):
        return None
    image = image or (positionals[0] if positionals else "")
    if not image or any(name.startswith(f"{ENV_PREFIX}SCAN__") for name in os.environ):
        return None
    source = find_config_file(str(values.get("--config") or "") or None)
    if source is not None and any(key in source.read_text(encoding="utf-8") for key in COMMAND_KEYS):
        return None
    if values.get("--require-digest") and values.get("--no-require-digest"):
        return None  # both given: the later one counts, and argv order is not kept here
    flags = {
        "trivy": flag_path(str(values.get("--trivy") or "")),
        "cache_dir": flag_path(str(values.get("--cache-dir") or "")),
        "require_digest": values.get("--require-digest") is True,
    }
    from .early import plan  # not at import: early claims this module's process

    sources = Merged({"scan": {k: v for k, v in flags.items() if v}}, source.resolve() if source else None)
    planned = plan(image, sources)
    return planned.start() if planned is not None else None


def begin(argv: Sequence[str]) -> None:
    """Start trivy for ``shipml scan ARGV`` if that is the plain case; otherwise do nothing."""
    global _started
    try:
        _started = _plain_command(argv)
    except Exception:
        # Only a guess: a bad input here is reported by the command itself (config, target, trivy),
        # and a fault in the guess must never end a scan that would otherwise run.
        _started = None


def claim() -> proc.Running | None:
    """The head-start process, handed over once (the claimer stops it if it does not fit)."""
    global _started
    running, _started = _started, None
    return running


def stop_unclaimed() -> None:
    """Stop a head start nobody claimed (an error before the scan began): never left running."""
    running = claim()
    if running is not None:
        running.stop()
