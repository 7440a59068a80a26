"""Start trivy from the raw config, before the config models are built: a head start, never a guess kept.

Why: building shipml's pydantic models costs about 0.15 s, a sixth of a cached trivy scan
of a small image, and trivy needs none of it. So ``shipml scan`` reads and merges its config
sources (:mod:`shipml.config.sources`, no pydantic), derives trivy's command with the same
:func:`~shipml.scan.trivy.plan_image_scan` the validated path uses, and starts it. The
config is then validated while trivy runs; :func:`shipml.proc.run` takes the early process
over only if the validated config gives exactly the same command line and environment, and
otherwise stops it and runs the right one. A config error stops it too. So a wrong head
start costs time, never a wrong result.

Only plainly typed values are read here; anything unusual (a key of the wrong type, a
missing ignore file, a bad target) starts nothing and is left to validation to report.
"""

from __future__ import annotations

from typing import Any

from .. import proc
from ..config.sources import Merged, resolve_path
from ..errors import ShipmlError
from . import head_start
from .trivy import DEFAULT_SCANNERS, DEFAULT_TIMEOUT_S, ImageScan, ignorefile_for, plan_image_scan


class _Unsure(Exception):
    """A raw value validation may change or reject: start nothing."""


def _text(section: dict[str, Any], key: str) -> str | None:
    value = section.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Unsure(key)
    return value


def _scanners(section: dict[str, Any]) -> list[str]:
    value = section.get("scanners", list(DEFAULT_SCANNERS))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Unsure("scanners")
    return list(dict.fromkeys(value))  # as the section's validator keeps them: first of each, in order


def _plain(section: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = section.get(key, default)
    if type(value) is not kind:  # bool is an int subclass: an exact type, as strict as validation
        raise _Unsure(key)
    return value


def start(target: str, sources: Merged) -> proc.Running | None:
    """trivy's image scan as the raw ``scan:`` settings ask for it, running; None when unsure.

    A process the console script started even earlier (:mod:`.head_start`) is kept when it
    is exactly this command, and stopped otherwise.
    """
    head = head_start.claim()
    planned = plan(target, sources)
    if head is not None:
        if planned is not None and head.is_for(planned.argv, planned.trivy.env):
            return head
        head.stop()
    if planned is None:
        return None
    try:
        return planned.start()
    except (ShipmlError, OSError):
        return None


def plan(target: str, sources: Merged) -> ImageScan | None:
    """The scan the raw ``scan:`` settings plainly ask for; None when validation may differ."""
    section = sources.data.get("scan", {})
    if not isinstance(section, dict):
        return None
    try:
        explicit = _text(section, "trivyignore")
        ignore = resolve_path(explicit, sources.root) if explicit else None
        if ignore is not None and not ignore.is_file():
            return None
        planned = plan_image_scan(
            target,
            root=sources.root,
            trivy=_text(section, "trivy"),
            cache_dir=_text(section, "cache_dir"),
            db_repository=_text(section, "db_repository"),
            timeout=_plain(section, "timeout", int, DEFAULT_TIMEOUT_S),
            scanners=_scanners(section),
            ignorefile=ignorefile_for(ignore, sources.root),
            require_digest=_plain(section, "require_digest", bool, False),
        )
    except (_Unsure, ShipmlError, OSError):
        return None
    return planned
