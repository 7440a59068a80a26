"""Running the declared expectations with Great Expectations 1.x, in memory.

All suites (files and the schema contract) run as one GX suite in one
validation, so GX computes shared metrics once; each expectation carries its
index in ``meta`` to map GX's (reordered) results back to the file and line
that declared it. GX is imported here only, when there is something to check.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..contracts.validate import ExpectationOutcome
from ..errors import InputDataError, require
from .suites import ExpectationSpec

if TYPE_CHECKING:
    import pandas as pd

INDEX_KEY = "shipml_index"
EXAMPLES = 5
RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": EXAMPLES}


def _gx() -> Any:
    require("great_expectations", "validate")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__"):
        # With pyspark installed (the spark extra) GX imports pyspark.sql.connect, which takes a
        # `python -c` process for a doctest run and calls sys.exit(0): a silent "pass". Not here.
        main.__file__ = "<string>"
    import great_expectations as gx

    return gx


def build_expectations(specs: Sequence[ExpectationSpec]) -> list[Any]:
    """GX expectation objects, with unknown types and bad arguments reported at their line."""
    _gx()
    from great_expectations.exceptions.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.registry import (
        get_expectation_impl,
        list_registered_expectation_implementations,
    )

    built: list[Any] = []
    for index, spec in enumerate(specs):
        try:
            impl = get_expectation_impl(spec.type)
        except ExpectationNotFoundError:
            close = difflib.get_close_matches(spec.type, list_registered_expectation_implementations(), n=1)
            raise InputDataError(
                f"{spec.where}: unknown expectation type '{spec.type}'",
                hint=f"the closest known type is '{close[0]}'"
                if close
                else "see the GX 1.x expectation gallery for valid types",
            ) from None
        severity = FailureSeverity.CRITICAL if spec.severity == "error" else FailureSeverity.WARNING
        try:
            built.append(impl(**spec.kwargs, severity=severity, meta={**spec.meta, INDEX_KEY: index}))
        except (ValueError, TypeError) as exc:  # pydantic (v1 and v2) errors are ValueErrors
            raise InputDataError(
                f"{spec.where}: invalid arguments for {spec.type}: {_first_error(exc)}",
                hint="fix them (see the GX docs for this expectation)",
            ) from None
    return built


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
            return f"{loc}: {first['msg']}" if loc else str(first["msg"])
        except (IndexError, KeyError, TypeError):
            pass
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def run(
    frame: pd.DataFrame | Any,
    specs: Sequence[ExpectationSpec],
    *,
    engine: Literal["pandas", "spark"] = "pandas",
    on_exception: Callable[[ExpectationSpec, str], None] | None = None,
) -> tuple[list[ExpectationOutcome], dict[str, Any]]:
    """Validate ``frame``; return one outcome per spec (in spec order) and GX's raw result JSON.

    ``engine="spark"`` validates a Spark DataFrame through GX's own Spark datasource;
    ``on_exception`` sees the full text of an exception GX caught, so the Spark path can
    tell a lost worker (exit 3) from an expectation that cannot run on the data (exit 2).
    """
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    expectations = build_expectations(specs)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm noise in CI logs
    sources = context.data_sources
    batch_definition = (
        (sources.add_spark("shipml") if engine == "spark" else sources.add_pandas("shipml"))
        .add_dataframe_asset("data")
        .add_batch_definition_whole_dataframe("all rows")
    )
    suite = gx.ExpectationSuite(name="shipml", expectations=expectations)
    with _lazy_copies(engine):
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        raw: dict[str, Any] = batch.validate(suite, result_format=RESULT_FORMAT).to_json_dict()
    by_index: dict[int, dict[str, Any]] = {}
    for result in raw.get("results", []):
        meta = (result.get("expectation_config") or {}).get("meta") or {}
        by_index[int(meta[INDEX_KEY])] = result
    outcomes = []
    for index, spec in enumerate(specs):
        result = by_index.get(index)
        if result is None:  # GX dropped it: never expected, but never report it as passed
            raise InputDataError(
                f"{spec.where}: GX returned no result for {spec.type}", hint="check the expectation"
            )
        _raise_on_exception(spec, result, on_exception)
        outcomes.append(_outcome(spec, result))
    return outcomes, raw


def _lazy_copies(engine: str) -> contextlib.AbstractContextManager[Any]:
    """pandas copy-on-write while GX runs, so its per-expectation row filter does not copy the table.

    For every column expectation GX selects the domain's rows with a boolean mask over the
    *whole* frame; when no row is dropped pandas returns ``copy()``, a deep copy of every
    column unless copy-on-write is on (then it is a lazy view). That copy was two thirds of
    the expectations' time on 10M x 20 rows. GX only reads the frame, so the results are the
    same (tests compare them), and the option is restored when GX returns.
    """
    if engine != "pandas":
        return contextlib.nullcontext()
    import pandas as pd

    return pd.option_context("mode.copy_on_write", True)


def _raise_on_exception(
    spec: ExpectationSpec,
    result: dict[str, Any],
    on_exception: Callable[[ExpectationSpec, str], None] | None = None,
) -> None:
    """An expectation GX could not evaluate (e.g. a numeric range on a text column) is a bad suite."""
    info = result.get("exception_info") or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            if on_exception is not None:
                on_exception(spec, f"{entry.get('exception_message')}\n{entry.get('exception_traceback')}")
            message = str(entry.get("exception_message") or "error").strip().splitlines()[0]
            raise InputDataError(
                f"{spec.where}: {spec.type} cannot run on this data: {message}",
                hint="fix the expectation or the column's values",
            )


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _json_safe(item())
    return str(value)


def _outcome(spec: ExpectationSpec, result: dict[str, Any]) -> ExpectationOutcome:
    body = result.get("result") or {}
    count = body.get("unexpected_count")
    percent = body.get("unexpected_percent")
    return ExpectationOutcome(
        suite=spec.suite,
        expectation=spec.type,
        column=spec.column,
        kwargs=_json_safe(spec.kwargs),
        severity=spec.severity,
        success=bool(result.get("success")),
        unexpected_count=int(count) if count is not None else None,
        unexpected_percent=round(float(percent), 4) if percent is not None else None,
        examples=_json_safe(list(body.get("partial_unexpected_list") or [])[:EXAMPLES]),
        observed_value=_json_safe(body.get("observed_value")),
        file=spec.file,
        line=spec.line,
    )
