"""Connect to a cluster from a kubeconfig and context; one generic REST verb over the official client.

Why a generic verb and not the typed ``AppsV1Api``: user manifests hold any kind
(Services, HPAs, CRD-backed objects), and server-side apply is the same PATCH for all
of them. Resource paths come from the API server's own discovery documents (one
request per group/version, cached), so a kind is never guessed.

The kubeconfig of an action arrives as a secret's *content*: :func:`kubeconfig_file`
writes it 0600 to a private temporary directory and removes it afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InfrastructureUnreachable, InputDataError, require
from .errors import Call, calling

KUBECONFIG_DATA_ENV = "SHIPML_KUBECONFIG_DATA"  # the action's secret `kubeconfig` input (content)
REQUEST_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)


@contextmanager
def kubeconfig_file(path: str | None, environ: dict[str, str] | None = None) -> Iterator[Path]:
    """The kubeconfig: ``path``, else the secret content (written 0600, removed after), else $KUBECONFIG.

    A missing file is a configuration error (exit 2) naming where it was looked for.
    """
    env = dict(os.environ if environ is None else environ)
    data = env.get(KUBECONFIG_DATA_ENV, "")
    if path:
        candidate = Path(path).expanduser()
        if not candidate.is_file():
            raise ConfigError(
                f"kubeconfig {candidate} not found", hint="pass --kubeconfig PATH of an existing file"
            )
        yield candidate
        return
    if data.strip():
        from .. import runner

        runner.mask(data)
        folder = Path(tempfile.mkdtemp(prefix="shipml-kube-"))
        try:
            target = folder / "kubeconfig"
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
            yield target
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    listed = env.get("KUBECONFIG", "").split(os.pathsep)[0] or str(Path("~/.kube/config").expanduser())
    candidate = Path(listed).expanduser()
    if not candidate.is_file():
        raise ConfigError(
            f"no kubeconfig: {candidate} does not exist and none was given",
            hint="pass the action input `kubeconfig` from a secret, or --kubeconfig PATH, or set KUBECONFIG",
        )
    yield candidate


@dataclass
class Kube:
    """A connected client: the API server's URL, the context used and a discovery cache."""

    api: Any  # kubernetes.client.ApiClient
    server: str
    context: str
    _paths: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)

    def rest(
        self,
        call: Call,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
        timeout: tuple[float, float] = REQUEST_TIMEOUT,
    ) -> Any:
        """One request; the parsed JSON answer. Failures become shipml errors via :func:`calling`."""
        _, data = self.send(
            call, method, path, body=body, query=query, content_type=content_type, timeout=timeout
        )
        text = data.decode("utf-8", errors="replace")
        return json.loads(text) if text.strip() else None

    def send(
        self,
        call: Call,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        timeout: tuple[float, float] = REQUEST_TIMEOUT,
    ) -> tuple[int, bytes]:
        """(status, raw body) of a 2xx answer; any other status raises through :func:`calling`."""
        from kubernetes.client.exceptions import ApiException

        with calling(call, self.server):
            params = self.api.param_serialize(
                method,
                path,
                query_params=query or [],
                header_params={"Accept": accept, "Content-Type": content_type},
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self.api.call_api(*params, _request_timeout=timeout)
            response.read()
            data = bytes(response.data or b"")
            if not 200 <= int(response.status) <= 299:
                raise ApiException.from_response(
                    http_resp=response, body=data.decode("utf-8", errors="replace"), data=None
                )
            return int(response.status), data

    def probe(self) -> str:
        """The server's version (``v1.37.2``); exit 3 when it does not answer."""
        answer = self.rest(Call("get", "version"), "GET", "/version", timeout=(5.0, 10.0))
        return str((answer or {}).get("gitVersion") or "unknown")

    def resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) of ``kind`` in ``api_version``, from the server's discovery."""
        if api_version not in self._paths:
            base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            try:
                listing = self.rest(Call("get", f"discovery {api_version}"), "GET", base)
            except InputDataError:
                raise InputDataError(
                    f"the cluster does not serve apiVersion {api_version}",
                    hint="use an apiVersion this Kubernetes version serves (kubectl api-versions)",
                ) from None
            self._paths[api_version] = {
                str(r["kind"]): (str(r["name"]), bool(r.get("namespaced")))
                for r in (listing or {}).get("resources", [])
                if "/" not in str(r.get("name", ""))
            }
        found = self._paths[api_version].get(kind)
        if found is None:
            raise InputDataError(
                f"the cluster serves no kind {kind} in {api_version}", hint="check the manifest's kind"
            )
        return found

    def path(self, api_version: str, kind: str, namespace: str, name: str | None = None) -> str:
        plural, namespaced = self.resource(api_version, kind)
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        ns = f"/namespaces/{namespace}" if namespaced else ""
        return f"{base}{ns}/{plural}" + (f"/{name}" if name else "")

    def resource_name(self, api_version: str, kind: str) -> str:
        """``deployments.apps``: how RBAC names a resource."""
        plural, _ = self.resource(api_version, kind)
        group = api_version.split("/")[0] if "/" in api_version else ""
        return f"{plural}.{group}" if group else plural


def connect(kubeconfig: Path, context: str | None) -> Kube:
    """A client for ``context`` of ``kubeconfig`` (exit 2 if the context is not in it)."""
    require("kubernetes", "deploy")
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    try:
        contexts, current = config.list_kube_config_contexts(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
    except (ConfigException, OSError, ValueError) as exc:
        raise ConfigError(
            f"kubeconfig {kubeconfig} cannot be read: {str(exc).splitlines()[0] if str(exc) else exc}",
            hint="pass a valid kubeconfig (kubectl config view --raw --minify writes one)",
        ) from None
    names = [str(c.get("name")) for c in contexts or []]
    chosen = context or (str(current.get("name")) if current else "")
    if not chosen or chosen not in names:
        given = f"context {chosen!r} is not" if chosen else "no current context is"
        raise ConfigError(
            f"{given} in kubeconfig {kubeconfig} (it has: {', '.join(names) or 'none'})",
            hint="set deploy.environments.<name>.context in shipml.yaml to one of them, or --context",
        )
    configuration = client.Configuration()
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig),
            context=chosen,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, ValueError) as exc:
        raise ConfigError(
            f"kubeconfig {kubeconfig}, context {chosen}: {exc}", hint="fix the kubeconfig"
        ) from None
    configuration.retries = 1  # an unreachable cluster must fail in seconds, not minutes
    return Kube(api=client.ApiClient(configuration), server=str(configuration.host), context=chosen)


def reachable(kube: Kube) -> str:
    """Probe with the error a user acts on: exit 3 naming the server and the context."""
    try:
        return kube.probe()
    except InfrastructureUnreachable as exc:
        raise InfrastructureUnreachable(
            f"{exc.message} (context {kube.context})", hint=exc.hint or "check the cluster"
        ) from None
