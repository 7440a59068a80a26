"""Offline schema validation of every object before anything is sent to a cluster.

``kubernetes-validate --strict`` checks each object against the JSON schemas of the
target Kubernetes version with unknown fields refused: a misspelt ``readinesProbe``
would otherwise be dropped by the API server and the Deployment would roll out
without a probe. The error names file, object and field path, e.g.
``k8s/app.yaml#0 Deployment/api: spec.template.spec.containers[0].readinesProbe``.
Kinds without a bundled schema (custom resources) are left to the API server's own
validation in the dry run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import InputDataError, require
from .manifests import Manifest


def field_path(parts: Iterable[Any]) -> str:
    """``spec.template.spec.containers[0]``: a JSON path as a Kubernetes user writes it."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate(manifests: list[Manifest], kubernetes_version: str) -> list[str]:
    """Raise :class:`InputDataError` on the first invalid object; kinds left unchecked are returned."""
    require("kubernetes_validate", "deploy")
    import kubernetes_validate as kv  # type: ignore[import-untyped]

    unchecked: list[str] = []
    for manifest in manifests:
        try:
            kv.validate(manifest.obj, kubernetes_version, strict=True)
        except kv.SchemaNotFoundError:
            unchecked.append(f"{manifest.kind}/{manifest.name}")
        except kv.ValidationError as exc:
            path = list(getattr(exc, "absolute_path", []) or [])
            message = str(getattr(exc, "message", exc))
            if getattr(exc, "validator", "") == "additionalProperties" and "'" in message:
                path.append(message.split("'")[1])
                message = "unknown field"
            raise InputDataError(
                f"{manifest.label()}: {field_path(path)}: {message} (Kubernetes {exc.version} schema)",
                hint="fix the manifest; field names are case-sensitive (kubectl explain shows the schema)",
            ) from None
    return unchecked
