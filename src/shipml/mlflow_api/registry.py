"""Reading and writing the model registry: aliases and version tags, with "missing" made explicit.

MLflow answers a missing alias, version or model with an exception; the
helpers here turn "not there" into ``None`` (or a one-line input error where
the user named the thing) so callers branch on values, not on error codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..contracts import tags as T
from ..errors import InputDataError
from .client import is_not_found

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion


def alias_version(client: MlflowClient, model: str, alias: str) -> str | None:
    """The version an alias points at, or None when the alias (or the model) does not exist."""
    try:
        return str(client.get_model_version_by_alias(model, alias).version)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise


def version_tags(client: MlflowClient, model: str, version: str) -> dict[str, str]:
    try:
        return dict(client.get_model_version(model, version).tags or {})
    except Exception as exc:
        if is_not_found(exc):
            raise InputDataError(
                f"registered model '{model}' has no version {version}",
                hint="check --version / the gate result and mlflow.registered_model",
            ) from None
        raise


def all_versions(client: MlflowClient, model: str) -> list[ModelVersion]:
    """Every version of ``model`` with its tags (paged; an unknown model has none)."""
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = client.search_model_versions(f"name = '{model}'", max_results=1000, page_token=token)
        found.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return found


def set_tags(client: MlflowClient, model: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        client.set_model_version_tag(model, version, key, value)


def record_gate_decision(client: MlflowClient, name: str, version: str, tags: dict[str, str]) -> None:
    """Replace the previous gate tags on the version, so a stale field never survives a newer gate."""
    current = client.get_model_version(name, version).tags or {}
    for key in current:
        if key.startswith(T.GATE) and key not in tags:
            client.delete_model_version_tag(name, version, key)
    set_tags(client, name, version, tags)
