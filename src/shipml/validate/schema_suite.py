"""The schema contract in shipml.yaml (``validate.schema``) as GX expectations.

Writing a suite is optional; the contract covers what most teams need first
(columns present, types, nulls, categories, ranges) in a few lines of config,
and runs through the same GX validation so failures are reported the same way,
annotated on the shipml.yaml line that declared them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..config import ShipmlConfig
from ..config.validate import ColumnContract
from ..runner import display_path
from .suites import ExpectationSpec, Suite

SUITE_NAME = "schema contract"

# Accepted pandas dtype names (numeric/bool/datetime columns are checked on the dtype) and
# Python type names (object columns are checked value by value); see GX's type-list expectation.
_INT = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
_INT += [name.capitalize() for name in _INT] + ["int"]
_FLOAT = ["float16", "float32", "float64", "Float32", "Float64", "float"]
TYPE_LISTS: dict[str, list[str]] = {
    "int": _INT,
    "float": _FLOAT,
    "number": _INT + _FLOAT,
    "string": ["str", "string", "object"],
    "category": ["str", "string", "object", "category", "bool", *_INT],
    "bool": ["bool", "boolean"],
    "datetime": [
        "datetime64[ns]",
        "datetime64[us]",
        "datetime64[ms]",
        "datetime64[s]",
        "Timestamp",
        "datetime",
    ],
}


def contract_suite(cfg: ShipmlConfig, present: Collection[str]) -> Suite | None:
    """Expectations for the configured contract, skipping checks on columns that are absent.

    A required column that is missing fails ``expect_column_to_exist`` (a contract
    violation, exit 1); its other checks are left out because they cannot run.
    """
    contract = cfg.validate_.contract
    if not contract:
        return None
    shown = display_path(cfg.source) if cfg.source else None
    specs: list[ExpectationSpec] = []
    for column, rule in contract.items():
        for etype, kwargs, key in _expectations(column, rule):
            if etype != "expect_column_to_exist" and column not in present:
                continue
            specs.append(
                ExpectationSpec(
                    type=etype,
                    kwargs=kwargs,
                    severity=rule.severity,
                    suite=SUITE_NAME,
                    file=shown,
                    line=cfg.line_of("validate", "schema", column, *([key] if key else [])),
                )
            )
    return Suite(name=SUITE_NAME, file=shown, expectations=specs)


def _expectations(column: str, rule: ColumnContract) -> list[tuple[str, dict[str, Any], str | None]]:
    out: list[tuple[str, dict[str, Any], str | None]] = []
    if rule.required:
        out.append(("expect_column_to_exist", {"column": column}, "required"))
    if rule.dtype:
        out.append(
            (
                "expect_column_values_to_be_in_type_list",
                {"column": column, "type_list": TYPE_LISTS[rule.dtype]},
                "dtype",
            )
        )
    if not rule.nullable:
        out.append(("expect_column_values_to_not_be_null", {"column": column}, "nullable"))
    if rule.allowed is not None:
        out.append(
            ("expect_column_values_to_be_in_set", {"column": column, "value_set": rule.allowed}, "allowed")
        )
    if rule.min is not None or rule.max is not None:
        key = "min" if rule.min is not None else "max"
        out.append(
            (
                "expect_column_values_to_be_between",
                {"column": column, "min_value": rule.min, "max_value": rule.max},
                key,
            )
        )
    return out
