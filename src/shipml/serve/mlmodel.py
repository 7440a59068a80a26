"""Read an MLflow model directory's ``MLmodel`` file without importing MLflow.

MLflow itself costs ~1.2 s of imports and hundreds of MB in an image; the server
needs only three things from the directory: which file holds the estimator and in
which serialization, the input signature (column names and types), and the run
id. All are plain YAML. Checked up front, before the port is bound, so a wrong
directory is exit 2 with one line instead of a server that never gets ready.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from ..errors import InputDataError

# MLflow column types -> how the server validates them (see rows.py).
# "any" is ours: columns taken from a fitted model's feature_names_in_ when there is no signature.
ColumnType = Literal["double", "float", "long", "integer", "boolean", "string", "datetime", "binary", "any"]
SUPPORTED_TYPES: frozenset[str] = frozenset(ColumnType.__args__) - {"any"}  # type: ignore[attr-defined]
SKLEARN_FORMATS = ("skops", "cloudpickle", "pickle")


class ColumnSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: ColumnType
    required: bool = True


class ModelSpec(BaseModel):
    """What the server knows about the model before loading it."""

    model_config = ConfigDict(frozen=True)

    directory: Path
    flavor: Literal["sklearn", "python_function"]
    model_file: Path | None = None
    serialization_format: str | None = None
    trusted_types: tuple[str, ...] = ()
    columns: tuple[ColumnSpec, ...] | None = None
    run_id: str | None = None
    model_id: str | None = None
    input_example: tuple[dict[str, Any], ...] = ()


def _fail(directory: Path, what: str, hint: str) -> InputDataError:
    return InputDataError(f"model directory {directory}: {what}", hint=hint)


def read(directory: str | Path, *, serving: bool = True) -> ModelSpec:
    """Parse and check ``DIR/MLmodel``; raise one line on the first problem.

    ``serving=False`` (the gate) reads only what loading needs: the signature's column types
    and the input example are the server's concern, and a model the server could not
    validate requests for can still be scored.
    """
    root = Path(directory)
    mlmodel = root / "MLmodel"
    if not root.is_dir():
        raise _fail(root, "not a directory", "pass the folder that contains the MLmodel file")
    try:
        data = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(
            root, "no MLmodel file", "pass an MLflow model folder (mlflow.artifacts.download_artifacts)"
        ) from None
    except (OSError, yaml.YAMLError) as exc:
        raise _fail(
            root, f"MLmodel unreadable ({str(exc).splitlines()[0]})", "re-download the model"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("flavors"), dict):
        raise _fail(root, "MLmodel has no 'flavors' mapping", "re-download the model")
    flavors: dict[str, Any] = data["flavors"]
    columns = _columns(root, data.get("signature")) if serving else None
    common: dict[str, Any] = {
        "directory": root,
        "columns": columns,
        "run_id": data.get("run_id"),
        "model_id": data.get("model_id"),
        "input_example": _example(root, data.get("saved_input_example_info")) if serving else (),
    }
    sk = flavors.get("sklearn")
    if isinstance(sk, dict):
        fmt = str(sk.get("serialization_format") or "cloudpickle")
        if fmt not in SKLEARN_FORMATS:
            raise _fail(
                root, f"unknown sklearn serialization {fmt!r}", f"use one of {', '.join(SKLEARN_FORMATS)}"
            )
        model_file = root / str(sk.get("pickled_model") or "")
        if not model_file.is_file():
            raise _fail(root, f"model file {model_file.name!r} named in MLmodel is missing", "re-download it")
        return ModelSpec(
            flavor="sklearn",
            model_file=model_file,
            serialization_format=fmt,
            trusted_types=tuple(str(t) for t in sk.get("skops_trusted_types") or ()),
            **common,
        )
    if "python_function" in flavors:
        return ModelSpec(flavor="python_function", **common)
    raise _fail(
        root,
        f"no sklearn or python_function flavor (found: {', '.join(flavors) or 'none'})",
        "log the model with mlflow.sklearn or mlflow.pyfunc",
    )


def _columns(root: Path, signature: Any) -> tuple[ColumnSpec, ...] | None:
    if not isinstance(signature, dict) or not signature.get("inputs"):
        return None
    try:
        inputs = json.loads(signature["inputs"])
    except (TypeError, ValueError):
        raise _fail(root, "MLmodel signature.inputs is not valid JSON", "re-log the model") from None
    columns = []
    for item in inputs:
        if item.get("type") == "tensor" or "name" not in item:
            raise _fail(
                root,
                "the signature is tensor-based, not column-based",
                "log the model with a DataFrame input example or signature",
            )
        if item["type"] not in SUPPORTED_TYPES:
            raise _fail(
                root,
                f"column {item['name']!r} has type {item['type']!r}, which the server cannot validate",
                f"use one of {', '.join(sorted(SUPPORTED_TYPES))}",
            )
        columns.append(ColumnSpec(name=item["name"], type=item["type"], required=item.get("required", True)))
    return tuple(columns)


def _example(root: Path, info: Any) -> tuple[dict[str, Any], ...]:
    """The logged input example as rows (used to check the fast path); () when absent or odd."""
    if not isinstance(info, dict) or info.get("type") != "dataframe":
        return ()
    try:
        data = json.loads((root / str(info.get("artifact_path", ""))).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    if isinstance(data, dict) and "columns" in data and "data" in data:
        return tuple(dict(zip(data["columns"], row, strict=False)) for row in data["data"])
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return tuple(data)
    return ()
