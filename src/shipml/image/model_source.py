"""Fetching the model an image is built for, and what it is (name, version, run) for the labels.

An alias is resolved to its version once, up front, and that exact version is
downloaded: if someone moves ``@champion`` during the build, the image still holds
the version its labels name.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..errors import InputDataError

if TYPE_CHECKING:
    from ..config import ShipmlConfig

_MODELS = re.compile(r"models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>[^/]+))/?")
_RUNS = re.compile(r"runs:/(?P<run_id>[^/]+)/.+")


@dataclass(frozen=True)
class ModelInfo:
    uri: str
    name: str | None
    version: str | None
    run_id: str | None


def is_remote_uri(uri: str) -> bool:
    return uri.startswith(("models:/", "runs:/"))


def _check_mlflow_model(path: Path, uri: str) -> None:
    if not (path / "MLmodel").is_file():
        raise InputDataError(
            f"{uri} is not an MLflow model (no MLmodel file in {path})",
            hint="pass models:/NAME/VERSION, models:/NAME@ALIAS, runs:/ID/PATH or a logged model dir",
        )


def _mlmodel_run_id(path: Path) -> str | None:
    try:
        data = yaml.safe_load((path / "MLmodel").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    run_id = data.get("run_id") if isinstance(data, dict) else None
    return str(run_id) if run_id else None


def fetch(cfg: ShipmlConfig, uri: str, dest: Path) -> ModelInfo:
    """Put the model's files in ``dest`` (which must not exist); return what it is."""
    local = Path(uri).expanduser()
    if not is_remote_uri(uri):
        if not local.is_dir():
            raise InputDataError(
                f"model {uri} not found (neither a models:/ or runs:/ URI nor a directory)",
                hint="pass models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/model or a model dir",
            )
        _check_mlflow_model(local, uri)
        shutil.copytree(local, dest)
        return ModelInfo(str(local.resolve()), None, None, _mlmodel_run_id(dest))

    from ..mlflow_api.client import calling, connect

    client = connect(cfg, extra="image")
    import mlflow.artifacts

    name = version = run_id = None
    download_uri = uri
    with calling(f"fetching the model {uri}"):
        if match := _MODELS.fullmatch(uri):
            name = match["name"]
            if match["alias"]:
                mv = client.get_model_version_by_alias(name, match["alias"])
            else:
                mv = client.get_model_version(name, match["version"])
            version, run_id = str(mv.version), mv.run_id
            download_uri = f"models:/{name}/{version}"
        elif match := _RUNS.fullmatch(uri):
            run_id = match["run_id"]
            client.get_run(run_id)
        else:
            raise InputDataError(
                f"{uri} is not a model URI shipml can build",
                hint="use models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN_ID/PATH",
            )
        # models:/ lands in dst_path itself, runs:/ID/PATH in dst_path/PATH: move what it returns.
        staging = dest.with_name(dest.name + ".download")
        staging.mkdir(parents=True)
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        got = mlflow.artifacts.download_artifacts(artifact_uri=download_uri, dst_path=str(staging))
        shutil.move(got, dest)
        shutil.rmtree(staging, ignore_errors=True)
    _check_mlflow_model(dest, uri)
    return ModelInfo(uri, name, version, run_id or _mlmodel_run_id(dest))
