"""The Docker engine, through the Docker SDK: connect, build with streamed logs, push, inspect.

One adapter for the engine so its failure modes map to shipml's exit codes in one
place: an unreachable daemon or registry is infrastructure (3), credentials the
registry refuses are too (3; nothing of the secret is printed), a Dockerfile step
that fails is the build's verdict (1, with the failing step and the last lines).
"""

from __future__ import annotations

import os
import re
import sys
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import runner
from ..errors import InfrastructureUnreachable, require

TAIL = 15
_STEP = re.compile(r"^Step \d+/\d+ : ")


@dataclass
class BuildLog:
    """What a build printed: the current step and the last lines, for a failure report."""

    step: str | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL))
    image_id: str | None = None
    error: str | None = None

    def feed(self, chunk: Mapping[str, Any]) -> None:
        text = chunk.get("stream")
        if isinstance(text, str):
            for line in text.splitlines():
                if not line.strip():
                    continue
                if _STEP.match(line):
                    self.step = line.strip()
                self.tail.append(line.rstrip())
                print(line.rstrip(), file=sys.stderr, flush=True)
        aux = chunk.get("aux")
        if isinstance(aux, dict) and isinstance(aux.get("ID"), str):
            self.image_id = aux["ID"]
        if chunk.get("error"):
            self.error = str(chunk.get("error")).strip()
            self.tail.append(self.error)
            print(self.error, file=sys.stderr, flush=True)


def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect(timeout: int) -> Any:
    """A Docker API client that has answered a ping, else exit 3 naming DOCKER_HOST."""
    require("docker", "image")
    import docker

    host = docker_host()
    try:
        client = docker.APIClient(base_url=host, timeout=timeout, version="auto")
        client.ping()
    except Exception as exc:  # the SDK raises DockerException, requests' errors or OSError
        raise InfrastructureUnreachable(
            f"the Docker daemon at {host} is unreachable ({type(exc).__name__})",
            hint="start dockerd, or point DOCKER_HOST at a running daemon (e.g. unix:///path/docker.sock)",
        ) from None
    return client


@contextmanager
def _api_errors(doing: str) -> Iterator[None]:
    import docker.errors
    import requests

    try:
        yield
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise InfrastructureUnreachable(
            f"the Docker daemon stopped answering while {doing} ({type(exc).__name__})",
            hint="check dockerd (and its disk space), then re-run",
        ) from None
    except docker.errors.APIError as exc:
        raise InfrastructureUnreachable(
            f"the Docker daemon failed while {doing}: {exc.explanation or exc}",
            hint="check dockerd's log, then re-run",
        ) from None


def build(
    client: Any,
    context: Path,
    *,
    dockerfile: str,
    tag: str,
    labels: Mapping[str, str] | None = None,
    buildargs: Mapping[str, str] | None = None,
    target: str | None = None,
    nocache: bool = False,
    title: str,
) -> BuildLog:
    """Build streaming the log into a folded group; the log says how it ended (``error`` set on failure)."""
    log = BuildLog()
    with runner.group(title), _api_errors(f"building {tag}"):
        for chunk in client.build(
            path=str(context),
            dockerfile=dockerfile,
            tag=tag,
            labels=dict(labels or {}),
            buildargs=dict(buildargs or {}),
            target=target,
            nocache=nocache,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        ):
            log.feed(chunk)
    if log.error is None and log.image_id is None:
        log.error = "the daemon reported no image id"
    return log


class PushRefused(Exception):
    """The registry refused the credentials; the message is the registry's, with no secret in it."""


def push(client: Any, repository: str, tag: str, auth: Mapping[str, str] | None) -> str:
    """Push one tag; return the manifest digest (sha256:...) the registry stored."""
    digest: str | None = None
    with _api_errors(f"pushing {repository}:{tag}"):
        for chunk in client.push(
            repository, tag=tag, stream=True, decode=True, auth_config=dict(auth) if auth else None
        ):
            if chunk.get("error"):
                message = str(chunk["error"]).strip()
                lowered = message.lower()
                if any(
                    w in lowered
                    for w in ("unauthorized", "authentication required", "denied", "no basic auth")
                ):
                    raise PushRefused(message)
                raise InfrastructureUnreachable(
                    f"pushing {repository}:{tag} failed: {message}",
                    hint="check that the registry is reachable from the Docker daemon",
                )
            aux = chunk.get("aux")
            if isinstance(aux, dict) and isinstance(aux.get("Digest"), str):
                digest = str(aux["Digest"])
    if digest is None:
        raise InfrastructureUnreachable(
            f"the registry did not report a digest for {repository}:{tag}", hint="check the registry"
        )
    return digest


def inspect(client: Any, image: str) -> dict[str, Any]:
    with _api_errors(f"inspecting {image}"):
        data: dict[str, Any] = client.inspect_image(image)
    return data


def image_exists(client: Any, image: str) -> bool:
    import docker.errors

    try:
        client.inspect_image(image)
    except docker.errors.ImageNotFound:
        return False
    return True
