"""One MLflow training run: params, metrics, evaluation set, model, registration, alias.

Ordering is the safety property. The model version is created with all its tags
in one call (so the gate never sees a version without ``shipml.*`` tags), and the
alias moves last. If anything fails first, the run is marked FAILED, a version
created by this run is deleted again, and the alias still points where it did:
nothing is registered half-way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import tempfile
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .. import runner
from ..config import ShipmlConfig
from ..contracts.train import EVALUATION_ARTIFACT
from ..errors import ConfigError, ShipmlError, first_line
from ..mlflow_api import client as mlflow_client
from ..mlflow_api import requirements, store
from . import serialize

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.models.model import ModelInfo

MODEL_NAME = "model"  # artifact name of the logged model
SIGNATURE_ROWS = 200
EXAMPLE_ROWS = 5
MAX_PARAM_CHARS = 6000  # MLflow's limit for a param value
# Pinned next to scikit-learn/skops (MLflow adds its own pin): the model's runtime needs them.
RUNTIME_PACKAGES = ("numpy", "pandas", "scipy")


def check_registered_model_name(cfg: ShipmlConfig) -> None:
    """Reject names MLflow would reject, before a run exists (MLflow checks the same rules late)."""
    name = cfg.mlflow.registered_model
    norm = posixpath.normpath(name)
    if norm != name or norm in (".", "..") or norm.startswith(("..", "/")) or name != name.strip():
        raise ConfigError(
            f"{cfg.where('mlflow', 'registered_model')}: {name!r} is not a valid registered model name",
            hint="use letters, digits, '-', '_' and '.', without leading/trailing spaces or '..'",
        )


def pip_requirements() -> list[str]:
    """Explicit pins from the installed versions; never MLflow's (slow, subprocess) inference."""
    import mlflow.sklearn

    pins = list(mlflow.sklearn.get_default_pip_requirements(include_skops=True))
    for package in RUNTIME_PACKAGES:
        try:
            pins.append(f"{package}=={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def ui_run_url(cfg: ShipmlConfig, experiment_id: str, run_id: str) -> str | None:
    """A link to the run in the MLflow UI, when there is a UI to link to."""
    # Only a configured UI: the tracking URI's host usually comes from a secret, and this link
    # lands in a public PR comment.
    base = cfg.mlflow.ui_url
    if not base:
        return None
    return f"{base.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def translate(exc: BaseException) -> ShipmlError | None:
    """MLflow failures of a training run as one-line shipml errors (:func:`mlflow_api.client.translate`)."""
    return mlflow_client.translate(
        exc, "logging the training run", rejected_hint="check the mlflow: settings in shipml.yaml"
    )


def ensure_experiment(client: MlflowClient, cfg: ShipmlConfig, uri: str) -> str:
    """The configured experiment's id, creating it (artifacts under ``<local_dir>/mlartifacts``) if needed."""
    name = cfg.mlflow.experiment
    try:
        found = client.get_experiment_by_name(name)
        if found is not None:
            if found.lifecycle_stage == "deleted":
                raise ConfigError(
                    f"{cfg.where('mlflow', 'experiment')}: experiment {name!r} is deleted "
                    f"in {store.redact(uri)}",
                    hint="restore it in MLflow or choose another mlflow.experiment",
                )
            return str(found.experiment_id)
        location = None
        if not store.is_remote(uri):  # a server decides its own artifact store
            location = (runner.local_dir() / "mlartifacts").resolve().as_uri()
        return str(client.create_experiment(name, artifact_location=location))
    except ShipmlError:
        raise
    except Exception as exc:
        translated = translate(exc)
        if translated is None:
            raise
        raise translated from exc


def load_serializers() -> None:
    """Import the model-logging modules once the cheap checks have passed, before the run exists.

    ``skops.io`` imports every scikit-learn module to list the estimators it trusts (0.4 s). It is
    a start-up cost of training like MLflow's own import, so it is paid with them rather than
    inside the logging stage. What is imported by then lives until exit: frozen, the collector
    stops walking it on every full collection (up to 0.15 s each, during logging).
    """
    import gc

    import mlflow.sklearn  # noqa: F401
    import skops.io  # noqa: F401

    if gc.get_freeze_count() == 0:  # once per process (a caller training in-process many times)
        gc.freeze()


def quiet_loggers() -> None:
    """MLflow's INFO chatter off even when MLflow was imported before our quiet environment applied."""
    level = os.environ.get("MLFLOW_LOGGING_LEVEL", "WARNING").upper()
    number = logging.getLevelName(level)  # an int for a known level name
    logging.getLogger("mlflow").setLevel(number if isinstance(number, int) else logging.WARNING)
    # We pin requirements ourselves, so its "could not resolve pip version" warning is noise.
    logging.getLogger("mlflow.utils.environment").setLevel(logging.ERROR)


class TrainingRun:
    """Context manager around one MLflow run that rolls back registrations on failure."""

    def __init__(self, client: MlflowClient, experiment_id: str, run_name: str, tags: dict[str, str]) -> None:
        self.client = client
        self.experiment_id = experiment_id
        self.run_name = run_name
        self.tags = tags
        self.run_id = ""
        self._version: ModelVersion | None = None
        self._created_model: str | None = None
        self._alias_set = False
        self._metrics: dict[str, float] = {}  # logged with the model (see log_metrics)

    def __enter__(self) -> TrainingRun:
        import mlflow

        try:
            run = mlflow.start_run(experiment_id=self.experiment_id, run_name=self.run_name, tags=self.tags)
        except Exception as exc:
            translated = translate(exc)
            if translated is None:
                raise
            raise translated from exc
        self.run_id = run.info.run_id
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        import mlflow

        if exc is None:
            try:
                self._flush_metrics()
                mlflow.end_run("FINISHED")
            except Exception as end_exc:  # registered and aliased, but the run's status could not be saved
                translated = translate(end_exc)
                if translated is None:
                    raise
                raise translated from end_exc
            return
        self._rollback()
        # The server may be the thing that failed; the original error matters more.
        with contextlib.suppress(Exception):
            self._flush_metrics()  # a failed run still shows how far it got
        with contextlib.suppress(Exception):
            mlflow.end_run("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        if isinstance(exc, ShipmlError):
            exc.message = f"{exc.message.rstrip('.')} (MLflow run {self.run_id} marked FAILED)"
            return
        translated = translate(exc)
        if translated is not None:
            translated.message += f" (MLflow run {self.run_id} marked FAILED)"
            raise translated from exc

    def _rollback(self) -> None:
        """Undo a registration made by this run; the alias is moved last, so it never needs undoing."""
        if self._version is None or self._alias_set:
            return
        name, version = self._version.name, self._version.version
        try:
            self.client.delete_model_version(name, version)
            if self._created_model and not self.client.search_model_versions(
                f"name = '{name}'", max_results=1
            ):
                self.client.delete_registered_model(name)
        except Exception as exc:
            runner.warning(
                f"could not remove model version {name} v{version} after the failure: {first_line(exc)}"
            )

    # -- logging -----------------------------------------------------------------------------------

    def log_params(self, params: dict[str, Any]) -> None:
        import mlflow

        mlflow.log_params({k: str(v)[:MAX_PARAM_CHARS] for k, v in params.items()})

    def log_metrics(self, metrics: dict[str, dict[str, float]]) -> None:
        """Keep the metrics to log them with the model, in one call that links them to it.

        MLflow 3 links a run's metrics to a model logged after them by reading each metric's history
        back and logging it again (one round trip per metric, ~15 here); logged once with the model's
        id they land on the run and on the model in a single batch. Without a model (a failure
        before it) they are logged at the end of the run.
        """
        self._metrics.update(
            {f"{split}_{name}": value for split, values in metrics.items() for name, value in values.items()}
        )

    def _flush_metrics(self, model_id: str | None = None) -> None:
        import mlflow

        if self._metrics:
            mlflow.log_metrics(self._metrics, model_id=model_id)
            self._metrics = {}

    def log_evaluation(self, frame: pd.DataFrame) -> None:
        """The held-out rows (features + target) the gate scores champion and challenger on."""
        import mlflow

        folder, filename = posixpath.split(EVALUATION_ARTIFACT)
        with tempfile.TemporaryDirectory(prefix="shipml-eval-") as tmp:
            path = Path(tmp) / filename
            frame.to_csv(path, index=False)
            mlflow.log_artifact(str(path), artifact_path=folder)

    def log_model(self, model: Any, X: pd.DataFrame) -> ModelInfo:
        import mlflow.sklearn
        from mlflow.models import infer_signature

        sample = X.head(SIGNATURE_ROWS)
        signature = infer_signature(sample, model.predict(sample))
        pins = pip_requirements()
        with requirements.checked_without_scan(), serialize.dumped_once(model) as trusted:
            info: ModelInfo = mlflow.sklearn.log_model(
                model,
                name=MODEL_NAME,
                serialization_format="skops",
                skops_trusted_types=trusted,
                pip_requirements=pins,
                signature=signature,
                input_example=X.head(EXAMPLE_ROWS),
            )
        self._flush_metrics(info.model_id)
        return info

    def register(self, name: str, info: ModelInfo, tags: dict[str, str]) -> ModelVersion:
        try:
            self.client.get_registered_model(name)
        except Exception as exc:
            if not mlflow_client.is_not_found(exc):
                raise
            self.client.create_registered_model(name)
            self._created_model = name
        self._version = self.client.create_model_version(
            name=name, source=info.model_uri, run_id=self.run_id, tags=tags, model_id=info.model_id
        )
        return self._version

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(name, alias, version)
        self._alias_set = True
