"""Reading the registry, and turning MLflow's errors into shipml's one-line ones.

A registry call can fail half-way through a gate or a promotion for reasons
the user must act on (a token without write permission, a server that died);
those become one line with the right exit code instead of a REST traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import ConfigError, InfrastructureUnreachable, InputDataError

if TYPE_CHECKING:
    from mlflow import MlflowClient

NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND")
DENIED = ("PERMISSION_DENIED", "UNAUTHENTICATED", "CUSTOMER_UNAUTHORIZED")
TRANSIENT = (
    "TEMPORARILY_UNAVAILABLE",
    "INTERNAL_ERROR",
    "SERVICE_UNDER_MAINTENANCE",
    "DEADLINE_EXCEEDED",
    "REQUEST_LIMIT_EXCEEDED",
    "IO_ERROR",
    "UNPARSEABLE_HTTP_ERROR",
)


@contextmanager
def mlflow_errors(doing: str) -> Iterator[None]:
    """Turn an MlflowException escaping the block into a one-line error with the fitting exit code."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        code = str(getattr(exc, "error_code", ""))
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else code
        if code in DENIED:
            raise ConfigError(
                f"MLflow refused {doing}: {text}",
                hint="check the credentials (MLFLOW_TRACKING_TOKEN / tracking-token) allow registry writes",
            ) from None
        if code in TRANSIENT:
            raise InfrastructureUnreachable(
                f"MLflow failed while {doing}: {text}",
                hint="check the tracking server and re-run; it is safe",
            ) from None
        raise InputDataError(
            f"MLflow rejected {doing}: {text}", hint="check the names and versions given"
        ) from None


def alias_version(client: MlflowClient, model: str, alias: str) -> str | None:
    """The version an alias points at, or None when the alias (or the model) does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(model, alias).version)
    except MlflowException as exc:
        if exc.error_code in NOT_FOUND:
            return None
        raise


def version_tags(client: MlflowClient, model: str, version: str) -> dict[str, str]:
    from mlflow.exceptions import MlflowException

    try:
        return dict(client.get_model_version(model, version).tags or {})
    except MlflowException as exc:
        if exc.error_code in NOT_FOUND:
            raise InputDataError(
                f"registered model '{model}' has no version {version}",
                hint="check --version / the gate result and mlflow.registered_model",
            ) from None
        raise
