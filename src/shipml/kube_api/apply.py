"""Server-side apply (field manager ``shipml``, never forced), reads, and the dry-run diff.

Server-side apply is what makes "never leave someone else's change overwritten
silently" enforceable: the API server tracks which manager owns each field, and
without ``force`` a field owned by another manager is a 409 naming it (translated to
exit 1 by :mod:`.errors`). ``dryRun=All`` runs the same request through admission
and validation without persisting, so the diff against the live object is exactly
what a real apply would change.
"""

from __future__ import annotations

from typing import Any

from .client import Kube
from .errors import ApplyConflict, Call

FIELD_MANAGER = "shipml"
#: The manager of shipml's own non-apply writes (the canary's scales and its promotion of stable's
#: image). A field it took from ``shipml`` is still shipml's: the next apply takes it back.
CANARY_FIELD_MANAGER = "shipml-canary"
OWN_MANAGERS = frozenset({CANARY_FIELD_MANAGER})
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
# Fields the server owns or rewrites on every write: not a change the user made.
VOLATILE_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")


def _ident(obj: dict[str, Any]) -> tuple[str, str, str]:
    return str(obj["apiVersion"]), str(obj["kind"]), str(obj["metadata"]["name"])


def get(kube: Kube, obj: dict[str, Any], namespace: str) -> dict[str, Any] | None:
    """The live object of the same kind and name, or None."""
    from ..errors import InputDataError

    api_version, kind, name = _ident(obj)
    path = kube.path(api_version, kind, namespace, name)
    call = Call("get", kube.resource_name(api_version, kind), namespace, name)
    try:
        live: dict[str, Any] = kube.rest(call, "GET", path)
    except InputDataError as exc:
        if "not found" in exc.message:
            return None
        raise
    return live


def apply(kube: Kube, obj: dict[str, Any], namespace: str, *, dry_run: bool = False) -> dict[str, Any]:
    """Server-side apply ``obj``; the object as the server stored (or would store) it.

    Never forced over another actor. The one exception is a conflict in which *every* field is
    held by shipml's own canary manager (a promoted canary wrote stable's image): those fields
    are shipml's, so the apply is repeated with ``force=true``. A field held by anyone else is
    still the 409 (exit 1) naming it.
    """
    api_version, kind, name = _ident(obj)
    path = kube.path(api_version, kind, namespace, name)
    call = Call("patch", kube.resource_name(api_version, kind), namespace, name)

    def send(force: bool) -> dict[str, Any]:
        query = [("fieldManager", FIELD_MANAGER), ("force", "true" if force else "false")]
        if dry_run:
            query.append(("dryRun", "All"))
        result: dict[str, Any] = kube.rest(
            call, "PATCH", path, body=obj, query=query, content_type=APPLY_CONTENT_TYPE
        )
        return result

    try:
        return send(force=False)
    except ApplyConflict as exc:
        if not exc.pairs or any(manager not in OWN_MANAGERS for _field, manager in exc.pairs):
            raise
        return send(force=True)


def namespace_exists(kube: Kube, namespace: str) -> bool:
    """Whether ``namespace`` exists; an identity that may not read namespaces (a namespaced Role,
    the usual deploy identity) gets True, and the first namespaced call says what is missing."""
    from ..errors import InputDataError
    from .errors import Forbidden

    try:
        kube.rest(Call("get", "namespaces", None, namespace), "GET", f"/api/v1/namespaces/{namespace}")
    except InputDataError:
        return False
    except Forbidden:
        return True
    return True


def create_namespace(kube: Kube, namespace: str, *, dry_run: bool = False) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    query = [("fieldManager", FIELD_MANAGER), ("force", "false")] + ([("dryRun", "All")] if dry_run else [])
    kube.rest(
        Call("patch", "namespaces", None, namespace),
        "PATCH",
        f"/api/v1/namespaces/{namespace}",
        body=body,
        query=query,
        content_type=APPLY_CONTENT_TYPE,
    )


def comparable(obj: dict[str, Any] | None) -> dict[str, Any]:
    """An object without status and server-kept metadata: what a diff should compare."""
    if not obj:
        return {}
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in VOLATILE_METADATA}
    out["metadata"] = meta
    return out


def diff(before: Any, after: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(field path, live value, new value) of every leaf that differs, in document order."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in list(before) + [k for k in after if k not in before]:
            out += diff(before.get(key), after.get(key), f"{path}.{key}")
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (a, b) in enumerate(zip(before, after, strict=True)):
            out += diff(a, b, f"{path}[{i}]")
        return out
    return [] if before == after else [(path or ".", before, after)]
