"""Reading expectation suites from the user's repository, remembering where each line is.

Two formats: GX's own JSON (``{"name", "expectations": [{"type", "kwargs", ...}]}``,
what GX writes) and a compact YAML form people can write by hand::

    name: churn                      # optional
    table:
      - row_count_between: {min: 100}
    columns:
      monthly_charges:
        - not_null
        - between: {min: 0, max: 200}
        - {mean_between: [50, 80], severity: warning}

(or, without ``table``/``name``, just ``column: [expectations]`` at the top level).
Every expectation keeps its file and line so a failure can be annotated on the
line that declared it, and every syntax problem is reported with its line. This
module does not import GX: argument checking against GX's classes happens in
:mod:`shipml.validate.gx_runner`, which also owns the "unknown expectation" error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config.load import yaml_problem
from ..contracts.validate import Severity
from ..errors import InputDataError
from ..runner import display_path

# short name -> (GX expectation type, kwarg a bare (non-mapping) value stands for)
COLUMN_ALIASES: dict[str, tuple[str, str | None]] = {
    "exists": ("expect_column_to_exist", None),
    "not_null": ("expect_column_values_to_not_be_null", None),
    "null": ("expect_column_values_to_be_null", None),
    "unique": ("expect_column_values_to_be_unique", None),
    "between": ("expect_column_values_to_be_between", None),
    "in_set": ("expect_column_values_to_be_in_set", "value_set"),
    "not_in_set": ("expect_column_values_to_not_be_in_set", "value_set"),
    "distinct_in_set": ("expect_column_distinct_values_to_be_in_set", "value_set"),
    "distinct_equal_set": ("expect_column_distinct_values_to_equal_set", "value_set"),
    "distinct_contain_set": ("expect_column_distinct_values_to_contain_set", "value_set"),
    "most_common_in_set": ("expect_column_most_common_value_to_be_in_set", "value_set"),
    "regex": ("expect_column_values_to_match_regex", "regex"),
    "not_regex": ("expect_column_values_to_not_match_regex", "regex"),
    "type": ("expect_column_values_to_be_of_type", "type_"),
    "type_in": ("expect_column_values_to_be_in_type_list", "type_list"),
    "length_between": ("expect_column_value_lengths_to_be_between", None),
    "length": ("expect_column_value_lengths_to_equal", "value"),
    "min_between": ("expect_column_min_to_be_between", None),
    "max_between": ("expect_column_max_to_be_between", None),
    "mean_between": ("expect_column_mean_to_be_between", None),
    "median_between": ("expect_column_median_to_be_between", None),
    "stdev_between": ("expect_column_stdev_to_be_between", None),
    "sum_between": ("expect_column_sum_to_be_between", None),
    "unique_share_between": ("expect_column_proportion_of_unique_values_to_be_between", None),
    "non_null_share_between": ("expect_column_proportion_of_non_null_values_to_be_between", None),
    "distinct_count_between": ("expect_column_unique_value_count_to_be_between", None),
}
TABLE_ALIASES: dict[str, tuple[str, str | None]] = {
    "row_count_between": ("expect_table_row_count_to_be_between", None),
    "row_count": ("expect_table_row_count_to_equal", "value"),
    "columns": ("expect_table_columns_to_match_set", "column_set"),
    "ordered_columns": ("expect_table_columns_to_match_ordered_list", "column_list"),
    "column_count": ("expect_table_column_count_to_equal", "value"),
    "column_count_between": ("expect_table_column_count_to_be_between", None),
}
# keys that may sit next to the expectation name in an item: {in_set: [a, b], severity: warning};
# description/notes are for the file's readers and are not passed on
ITEM_OPTIONS = ("severity", "mostly", "meta", "description", "notes")
COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation as declared, before GX sees it."""

    type: str
    kwargs: dict[str, Any]
    severity: Severity
    suite: str
    file: str | None = None
    line: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or f"suite {self.suite}"

    @property
    def column(self) -> str | None:
        value = self.kwargs.get("column")
        return str(value) if value is not None else None

    def columns(self) -> list[str]:
        """Every column this expectation reads (for the "column not in data" check)."""
        names: list[str] = []
        for key in COLUMN_KWARGS:
            value = self.kwargs.get(key)
            if isinstance(value, str):
                names.append(value)
            elif isinstance(value, list):
                names.extend(str(v) for v in value)
        return names


@dataclass(frozen=True)
class Suite:
    name: str
    file: str | None
    expectations: list[ExpectationSpec]


def parse_severity(value: Any, where: str) -> Severity:
    text = str(value).strip().lower()
    if text in ("error", "critical"):
        return "error"
    if text in ("warning", "warn", "info"):
        return "warning"
    raise InputDataError(f"{where}: unknown severity {value!r}", hint="use error or warning")


def load_suite(path: Path) -> Suite:
    """Read one suite file (``.json`` = GX format, ``.yaml``/``.yml`` = compact form)."""
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "not found"
        raise InputDataError(
            f"suite file {path} {what}", hint="check validate.suites in shipml.yaml or --suite"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputDataError(f"suite file {path} cannot be read ({reason})", hint="check the file") from None
    shown = display_path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _load_gx_json(text, shown, default_name=path.stem)
    if suffix in (".yaml", ".yml"):
        return _load_compact_yaml(text, shown, default_name=path.stem)
    raise InputDataError(
        f"suite file {path} has an unsupported type '{suffix or '(none)'}'",
        hint="use .json (GX format) or .yaml/.yml (compact form)",
    )


# -- GX JSON ----------------------------------------------------------------------------------------


def _load_gx_json(text: str, shown: str, *, default_name: str) -> Suite:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputDataError(
            f"{shown}:{exc.lineno}: invalid JSON: {exc.msg}", hint="fix the syntax"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise InputDataError(
            f'{shown}:1: not a GX expectation suite (no "expectations" list)',
            hint='write {"name": ..., "expectations": [{"type": ..., "kwargs": {...}}]} or use the YAML form',
        )
    name = str(data.get("name") or data.get("expectation_suite_name") or default_name)
    lines = _json_array_lines(text, "expectations")
    specs: list[ExpectationSpec] = []
    for index, item in enumerate(data["expectations"]):
        line = lines[index] if index < len(lines) else None
        where = f"{shown}:{line}" if line else shown
        if not isinstance(item, dict):
            raise InputDataError(f"{where}: expectation #{index + 1} is not an object", hint="fix the suite")
        etype = item.get("type") or item.get("expectation_type")
        if not isinstance(etype, str) or not etype:
            raise InputDataError(f'{where}: expectation #{index + 1} has no "type"', hint="add its GX type")
        kwargs = item.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise InputDataError(f'{where}: "kwargs" of {etype} is not an object', hint="fix the suite")
        meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
        raw_severity = (meta or {}).get("severity", item.get("severity", "error"))
        specs.append(
            ExpectationSpec(
                type=etype,
                kwargs={k: v for k, v in kwargs.items() if k != "batch_id"},
                severity=parse_severity(raw_severity, where),
                suite=name,
                file=shown,
                line=line,
                meta={k: v for k, v in (meta or {}).items() if k != "severity"},
            )
        )
    return Suite(name=name, file=shown, expectations=specs)


def _json_array_lines(text: str, key: str) -> list[int]:
    """1-based line of each element of the top-level array ``key`` (the stdlib keeps no positions).

    Only called on text ``json.loads`` accepted, so the scan can trust the syntax.
    """
    decoder = json.JSONDecoder()
    space = re.compile(r"\s*")

    def skip(pos: int) -> int:
        match = space.match(text, pos)
        return match.end() if match else pos

    try:
        pos = skip(0)
        if text[pos] != "{":
            return []
        pos += 1
        while True:
            pos = skip(pos)
            if text[pos] == "}":
                return []
            name, pos = decoder.raw_decode(text, pos)
            pos = skip(skip(pos) + 1)  # past ':'
            if name == key and text[pos] == "[":
                lines: list[int] = []
                pos += 1
                line, counted = 1, 0
                while True:
                    pos = skip(pos)
                    if text[pos] == "]":
                        return lines
                    line += text.count("\n", counted, pos)
                    counted = pos
                    lines.append(line)
                    _, pos = decoder.raw_decode(text, pos)
                    pos = skip(pos)
                    if text[pos] == ",":
                        pos += 1
            _, pos = decoder.raw_decode(text, pos)
            pos = skip(pos)
            if text[pos] == ",":
                pos += 1
    except (IndexError, ValueError):
        return []


# -- compact YAML -----------------------------------------------------------------------------------


def _construct(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _mapping_items(node: yaml.MappingNode, shown: str) -> list[tuple[str, yaml.Node, int]]:
    seen: dict[str, int] = {}
    items: list[tuple[str, yaml.Node, int]] = []
    for key_node, value_node in node.value:
        key = str(_construct(key_node))
        line = _line(key_node)
        if key in seen:
            raise InputDataError(
                f"{shown}:{line}: '{key}' appears twice (first at line {seen[key]})",
                hint="merge the two entries into one",
            )
        seen[key] = line
        items.append((key, value_node, line))
    return items


def _load_compact_yaml(text: str, shown: str, *, default_name: str) -> Suite:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        raise InputDataError(f"{shown}{line}: invalid YAML: {problem}", hint="fix the syntax") from None
    if root is None:
        raise InputDataError(f"{shown}:1: the suite is empty", hint="add `column: [expectations]` entries")
    if not isinstance(root, yaml.MappingNode):
        raise InputDataError(
            f"{shown}:{_line(root)}: expected a mapping of columns to lists of expectations",
            hint="write `column: [not_null, {between: {min: 0, max: 10}}]`",
        )
    top = _mapping_items(root, shown)
    keys = {key: (node, line) for key, node, line in top}
    structured = "columns" in keys and isinstance(keys["columns"][0], yaml.MappingNode)
    name = default_name
    specs: list[ExpectationSpec] = []
    if structured:
        for key, _node, key_line in top:
            if key not in ("name", "table", "columns"):
                raise InputDataError(
                    f"{shown}:{key_line}: unknown key '{key}' next to 'columns'",
                    hint="a suite has only name, table and columns; put column entries under columns",
                )
        if "name" in keys:
            name = str(_construct(keys["name"][0]))
        if "table" in keys:
            specs += _items(keys["table"][0], None, TABLE_ALIASES, shown, name)
        columns_node = keys["columns"][0]
        assert isinstance(columns_node, yaml.MappingNode)
        for column, node, _ in _mapping_items(columns_node, shown):
            specs += _items(node, column, COLUMN_ALIASES, shown, name)
    else:
        for column, node, _ in top:
            specs += _items(node, column, COLUMN_ALIASES, shown, name)
    return Suite(name=name, file=shown, expectations=specs)


def _items(
    node: yaml.Node, column: str | None, aliases: dict[str, tuple[str, str | None]], shown: str, suite: str
) -> list[ExpectationSpec]:
    owner = f"column '{column}'" if column is not None else "table"
    if isinstance(node, yaml.ScalarNode) and _construct(node) is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise InputDataError(
            f"{shown}:{_line(node)}: {owner} must hold a list of expectations",
            hint="write `- not_null` / `- between: {min: 0, max: 10}` items",
        )
    return [_item(child, column, aliases, shown, suite) for child in node.value]


def _item(
    node: yaml.Node, column: str | None, aliases: dict[str, tuple[str, str | None]], shown: str, suite: str
) -> ExpectationSpec:
    line = _line(node)
    where = f"{shown}:{line}"
    value = _construct(node)
    options: dict[str, Any] = {}
    if isinstance(value, str):
        name, args = value, None
    elif isinstance(value, dict) and value:
        options = {k: value[k] for k in ITEM_OPTIONS if k in value}
        names = [k for k in value if k not in ITEM_OPTIONS]
        if len(names) != 1:
            found = ", ".join(map(str, names)) or "none"
            raise InputDataError(
                f"{where}: an item must name exactly one expectation (found {found})",
                hint="split it into one list item per expectation",
            )
        name, args = str(names[0]), value[names[0]]
    else:
        raise InputDataError(
            f"{where}: cannot read expectation {value!r}",
            hint="write a name (`- not_null`) or a one-key mapping (`- between: {min: 0}`)",
        )
    etype, positional = _resolve(name, aliases, where, table=column is None)
    kwargs = _kwargs(etype, positional, args, where)
    for key in ITEM_OPTIONS:
        if key in kwargs:
            options.setdefault(key, kwargs.pop(key))
    if column is not None:
        kwargs = {"column": column, **kwargs}
    if "mostly" in options:
        kwargs["mostly"] = options.pop("mostly")
    meta = options.get("meta") if isinstance(options.get("meta"), dict) else {}
    return ExpectationSpec(
        type=etype,
        kwargs=kwargs,
        severity=parse_severity(options.get("severity", "error"), where),
        suite=suite,
        file=shown,
        line=line,
        meta=dict(meta or {}),
    )


def _resolve(
    name: str, aliases: dict[str, tuple[str, str | None]], where: str, *, table: bool
) -> tuple[str, str | None]:
    if name in aliases:
        return aliases[name]
    if name.startswith("expect_"):
        return name, None
    other = COLUMN_ALIASES if table else TABLE_ALIASES
    if name in other:
        place = "under a column" if table else "under `table:`"
        raise InputDataError(f"{where}: '{name}' belongs {place}", hint="move it")
    import difflib

    close = difflib.get_close_matches(name, list(aliases), n=1)
    hint = (
        f"the closest known name is '{close[0]}'"
        if close
        else f"use one of {', '.join(sorted(aliases))} or a GX type"
    )
    raise InputDataError(f"{where}: unknown expectation '{name}'", hint=hint)


def _kwargs(etype: str, positional: str | None, args: Any, where: str) -> dict[str, Any]:
    ranged = etype.endswith("_to_be_between")
    if args is None:
        return {}
    if isinstance(args, dict):
        out = dict(args)
        if ranged:
            for short, full in (("min", "min_value"), ("max", "max_value")):
                if short in out:
                    out[full] = out.pop(short)
        return out
    if ranged and isinstance(args, list) and len(args) == 2:
        return {"min_value": args[0], "max_value": args[1]}
    if positional:
        return {positional: args}
    raise InputDataError(
        f"{where}: {etype} takes named arguments, got {args!r}",
        hint="write them as a mapping, e.g. {min: 0, max: 10}" if ranged else "write them as a mapping",
    )
