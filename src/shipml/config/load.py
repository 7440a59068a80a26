"""Merge shipml's config sources into one validated :class:`ShipmlConfig`.

Precedence, lowest to highest (documented in the README):

1. defaults in the pydantic models;
2. ``shipml.yaml`` (``--config``, ``$SHIPML_CONFIG``, else ``./shipml.yaml``);
3. environment variables ``SHIPML_<SECTION>__<KEY>`` (double underscore between
   levels; values parsed as YAML scalars, so ``0.9``/``true`` keep their types);
4. command-line flags, which is also how action inputs arrive (an empty flag
   value means "not given", so an action can pass every input unconditionally).

Every validation failure is reported as one line with the file, the line when
known, the dotted key path and what to do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PrivateAttr, ValidationError

from ..errors import ConfigError, first_line
from ..runner import display_path
from .base import Section
from .canary import CanarySection
from .comment import CommentSection
from .data import DataSection
from .deploy import DeploySection
from .gate import GateSection
from .image import ImageSection
from .mlflow import MlflowSection
from .model import ModelSection
from .scan import ScanSection
from .spark import SparkSection
from .validate import ValidateSection

DEFAULT_FILE = "shipml.yaml"
ENV_PREFIX = "SHIPML_"

KeyPath = tuple[str | int, ...]


class ShipmlConfig(Section):
    """The whole of shipml.yaml."""

    version: int = Field(default=1, ge=1, le=1, description="Config schema version.")
    project: str = Field(default="shipml", description="Project name, shown in reports.")
    data: DataSection = Field(default_factory=DataSection)
    mlflow: MlflowSection = Field(default_factory=MlflowSection)
    model: ModelSection = Field(default_factory=ModelSection)
    validate_: ValidateSection = Field(default_factory=ValidateSection, alias="validate")
    gate: GateSection = Field(default_factory=GateSection)
    comment: CommentSection = Field(default_factory=CommentSection)
    canary: CanarySection = Field(default_factory=CanarySection)
    image: ImageSection = Field(default_factory=ImageSection)
    scan: ScanSection = Field(default_factory=ScanSection)
    deploy: DeploySection = Field(default_factory=DeploySection)
    spark: SparkSection = Field(default_factory=SparkSection)

    _source: Path | None = PrivateAttr(default=None)
    _lines: dict[KeyPath, int] | None = PrivateAttr(default=None)
    _origin: dict[KeyPath, str] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def root(self) -> Path:
        """Directory relative paths in the config are resolved against."""
        return self._source.parent if self._source else Path.cwd()

    def line_of(self, *keys: str | int) -> int | None:
        """Line in shipml.yaml of the deepest existing prefix of ``keys`` (None without a file)."""
        if self._source is None:
            return None
        if self._lines is None:
            try:
                self._lines = line_index(self._source.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                self._lines = {}
        for depth in range(len(keys), 0, -1):
            if keys[:depth] in self._lines:
                return self._lines[keys[:depth]]
        return None

    def where(self, *keys: str | int) -> str:
        """``shipml.yaml:12: model.params.max_iter``: the prefix of every post-load config error.

        Problems found after validation (an unknown estimator param, a target column
        missing from the data) are still config mistakes; naming file and line saves
        the user a search.
        """
        dotted = _dotted(keys)
        # A value set by an env var or flag is blamed on that, never on a file line that lacks it.
        for depth in range(len(keys), 0, -1):
            if keys[:depth] in self._origin:
                return f"{self._origin[keys[:depth]]}: {dotted}"
        if self._source is None:
            return dotted
        line = self.line_of(*keys)
        return f"{display_path(self._source)}{f':{line}' if line else ''}: {dotted}"

    def path(self, value: str | os.PathLike[str]) -> Path:
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else (self.root / candidate)


def line_index(text: str) -> dict[KeyPath, int]:
    """Map each key path in the YAML document to its 1-based line number."""
    index: dict[KeyPath, int] = {}

    def walk(node: yaml.Node, path: KeyPath) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                index[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
                index[(*path, key)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
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


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


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
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        found[parts] = (name, value)
    return found


def _fix_hint(err_type: str) -> str:
    if err_type == "extra_forbidden":
        return "remove it or check its spelling against the config reference (docs/config.md)"
    if err_type == "missing":
        return "add it"
    return "fix the value (see the config reference, docs/config.md)"


def _known_keys(loc: KeyPath) -> list[str]:
    """The keys the model accepts at the parent of ``loc`` (for "did you mean")."""
    model: Any = ShipmlConfig
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get("validate_" if part == "validate" else str(part))
        if field is None:  # a dict key (a column name): its values have the dict's value model
            continue
        model = _model_of(field.annotation)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_of(annotation: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _describe(err: Mapping[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        import difflib

        loc = _loc(err)
        close = difflib.get_close_matches(str(loc[-1]), _known_keys(loc), n=1, cutoff=0.6)
        return f"unknown key (did you mean '{close[0]}'?)" if close else "unknown key"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if "input" in err and err["type"] not in ("missing",) and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def _loc(err: Mapping[str, Any]) -> KeyPath:
    # pydantic reports aliased fields by alias when validating by alias, which
    # is what matches the YAML; "validate_" never appears in user files.
    return tuple("validate" if p == "validate_" else p for p in err["loc"])


def build_config(
    data: dict[str, Any],
    *,
    source: Path | None = None,
    lines: Mapping[KeyPath, int] | None = None,
    origin: Mapping[KeyPath, str] | None = None,
) -> ShipmlConfig:
    try:
        cfg = ShipmlConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _loc(err)
        where = display_path(source) if source else "config"
        # An override names the env var or flag it came from instead of the file.
        for depth in range(len(loc), 0, -1):
            if origin and loc[:depth] in origin:
                where = origin[loc[:depth]]
                break
        else:
            for depth in range(len(loc), -1, -1):
                if lines and loc[:depth] in lines:
                    where = f"{where}:{lines[loc[:depth]]}"
                    break
        more = len(exc.errors()) - 1
        suffix = f" ({more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
        raise ConfigError(
            f"{where}: {_dotted(loc)}: {_describe(err)}{suffix}", hint=_fix_hint(err["type"])
        ) from None
    cfg._source = source
    if lines:
        cfg._lines = dict(lines)
    cfg._origin = dict(origin or {})
    return cfg


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


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    overrides: Mapping[KeyPath, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    require_file: bool = False,
) -> ShipmlConfig:
    """Load, merge and validate the config; raise :class:`ConfigError` with one line."""
    source = find_config_file(path)
    data: dict[str, Any] = {}
    lines: dict[KeyPath, int] = {}
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
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
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
        lines = line_index(text)
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
    return build_config(data, source=source, lines=lines, origin=origin)


_line_index = line_index  # kept for modules written before the public name existed
