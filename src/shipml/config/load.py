"""Validate the merged config into one :class:`ShipmlConfig`.

Reading the sources and their precedence (file < env < flags) is :mod:`.sources`;
here the pydantic models apply their defaults and checks. Every validation failure
is reported as one line with the file, the line when known, the dotted key path and
what to do.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, ValidationError

from ..errors import ConfigError
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
from .sign import SignSection
from .sources import (
    DEFAULT_FILE,
    ENV_PREFIX,
    KeyPath,
    Merged,
    env_overrides,
    find_config_file,
    line_index,
    merged,
    resolve_path,
    root_of,
    yaml_problem,
)
from .spark import SparkSection
from .validate import ValidateSection

__all__ = [
    "DEFAULT_FILE",
    "ENV_PREFIX",
    "KeyPath",
    "ShipmlConfig",
    "build_config",
    "build_merged",
    "env_overrides",
    "find_config_file",
    "line_index",
    "load_config",
    "yaml_problem",
]


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
    sign: SignSection = Field(default_factory=SignSection)
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
        return root_of(self._source)

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
        return resolve_path(value, self.root)


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


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
    lines: Mapping[KeyPath, int] | Callable[[], Mapping[KeyPath, int]] | None = None,
    origin: Mapping[KeyPath, str] | None = None,
) -> ShipmlConfig:
    """Validate ``data``; ``lines`` may be a callable, indexed only if an error needs a line."""
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
            index = lines() if callable(lines) else lines
            for depth in range(len(loc), -1, -1):
                if index and loc[:depth] in index:
                    where = f"{where}:{index[loc[:depth]]}"
                    break
        more = len(exc.errors()) - 1
        suffix = f" ({more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
        raise ConfigError(
            f"{where}: {_dotted(loc)}: {_describe(err)}{suffix}", hint=_fix_hint(err["type"])
        ) from None
    cfg._source = source
    if lines and not callable(lines):
        cfg._lines = dict(lines)
    cfg._origin = dict(origin or {})
    return cfg


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    overrides: Mapping[KeyPath, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    require_file: bool = False,
) -> ShipmlConfig:
    """Load, merge and validate the config; raise :class:`ConfigError` with one line."""
    return build_merged(merged(path, overrides=overrides, environ=environ, require_file=require_file))


def build_merged(sources: Merged) -> ShipmlConfig:
    """Validate what :func:`shipml.config.sources.merged` read and merged."""
    return build_config(
        sources.data, source=sources.source, lines=lambda: sources.lines, origin=sources.origin
    )


_line_index = line_index  # kept for modules written before the public name existed
