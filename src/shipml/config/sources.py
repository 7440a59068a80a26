"""Read and merge shipml's config sources into plain data, without pydantic.

Precedence, lowest to highest (documented in the README):

1. defaults in the pydantic models (applied by :mod:`.load` when it validates);
2. ``shipml.yaml`` (``--config``, ``$SHIPML_CONFIG``, else ``./shipml.yaml``);
3. environment variables ``SHIPML_<SECTION>__<KEY>`` (double underscore between
   levels; values parsed as YAML scalars, so ``0.9``/``true`` keep their types);
4. command-line flags, which is also how action inputs arrive (an empty flag
   value means "not given", so an action can pass every input unconditionally).

This is the one place that precedence is applied. It is kept free of pydantic so a
command can look at the merged data before the models are built (``shipml scan``
starts trivy from it and checks the command against the validated config later).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, first_line

if TYPE_CHECKING:
    import yaml

DEFAULT_FILE = "shipml.yaml"
ENV_PREFIX = "SHIPML_"

KeyPath = tuple[str | int, ...]


def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported when YAML is first read.

    Not at import: ``shipml scan`` resolves paths with this module before it starts trivy, and
    PyYAML's import is ~15 ms. libyaml's loader when PyYAML has it (its wheels do): about ten
    times faster than the pure-Python parser, with the same safe constructor, so the same values.
    """
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Merged:
    """The merged config data, and where each part came from (for one-line errors).

    Not a dataclass: ``shipml scan`` builds one before it starts trivy, and the
    ``dataclasses`` import (with ``inspect``) would be on that path. Line numbers are
    indexed only when an error needs one, from the text that was read.
    """

    __slots__ = ("_lines", "_text", "data", "origin", "source")

    def __init__(
        self,
        data: dict[str, Any],
        source: Path | None = None,
        origin: dict[KeyPath, str] | None = None,
        text: str | None = None,
    ) -> None:
        self.data = data
        self.source = source
        self.origin = origin or {}
        self._text = text
        self._lines: dict[KeyPath, int] | None = None

    @property
    def root(self) -> Path:
        """Directory relative paths in the config are resolved against."""
        return root_of(self.source)

    @property
    def lines(self) -> dict[KeyPath, int]:
        """Each key path of the file's document to its 1-based line ({} without a file)."""
        if self._lines is None:
            self._lines = line_index(self._text) if self._text is not None else {}
        return self._lines


def root_of(source: Path | None) -> Path:
    return source.parent if source else Path.cwd()


def resolve_path(value: str | os.PathLike[str], root: Path) -> Path:
    """A path from the config: ``~`` expanded, relative ones taken from the config's folder."""
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else (root / candidate)


def flag_path(value: str) -> str:
    """A path given as a flag or action input, absolute from where shipml runs ("" stays "").

    Paths in shipml.yaml are relative to its folder (:func:`resolve_path`); one typed on a
    command line is relative to the shell's directory, so it is fixed before it is merged.
    """
    return str(Path(value).resolve()) if value else ""


def line_index(text: str) -> dict[KeyPath, int]:
    """Map each key path in the YAML document to its 1-based line number."""
    index: dict[KeyPath, int] = {}
    pyyaml, loader = _yaml()

    def walk(node: yaml.Node, path: KeyPath) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, pyyaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                index[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
                index[(*path, key)] = key_node.start_mark.line + 1
        elif isinstance(node, pyyaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    try:
        root = pyyaml.compose(text, Loader=loader)
    except pyyaml.YAMLError:
        return index
    if root is not None:
        walk(root, ())
    return index


def yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """(":LINE" or "", problem) of a YAML syntax error, for "file:line: invalid YAML: problem"."""
    mark = getattr(exc, "problem_mark", None)
    line = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or first_line(exc)
    return line, problem


def _set_path(data: dict[str, Any], path: KeyPath, value: Any) -> None:
    node: Any = data
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[KeyPath, tuple[str, Any]]:
    """``SHIPML_GATE__CONFIDENCE=0.9`` -> ``{("gate", "confidence"): ("SHIPML_GATE__CONFIDENCE", 0.9)}``.

    Only names with a double underscore are config overrides; single-level names
    such as ``SHIPML_CONFIG`` or ``SHIPML_DEBUG`` are settings of the tool itself.
    """
    found: dict[KeyPath, tuple[str, Any]] = {}
    for name, raw in (environ if environ is not None else os.environ).items():
        if not name.startswith(ENV_PREFIX) or "__" not in name or raw == "":
            continue
        parts = tuple(p.lower() for p in name[len(ENV_PREFIX) :].split("__"))
        pyyaml, loader = _yaml()
        try:
            value = pyyaml.load(raw, Loader=loader)
        except pyyaml.YAMLError:
            value = raw
        found[parts] = (name, value)
    return found


def find_config_file(path: str | os.PathLike[str] | None) -> Path | None:
    """The explicit path, ``$SHIPML_CONFIG``, or ``./shipml.yaml`` if it exists."""
    explicit = str(path) if path else os.environ.get("SHIPML_CONFIG") or ""
    if explicit:
        candidate = Path(explicit)
        if not candidate.is_file():
            raise ConfigError(
                f"config file {candidate} not found",
                hint="pass --config PATH (action input `config`) pointing at your shipml.yaml",
            )
        return candidate
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def merged(
    path: str | os.PathLike[str] | None = None,
    *,
    overrides: Mapping[KeyPath, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    require_file: bool = False,
) -> Merged:
    """The file, then env overrides, then flags, merged; raise :class:`ConfigError` with one line."""
    source = find_config_file(path)
    data: dict[str, Any] = {}
    text: str | None = None
    if source is None and require_file:
        raise ConfigError(
            f"no {DEFAULT_FILE} in {Path.cwd()}",
            hint="create one (see examples/churn/shipml.yaml) or pass --config PATH",
        )
    if source is not None:
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {source}: {exc}", hint="check the path and permissions") from None
        pyyaml, loader = _yaml()
        try:
            loaded = pyyaml.load(text, Loader=loader)
        except pyyaml.YAMLError as exc:
            line, problem = yaml_problem(exc)
            raise ConfigError(f"{source}{line}: invalid YAML: {problem}", hint="fix the syntax") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(
                f"{source}:1: expected a mapping of sections (data:, model:, gate:, ...), "
                f"got {type(loaded).__name__}",
                hint="see examples/churn/shipml.yaml",
            )
        data = loaded
        source = source.resolve()
    origin: dict[KeyPath, str] = {}
    for key_path, (name, value) in env_overrides(environ).items():
        _set_path(data, key_path, value)
        origin[key_path] = f"environment variable {name}"
    for key_path, value in (overrides or {}).items():
        if value is None or value == "":
            continue
        _set_path(data, key_path, value)
        origin[key_path] = f"option --{str(key_path[-1]).replace('_', '-')}"
    return Merged(data, source, origin, text)
