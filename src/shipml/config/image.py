"""How the model image is built, tagged and pushed (``image:`` in shipml.yaml)."""

from __future__ import annotations

import os
import re

from pydantic import Field, field_validator

from .base import Section


class ImageSection(Section):
    base: str = Field(
        default="python:3.11-slim",
        description="Base of the default server image; it needs python3 (3.10+) with venv/ensurepip.",
    )
    registry: str | None = Field(
        default=None, description="Registry host[:port] to push to, e.g. ghcr.io. None: build only."
    )
    repository: str | None = Field(
        default=None,
        description="Image repository under the registry. Default: the registered model name, lower-cased.",
    )
    tags: list[str] = Field(
        default_factory=lambda: ["v{model_version}", "{git_sha_short}"],
        description="Tag templates: {model_name}, {model_version}, {run_id}, {git_sha}, {git_sha_short}. "
        "A tag whose values are unknown is skipped.",
    )
    dockerfile: str | None = Field(
        default=None,
        description="Your own Dockerfile (relative to context). None: shipml's default model server image.",
    )
    context: str = Field(default=".", description="Build context for your own Dockerfile.")
    build_args: dict[str, str] = Field(default_factory=dict, description="--build-arg values.")
    target: str | None = Field(default=None, description="Multi-stage target to build.")
    wheelhouse: str | None = Field(
        default=None,
        description="Directory of wheels for the image's Python: the default image installs only from it "
        "(pip --no-index, air-gapped). None: pip installs from the index during the build.",
    )
    push: bool = Field(default=True, description="Push when a registry is set; output the digest.")
    username_env: str = Field(
        default="SHIPML_REGISTRY_USERNAME", description="Environment variable holding the registry user."
    )
    password_env: str = Field(
        default="SHIPML_REGISTRY_PASSWORD",
        description="Environment variable holding the registry password or token (masked in logs).",
    )
    port: int = Field(default=8080, ge=1, le=65535, description="Port the default server listens on.")
    timeout: int = Field(default=1800, ge=30, le=7200, description="Seconds a build or push may take.")

    @field_validator("registry")
    @classmethod
    def _registry_ok(cls, value: str | None) -> str | None:
        if value is not None and ("/" in value.rstrip("/") or "://" in value):
            raise ValueError("give host[:port] only, e.g. ghcr.io or 127.0.0.1:5000")
        return value.rstrip("/") if value else value

    @field_validator("repository")
    @classmethod
    def _repository_ok(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*", value):
            raise ValueError("use lower-case letters, digits and . _ - / separators")
        return value

    def credentials(self) -> tuple[str, str]:
        """(user, password) from the variables ``username_env`` / ``password_env`` name ("" if unset).

        The one place registry credentials are read (build's push, cosign's sign and verify);
        the password is masked in the log before anything can print it.
        """
        from ..runner import mask

        password = os.environ.get(self.password_env, "")
        mask(password)
        return os.environ.get(self.username_env, ""), password
