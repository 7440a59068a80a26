"""Request validation derived from the model's signature.

One pydantic model per server, built at start-up from ``signature.inputs``: each
column becomes a field (aliased, so any column name works), typed strictly so a
string where a number belongs is a 422 naming that column rather than a pandas
error deep in the pipeline. Validated rows come out as plain lists in signature
order, the form both prediction paths consume without another lookup.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from .mlmodel import ColumnSpec

Row = list[Any]

_TYPES: dict[str, Any] = {
    # Floats accept null: it becomes NaN, which the training pipeline's imputers handle (train
    # casts numeric features to float64 exactly so the signature allows missing values).
    "double": float | None,
    "float": float | None,
    "long": int,
    "integer": int,
    "boolean": bool,
    "string": str,
    "datetime": str,
    "binary": str,
    "any": Any,
}


class RequestError(Exception):
    """A request the server refuses: HTTP status plus FastAPI-style ``detail`` entries."""

    def __init__(self, status: int, detail: list[dict[str, Any]] | str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(str(detail))


class RowValidator:
    """Validates one row or a batch against the signature; returns value lists."""

    def __init__(self, columns: tuple[ColumnSpec, ...], max_rows: int) -> None:
        self.columns = columns
        self.max_rows = max_rows
        fields: dict[str, Any] = {}
        for i, col in enumerate(columns):
            annotation = _TYPES[col.type]
            if col.required:
                fields[f"c{i}"] = (annotation, Field(alias=col.name))
            else:
                fields[f"c{i}"] = (annotation | None, Field(default=None, alias=col.name))
        # extra="ignore": clients often send whole records (ids included); a typo still shows up as
        # the missing column it was meant to be.
        config = ConfigDict(strict=True, extra="ignore", populate_by_name=False)
        self.model: type[BaseModel] = create_model("Row", __config__=config, **fields)
        self._names = [f"c{i}" for i in range(len(columns))]
        self._batch = TypeAdapter(list[self.model])  # type: ignore[name-defined]

    def one(self, payload: Any) -> Row:
        if not isinstance(payload, dict):
            raise RequestError(
                422, [_detail(["body"], "Input should be a JSON object of column: value", "dict_type")]
            )
        try:
            row = self.model.model_validate(payload)
        except ValidationError as exc:
            raise RequestError(422, _details(exc, ["body"])) from None
        values = row.__dict__
        return [values[name] for name in self._names]

    def batch(self, payload: Any) -> list[Row]:
        prefix: list[str | int] = ["body"]
        if isinstance(payload, dict) and "rows" in payload:
            payload, prefix = payload["rows"], ["body", "rows"]
        if not isinstance(payload, list):
            raise RequestError(
                422, [_detail(prefix, 'Input should be a list of rows or {"rows": [...]}', "list_type")]
            )
        if len(payload) > self.max_rows:
            raise RequestError(413, f"batch of {len(payload)} rows exceeds the limit of {self.max_rows}")
        if not payload:
            raise RequestError(422, [_detail(prefix, "the batch is empty", "too_short")])
        try:
            rows = self._batch.validate_python(payload)
        except ValidationError as exc:
            raise RequestError(422, _details(exc, prefix)) from None
        names = self._names
        return [[row.__dict__[name] for name in names] for row in rows]

    def json_schema(self) -> dict[str, Any]:
        return self.model.model_json_schema(by_alias=True)


def _detail(loc: list[str | int], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": kind}


def _details(exc: ValidationError, prefix: list[str | int]) -> list[dict[str, Any]]:
    return [
        _detail([*prefix, *err["loc"]], err["msg"], err["type"])
        for err in exc.errors(include_url=False, include_input=False)
    ]
