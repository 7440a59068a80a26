"""Finding the champion and the challenger, wherever they live, and loading them once.

A model can be named by registry alias (the default: ``models:/NAME@champion`` and
``@challenger``), by version (``models:/NAME/3``), by run (``runs:/RUN/model``) or
by a local MLflow model directory. Aliases are resolved to a version up front and
the version is what gets downloaded, so a champion moved mid-gate can never be the
one scored, and the version the gate saw is what promotion checks later.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from ..errors import InputDataError, first_line
from ..mlflow_api.client import is_not_found

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from ..config import ShipmlConfig

Role = Literal["champion", "challenger"]


@dataclass
class ModelRef:
    """Where a model is and what the registry/run says about it (before it is loaded)."""

    role: Role
    uri: str  # as asked for (alias URIs stay aliases here, for messages)
    registered_model: str | None = None
    version: str | None = None
    run_id: str | None = None
    local_path: Path | None = None
    tags: dict[str, str] = field(default_factory=dict)  # run tags overlaid by version tags

    @property
    def pinned_uri(self) -> str:
        """The immutable URI actually loaded: a version, never a movable alias."""
        if self.registered_model and self.version:
            return f"models:/{self.registered_model}/{self.version}"
        return str(self.local_path) if self.local_path else self.uri

    def label(self) -> str:
        if self.registered_model and self.version:
            return f"{self.role} {self.uri} (version {self.version})"
        return f"{self.role} {self.uri}"


@dataclass
class LoadedModel:
    ref: ModelRef
    model: Any  # an sklearn estimator (sklearn flavor) or an mlflow PyFuncModel
    features: list[str] | None
    size_bytes: int
    path: Path


def _not_found(role: Role, uri: str, why: str, hint: str) -> InputDataError:
    return InputDataError(f"{role} model {uri} not found: {why}", hint=hint)


def default_uri(cfg: ShipmlConfig, role: Role) -> str:
    alias = cfg.mlflow.champion_alias if role == "champion" else cfg.mlflow.challenger_alias
    return f"models:/{cfg.mlflow.registered_model}@{alias}"


def _from_registry(client: MlflowClient, role: Role, uri: str) -> ModelRef:
    body = uri[len("models:/") :]
    try:
        if "@" in body:
            name, alias = body.rsplit("@", 1)
            mv = client.get_model_version_by_alias(name, alias)
        elif "/" in body and body.rsplit("/", 1)[1].isdigit():
            name, number = body.rsplit("/", 1)
            mv = client.get_model_version(name, number)
        else:
            raise InputDataError(
                f"{role} model URI {uri} names no alias or version",
                hint="use models:/NAME@ALIAS or models:/NAME/VERSION",
            )
    except Exception as exc:
        if is_not_found(exc):
            raise _not_found(
                role,
                uri,
                first_line(exc),
                "check the registered model name, alias or version in the MLflow UI",
            ) from None
        raise
    tags: dict[str, str] = {}
    if mv.run_id:
        try:
            tags.update(client.get_run(mv.run_id).data.tags)
        except Exception as exc:
            if not is_not_found(exc):
                raise
    tags.update(mv.tags or {})
    return ModelRef(role, uri, registered_model=mv.name, version=str(mv.version), run_id=mv.run_id, tags=tags)


def _from_run(client: MlflowClient, role: Role, uri: str) -> ModelRef:
    run_id = uri[len("runs:/") :].split("/", 1)[0]
    if not run_id:
        raise InputDataError(f"{role} model URI {uri} names no run", hint="use runs:/RUN_ID/model")
    try:
        run = client.get_run(run_id)
    except Exception as exc:
        if is_not_found(exc):
            raise _not_found(role, uri, first_line(exc), "check the run id in the MLflow UI") from None
        raise
    return ModelRef(role, uri, run_id=run_id, tags=dict(run.data.tags))


def _from_path(role: Role, uri: str) -> ModelRef:
    path = Path(uri[len("file://") :] if uri.startswith("file://") else uri).expanduser()
    if not path.exists():
        raise _not_found(
            role,
            uri,
            "not a models:/ or runs:/ URI and no such path",
            "use models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model or an MLflow model directory",
        )
    if not (path / "MLmodel").is_file():
        raise InputDataError(
            f"{role} model path {path} is not an MLflow model directory (no MLmodel file)",
            hint="point at a directory written by mlflow.sklearn.save_model/log_model",
        )
    return ModelRef(role, uri, local_path=path.resolve())


def resolve(client: MlflowClient, cfg: ShipmlConfig, role: Role, spec: str | None) -> ModelRef | None:
    """Find a model without downloading it; ``None`` only for a default champion that does not exist yet.

    An explicitly named champion that is missing is an error (the user meant a
    specific model); the default champion alias being unset means this is the first
    model, which the gate judges on absolute rules only.
    """
    explicit = bool(spec)
    uri = spec if spec else default_uri(cfg, role)
    if uri.startswith("models:/"):
        try:
            return _from_registry(client, role, uri)
        except InputDataError:
            if role == "champion" and not explicit:
                return None
            raise
    if uri.startswith("runs:/"):
        return _from_run(client, role, uri)
    return _from_path(role, uri)


def _mlmodel(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load((path / "MLmodel").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputDataError(f"cannot read {path / 'MLmodel'}: {exc}", hint="re-log the model") from None
    return data if isinstance(data, dict) else {}


def _size(path: Path, meta: dict[str, Any]) -> int:
    """Bytes of the serialized model itself (not the env files and examples logged beside it)."""
    pickled = ((meta.get("flavors") or {}).get("sklearn") or {}).get("pickled_model")
    if pickled and (path / pickled).is_file():
        return int((path / pickled).stat().st_size)
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _features(ref: ModelRef, meta: dict[str, Any], model: Any) -> list[str] | None:
    raw = ref.tags.get("shipml.features")
    if raw:
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    inputs = (meta.get("signature") or {}).get("inputs")
    if inputs:
        try:
            cols = json.loads(inputs)
        except ValueError:
            cols = []
        names = [c["name"] for c in cols if isinstance(c, dict) and c.get("name")]
        if names:
            return names
    names_in = getattr(model, "feature_names_in_", None)
    return [str(n) for n in names_in] if names_in is not None else None


def download(ref: ModelRef, scratch: Path) -> Path:
    """The pinned version's files, downloaded once (a local model directory is used where it is)."""
    if ref.local_path is not None:
        return ref.local_path
    import mlflow

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    dest = scratch / ref.role
    dest.mkdir(parents=True, exist_ok=True)
    try:
        path = Path(mlflow.artifacts.download_artifacts(artifact_uri=ref.pinned_uri, dst_path=str(dest)))
    except Exception as exc:  # MlflowException, OSError, or a store-specific error: all "cannot fetch"
        raise _not_found(
            ref.role,
            ref.uri,
            f"cannot download {ref.pinned_uri} ({first_line(exc)})",
            "check the URI and that the artifact store is reachable",
        ) from None
    if not (path / "MLmodel").is_file():
        raise _not_found(
            ref.role,
            ref.uri,
            f"{ref.pinned_uri} is not an MLflow model (no MLmodel file)",
            "point at the logged model, e.g. runs:/RUN_ID/model",
        )
    return path


def _mlflow_refuses_deserialising() -> bool:
    """``MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false``: then MLflow's own loader decides (and refuses)."""
    return os.environ.get("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true").strip().lower() in ("false", "0")


def load(ref: ModelRef, path: Path) -> LoadedModel:
    """Load a downloaded model; one line naming the model on any failure.

    The sklearn flavor is read without MLflow (:mod:`shipml.serve.loading`: skops with the
    trusted types MLflow recorded, the decision ``mlflow.sklearn.load_model`` makes), so the
    gate's process never imports MLflow; other flavors go through ``mlflow.pyfunc``.
    """
    meta = _mlmodel(path)
    flavors = meta.get("flavors") or {}
    try:
        if "sklearn" in flavors and not _mlflow_refuses_deserialising():
            from ..serve import loading, mlmodel

            model: Any = loading.estimator(mlmodel.read(path, serving=False))
        elif "sklearn" in flavors:
            import mlflow.sklearn

            model = mlflow.sklearn.load_model(str(path))
        else:
            import mlflow.pyfunc

            model = mlflow.pyfunc.load_model(str(path))
    except InputDataError:
        raise
    except Exception as exc:  # deserialisation errors come from skops/pickle/the flavor: all mean "unusable"
        raise InputDataError(
            f"{ref.label()} cannot be loaded: {first_line(exc)}",
            hint="check the model was logged with a compatible scikit-learn/MLflow version",
        ) from None
    return LoadedModel(ref, model, _features(ref, meta, model), _size(path, meta), path)


def compare_features(champion: LoadedModel, challenger: LoadedModel) -> list[str]:
    """Human-readable differences between the two feature sets (empty when they match as sets)."""
    if champion.features is None or challenger.features is None:
        return []
    old, new = set(champion.features), set(challenger.features)
    diffs = []
    if new - old:
        diffs.append(f"only the challenger uses {sorted(new - old)}")
    if old - new:
        diffs.append(f"only the champion uses {sorted(old - new)}")
    return diffs
