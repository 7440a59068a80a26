"""Where the MLflow tracking store is, decided without importing MLflow.

``--tracking-uri`` beats ``mlflow.tracking_uri`` beats ``MLFLOW_TRACKING_URI``
beats a local sqlite file. A URI without a scheme is refused here, before
MLflow would read it as a file-store path and answer with file-store errors
that blame the wrong thing.

On a runner the local sqlite file lives in the job's workspace and is deleted
with it: a registry there remembers nothing, so every PR would see a "first
model" and promote it, all green. So on a runner the local store is used only
when chosen by name (``mlflow.tracking_uri: local``); without a URI the step
stops (exit 2) saying what to set. Locally (no ``GITHUB_ACTIONS``) the
fallback stays, for the demo.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

from .. import runner
from ..config import ShipmlConfig
from ..config.load import KeyPath
from ..errors import ConfigError

SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
SCHEMELESS_OK = ("databricks", "databricks-uc")  # MLflow's profile shorthands


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The MLflow flags every registry-using command takes (train, gate, promote)."""
    parser.add_argument(
        "--tracking-uri",
        default="",
        help="MLflow tracking URI (mlflow.tracking_uri); use MLFLOW_TRACKING_URI if it has credentials.",
    )
    parser.add_argument(
        "--registered-model", default="", help="Registered model name (mlflow.registered_model)."
    )


def overrides(args: argparse.Namespace) -> dict[KeyPath, Any]:
    """Config overrides from :func:`add_arguments`' flags (empty means not given)."""
    return {
        ("mlflow", "tracking_uri"): args.tracking_uri,
        ("mlflow", "registered_model"): args.registered_model,
    }


LOCAL = "local"  # mlflow.tracking_uri: local -> the sqlite store under .shipml/, chosen on purpose


def default_store() -> str:
    path = (runner.local_dir() / "mlflow.db").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def require_scheme(uri: str, where: str) -> None:
    """``mlflow.example.com:5000`` is a host, not a path: say so instead of letting MLflow guess."""
    if SCHEME.match(uri) or uri in SCHEMELESS_OK or uri.startswith("file:"):
        return
    shown = f"***@{uri.rsplit('@', 1)[1]}" if "@" in uri else uri
    guess = f"sqlite:///{shown.lstrip('/')}" if uri.startswith(("/", ".", "~")) else f"http://{shown}"
    raise ConfigError(
        f"{where}: tracking URI '{shown}' has no scheme; did you mean {guess}",
        hint="write it with its scheme: http(s):// for a tracking server, sqlite:///PATH for a local file",
    )


def tracking_uri(cfg: ShipmlConfig) -> str:
    """Config (incl. overrides) first, then ``MLFLOW_TRACKING_URI``, then a local sqlite store."""
    if cfg.mlflow.tracking_uri and cfg.mlflow.tracking_uri.strip() == LOCAL:
        return default_store()
    if cfg.mlflow.tracking_uri:
        uri, where = cfg.mlflow.tracking_uri, cfg.where("mlflow", "tracking_uri")
    elif os.environ.get("MLFLOW_TRACKING_URI"):
        uri, where = os.environ["MLFLOW_TRACKING_URI"], "MLFLOW_TRACKING_URI"
    elif runner.in_actions():
        raise ConfigError(
            "no MLflow tracking URI: on a runner the local store is discarded at job end, so nothing "
            "trained, gated or promoted here would outlive this job",
            hint="pass tracking-uri: ${{ secrets.MLFLOW_TRACKING_URI }} to the action (or set "
            "MLFLOW_TRACKING_URI), or set mlflow.tracking_uri: local in shipml.yaml for a throwaway demo",
        )
    else:
        return default_store()
    uri = uri.strip()
    require_scheme(uri, where)
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        # Relative sqlite paths are relative to the config file, like every other path.
        rel = uri[len("sqlite:///") :]
        uri = f"sqlite:///{cfg.path(rel).resolve()}"
    return uri


def is_remote(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def describe(uri: str) -> str:
    """Where runs and versions are kept, for summaries: never the host of a (secret) URI.

    A tracking server's address usually comes from a secret and the PR comment is
    public, so a server is only "MLflow tracking server"; a local store says whether
    it outlives the job.
    """
    if is_remote(uri) or uri.startswith("databricks"):
        return "MLflow tracking server"
    kind = uri.split(":", 1)[0] or "local"
    if runner.in_actions():
        return f"job-local {kind} store, discarded at job end"
    return f"local {kind} store {redact(uri)}"


def redact(uri: str) -> str:
    """Drop credentials from a URI before it is printed."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return uri


def mask_credentials(uri: str) -> None:
    """A URI with user:password, and MLflow's token, must never reach the Actions log."""
    if "@" in uri and "://" in uri:
        runner.mask(uri)
        runner.mask(uri.split("://", 1)[1].split("@", 1)[0])
    runner.mask(os.environ.get("MLFLOW_TRACKING_TOKEN", ""))
    runner.mask(os.environ.get("MLFLOW_TRACKING_PASSWORD", ""))
