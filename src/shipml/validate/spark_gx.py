"""Expectations on a Spark DataFrame through GX 1.x's own Spark datasource.

The suites and the schema contract are the pandas path's (:mod:`.gx_runner` runs both);
two things differ on Spark and are handled here:

* a type in the schema contract is a Spark type name (``LongType``), not a pandas dtype,
  so the contract's type lists are mapped before the run;
* GX's Spark backend does not implement every expectation. Those are refused up front,
  by name, from GX's own metric registry (exit 2), instead of being silently skipped or
  failing after minutes of cluster work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..contracts.validate import ExpectationOutcome
from ..errors import InfrastructureUnreachable, InputDataError
from ..spark_api.errors import is_infrastructure, reason
from . import gx_runner
from .schema_suite import SUITE_NAME, TYPE_LISTS
from .suites import ExpectationSpec

SPARK_INT = ["ByteType", "ShortType", "IntegerType", "LongType"]
SPARK_FLOAT = ["FloatType", "DoubleType", "DecimalType"]
SPARK_TYPE_LISTS: dict[str, list[str]] = {
    "int": SPARK_INT,
    "float": SPARK_FLOAT,
    "number": SPARK_INT + SPARK_FLOAT,
    "string": ["StringType", "VarcharType", "CharType"],
    "category": ["StringType", "VarcharType", "CharType", "BooleanType", *SPARK_INT],
    "bool": ["BooleanType"],
    "datetime": ["TimestampType", "TimestampNTZType", "DateType"],
}
SPARK_ENGINE = "SparkDFExecutionEngine"


def spark_specs(specs: Sequence[ExpectationSpec]) -> list[ExpectationSpec]:
    """The schema contract's pandas type lists replaced by the same families' Spark type names."""
    by_list = {tuple(v): SPARK_TYPE_LISTS[k] for k, v in TYPE_LISTS.items()}
    out = []
    for spec in specs:
        types = spec.kwargs.get("type_list")
        if spec.suite == SUITE_NAME and spec.type == "expect_column_values_to_be_in_type_list" and types:
            mapped = by_list.get(tuple(types))
            if mapped is not None:
                spec = replace(spec, kwargs={**spec.kwargs, "type_list": mapped})
        out.append(spec)
    return out


def unsupported(specs: Sequence[ExpectationSpec]) -> list[tuple[ExpectationSpec, str]]:
    """Expectations whose metrics have no Spark implementation in GX, with the first missing metric.

    Asks each expectation which metrics it needs on a Spark engine (an expectation may
    choose others per engine, as the type-list one does) and GX's registry which of those
    have a Spark provider. No session is needed: the engine object is only a type tag here.
    """
    built = gx_runner.build_expectations(specs)  # imports GX; unknown types are reported at their line
    from great_expectations.execution_engine.sparkdf_execution_engine import SparkDFExecutionEngine
    from great_expectations.expectations.registry import _registered_metrics

    engine = SparkDFExecutionEngine.__new__(SparkDFExecutionEngine)
    missing = []
    for spec, expectation in zip(specs, built, strict=True):
        dependencies = expectation.get_validation_dependencies(execution_engine=engine)
        for configuration in dependencies.get_metric_configurations():
            name = configuration.metric_name
            if SPARK_ENGINE not in _registered_metrics.get(name, {}).get("providers", {}):
                missing.append((spec, name))
                break
    return missing


def check_supported(specs: Sequence[ExpectationSpec]) -> None:
    missing = unsupported(specs)
    if missing:
        spec, metric = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InputDataError(
            f"{spec.where}: {spec.type} is not supported by GX's Spark backend "
            f"(no Spark metric {metric}){more}",
            hint="remove it or use another expectation, or run this suite with validate.engine: pandas",
        )


def _on_exception(spec: ExpectationSpec, text: str) -> None:
    if is_infrastructure(text):
        raise InfrastructureUnreachable(
            f"Spark failed while checking {spec.type} ({spec.where}): {reason(text)}",
            hint="check the master and workers and rerun; nothing was written",
        )
    if "No provider found" in text:
        raise InputDataError(
            f"{spec.where}: {spec.type} is not supported by GX's Spark backend ({reason(text)})",
            hint="remove it or use another expectation, or run this suite with validate.engine: pandas",
        )


def run(frame: Any, specs: Sequence[ExpectationSpec]) -> tuple[list[ExpectationOutcome], dict[str, Any]]:
    """GX on the Spark DataFrame: one outcome per spec, in spec order, and GX's raw JSON."""
    return gx_runner.run(frame, specs, engine="spark", on_exception=_on_exception)
