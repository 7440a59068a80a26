"""Load the estimator once, the way its MLmodel says, without MLflow when possible.

An sklearn-flavor model is read directly: skops with the trusted types MLflow
recorded when it logged the model (the same trust decision ``mlflow.sklearn``
makes on load), or (cloud)pickle. Only other flavors fall back to
``mlflow.pyfunc.load_model``, which needs MLflow installed in the image; the
default server image (sklearn models) does not ship MLflow.
"""

from __future__ import annotations

import pickle
from typing import Any

from ..errors import InputDataError, MissingExtra, first_line
from .mlmodel import ModelSpec


def load(spec: ModelSpec) -> Any:
    """The fitted estimator (or a pyfunc model); one line on failure."""
    try:
        return estimator(spec)
    except (InputDataError, MissingExtra):
        raise
    except Exception as exc:
        raise InputDataError(
            f"cannot load the model in {spec.directory}: {type(exc).__name__}: {first_line(exc)}",
            hint="check that the serving image has the scikit-learn/skops versions the model was logged with",
        ) from exc


def estimator(spec: ModelSpec) -> Any:
    """The model, its errors unchanged (the gate words them for its own step)."""
    if spec.flavor == "sklearn":
        return _load_sklearn(spec)
    return _load_pyfunc(spec)


def _load_sklearn(spec: ModelSpec) -> Any:
    assert spec.model_file is not None
    if spec.serialization_format == "skops":
        import skops.io

        return skops.io.load(spec.model_file, trusted=list(spec.trusted_types))
    with spec.model_file.open("rb") as fh:
        # Same trust as mlflow.sklearn.load_model: the file comes from the registry we deploy from.
        return pickle.load(fh)


def _load_pyfunc(spec: ModelSpec) -> Any:
    try:
        import mlflow.pyfunc
    except ImportError:
        raise MissingExtra("train", "mlflow (needed for non-sklearn flavors)") from None
    return mlflow.pyfunc.load_model(str(spec.directory))
