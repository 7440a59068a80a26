"""One translator from what the kubernetes client raises to one-line shipml errors.

Every call to the API server runs inside :func:`calling`, which names what was being
done (verb, resource, namespace) so that a refusal reads like an instruction:

* connection refused, DNS, TLS, timeouts -> exit 3 (the cluster is unreachable);
* 401 -> exit 3 (the credentials are not accepted: the cluster is not usable by us);
* 403 -> exit 3 naming verb, resource and namespace, and the RBAC rule to add;
* 404 -> exit 2 (a namespace or object that is not there);
* 409 from a server-side apply -> exit 1 naming each conflicting field and its manager
  (another actor owns it; shipml never forces, the user decides);
* 422/400 -> exit 2 with the field the API server rejected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import ExitCode, InfrastructureUnreachable, InputDataError, ShipmlError


class ApplyConflict(ShipmlError):
    """Another field manager owns a field shipml wants to set; applying would take it silently."""

    exit_code = ExitCode.POLICY_FAILED

    def __init__(self, message: str, *, hint: str | None = None, pairs: list[tuple[str, str]] | None = None):
        super().__init__(message, hint=hint)
        #: (field, manager) of each conflict, when the server named them.
        self.pairs = pairs or []


class Forbidden(InfrastructureUnreachable):
    """RBAC refused a verb: the cluster is there, but unusable with these credentials."""


@dataclass(frozen=True)
class Call:
    """What is being done, in RBAC's words: ``patch`` ``deployments.apps`` in ``prod``."""

    verb: str
    resource: str
    namespace: str | None = None
    name: str | None = None

    def describe(self) -> str:
        target = f"{self.resource}/{self.name}" if self.name else self.resource
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.verb} {target}{where}"


def status_body(exc: Any) -> dict[str, Any]:
    """The ``Status`` object the API server sent with an error ({} when it sent none)."""
    try:
        body = json.loads(getattr(exc, "body", None) or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def conflicts(status: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, manager) pairs of a server-side apply conflict, from the Status's causes."""
    found: list[tuple[str, str]] = []
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") != "FieldManagerConflict":
            continue
        message = str(cause.get("message") or "")
        manager = message.split('"')[1] if message.count('"') >= 2 else message
        found.append((str(cause.get("field") or "?"), manager))
    return found


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def translate(exc: Any, call: Call, server: str) -> ShipmlError:
    """The shipml error for an ``ApiException`` raised while doing ``call``."""
    status = int(getattr(exc, "status", 0) or 0)
    body = status_body(exc)
    message = _one_line(body.get("message") or getattr(exc, "reason", "") or "")
    what = call.describe()
    if status == 401:
        return InfrastructureUnreachable(
            f"the Kubernetes API at {server} rejected the credentials (401) to {what}",
            hint="refresh the kubeconfig's token or client certificate (action input `kubeconfig`)",
        )
    if status == 403:
        group = call.resource.split(".", 1)[1] if "." in call.resource else '""'
        scope = f"namespace {call.namespace}" if call.namespace else "the cluster"
        return Forbidden(
            f"RBAC forbids {call.verb} on {call.resource} in {scope} ({message})",
            hint=f"grant the deploying identity a Role with apiGroups [{group}], resources "
            f"[{call.resource.split('.', 1)[0]}], verbs [{call.verb}] in {scope}",
        )
    if status == 404:
        if call.namespace and f'namespaces "{call.namespace}" not found' in message:
            return InputDataError(
                f"namespace {call.namespace} does not exist (while trying to {what})",
                hint="create it, or set create_namespace: true for this environment in shipml.yaml",
            )
        return InputDataError(f"not found while trying to {what} ({message})", hint="check the names")
    if status == 409:
        pairs = conflicts(body)
        if pairs:
            listed = ", ".join(f"{field} (owned by {manager!r})" for field, manager in pairs)
            return ApplyConflict(
                f"server-side apply of {call.resource}/{call.name} conflicts: {listed}",
                hint="another actor changed these fields; remove them from your manifests, or have that "
                "actor release them (kubectl apply --server-side --force-conflicts --field-manager shipml "
                "takes them over deliberately)",
                pairs=pairs,
            )
        return ApplyConflict(f"conflict while trying to {what} ({message})", hint="re-run the deploy")
    if status in (400, 422):
        causes = (body.get("details") or {}).get("causes") or []
        field = f" at {causes[0].get('field')}" if causes and causes[0].get("field") else ""
        return InputDataError(
            f"the API server refused to {what}{field}: {message}",
            hint="fix the manifest (the field named above)",
        )
    if status >= 500 or status == 0:
        return InfrastructureUnreachable(
            f"the Kubernetes API at {server} failed to {what} ({status or 'no status'}: {message})",
            hint="re-run when the control plane is healthy",
        )
    return InputDataError(f"the API server refused to {what} ({status}: {message})", hint="see the message")


@contextmanager
def calling(call: Call, server: str) -> Iterator[None]:
    """Run one API request, turning every client failure into a :class:`ShipmlError`."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ShipmlError:
        raise
    except ApiException as exc:
        raise translate(exc, call, server) from None
    except (HTTPError, OSError) as exc:
        reason = _one_line(str(getattr(exc, "reason", None) or exc), 200)
        raise InfrastructureUnreachable(
            f"the Kubernetes API at {server} is unreachable (while trying to {call.describe()}: {reason})",
            hint="check the kubeconfig's server address, the network and that the cluster is up",
        ) from None
