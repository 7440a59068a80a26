"""Where models are tracked and registered."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .base import Section

_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,254}$")


class MlflowSection(Section):
    tracking_uri: str | None = Field(
        default=None,
        description="Tracking server or store (with its scheme), or `local` for the sqlite store under "
        "./.shipml/. Default: MLFLOW_TRACKING_URI; without one, local off a runner and an error on a runner "
        "(a job-local store is discarded at job end: choose it with `local`).",
    )
    registry_uri: str | None = Field(
        default=None, description="Model registry URI if it differs from tracking."
    )
    experiment: str = Field(default="shipml", description="Experiment the training runs are logged to.")
    registered_model: str = Field(default="shipml-model", description="Registered model name.")
    champion_alias: str = Field(default="champion", description="Alias of the model in production.")
    challenger_alias: str = Field(
        default="challenger", description="Alias set on each newly trained version."
    )
    previous_alias: str = Field(
        default="previous-champion", description="Alias keeping the replaced champion reachable for rollback."
    )
    ui_url: str | None = Field(
        default=None, description="Base URL of the MLflow UI, used for links in reports."
    )
    abandoned_after_hours: float = Field(
        default=24,
        gt=0,
        description="A training run RUNNING longer than this, from a process on another machine, was "
        "killed: the next `shipml train` marks it KILLED (and its unaliased versions `shipml.abandoned`). "
        "Runs from this machine are marked as soon as their process is gone.",
    )

    @field_validator("champion_alias", "challenger_alias", "previous_alias")
    @classmethod
    def _alias_ok(cls, value: str) -> str:
        if not _ALIAS.match(value) or value.lower() == "latest" or re.match(r"^v\d+$", value):
            raise ValueError(
                f"{value!r} is not a valid MLflow alias "
                "(letters, digits, '_' and '-'; not 'latest' or 'v<N>')"
            )
        return value

    @field_validator("registered_model")
    @classmethod
    def _name_ok(cls, value: str) -> str:
        if not value.strip() or any(c in value for c in "/:%"):
            raise ValueError(f"{value!r} is not a valid registered model name (no '/', ':' or '%')")
        return value
