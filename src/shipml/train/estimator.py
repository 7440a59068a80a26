"""What to fit: an estimator class by import path, or the user's own factory.

Everything here runs before any data is read or any MLflow run exists, so a typo
in ``model.estimator`` or ``model.params`` costs a second and leaves nothing
behind. Params are checked by name against the estimator's own ``get_params``
(and its declared constraints), because sklearn would otherwise only complain
deep inside ``fit``, or, for an unknown keyword, with a bare ``TypeError``.
"""

from __future__ import annotations

import difflib
import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..config import ShipmlConfig
from ..errors import ConfigError, first_line

Task = Literal["classification", "regression"]

DEFAULT_SEED_PARAM = "random_state"


@dataclass
class EstimatorSpec:
    """A resolved, validated description of the model to train."""

    source: str  # the import path as configured
    name: str  # short display name
    task: Task
    params: dict[str, Any] = field(default_factory=dict)  # what is passed (incl. a seeded random_state)
    estimator: Any | None = None  # unfitted template (class path); cloned for every fit
    factory: Callable[..., Any] | None = None

    @property
    def is_factory(self) -> bool:
        return self.factory is not None

    def all_params(self) -> dict[str, Any]:
        """Every constructor param of the estimator (defaults included), for the MLflow run."""
        if self.estimator is None:
            return dict(self.params)
        return {k: v for k, v in self.estimator.get_params(deep=False).items() if _loggable(v)}


def _loggable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | tuple | dict)


def import_object(path: str, *, key: tuple[str, ...], cfg: ShipmlConfig) -> Any:
    """Import ``pkg.mod.Name`` or ``pkg.mod:Name``, failing with a fix for each way it can go wrong."""
    module_name, sep, attr = path.partition(":") if ":" in path else path.rpartition(".")
    if not module_name or not attr or not sep:
        raise ConfigError(
            f"{cfg.where(*key)}: {path!r} is not an import path",
            hint="write it as package.module.Name or package.module:name",
        )
    root = str(cfg.root)
    if root not in sys.path:
        sys.path.insert(0, root)  # the user's own modules live next to shipml.yaml
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        raise ConfigError(
            f"{cfg.where(*key)}: cannot import {module_name!r} (no module named {missing!r})",
            hint="check the spelling, or install the package that provides it",
        ) from None
    except Exception as exc:  # the user's module raised while importing
        raise ConfigError(
            f"{cfg.where(*key)}: importing {module_name!r} failed: {type(exc).__name__}: {first_line(exc)}",
            hint="fix that module (run with --debug for the traceback)",
        ) from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        names = [n for n in dir(module) if not n.startswith("_")]
        close = difflib.get_close_matches(attr, names, n=1)
        raise ConfigError(
            f"{cfg.where(*key)}: {module_name!r} has no {attr!r}"
            + (f" (did you mean {module_name}.{close[0]}?)" if close else ""),
            hint="check the name against the library's documentation",
        ) from None


def infer_task(estimator: Any) -> Task | None:
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(estimator):
        return "classification"
    if is_regressor(estimator):
        return "regression"
    return None


def _check_params(cfg: ShipmlConfig, estimator: Any, params: dict[str, Any], display: str) -> None:
    valid = estimator.get_params(deep=True)
    for name in params:
        if name not in valid:
            close = difflib.get_close_matches(name, list(valid), n=1)
            shown = ", ".join(sorted(k for k in valid if "__" not in k))
            raise ConfigError(
                f"{cfg.where('model', 'params', name)}: {display} has no parameter {name!r}"
                + (f" (did you mean {close[0]!r}?)" if close else ""),
                hint=f"valid parameters: {shown}",
            )
    estimator.set_params(**params)
    validate = getattr(estimator, "_validate_params", None)  # sklearn's declared constraints
    if callable(validate):
        try:
            validate()
        except (ValueError, TypeError) as exc:
            match = re.search(r"The '([^']+)' parameter", str(exc))
            key = (
                ("model", "params", match.group(1))
                if match and match.group(1) in params
                else ("model", "params")
            )
            raise ConfigError(
                f"{cfg.where(*key)}: {first_line(exc)}", hint="fix the value in shipml.yaml"
            ) from None


def resolve(cfg: ShipmlConfig) -> EstimatorSpec:
    """Turn ``model:`` into an :class:`EstimatorSpec`, or fail with one line naming the key."""
    model = cfg.model
    params = dict(model.params)
    if model.factory:
        func = import_object(model.factory, key=("model", "factory"), cfg=cfg)
        if not callable(func):
            raise ConfigError(
                f"{cfg.where('model', 'factory')}: {model.factory!r} is not callable",
                hint="point it at a function(X, y, params) that returns a fitted estimator",
            )
        if model.task is None:
            raise ConfigError(
                f"{cfg.where('model', 'factory')}: model.task is required with a factory",
                hint="add `task: classification` or `task: regression` under model:",
            )
        return EstimatorSpec(
            source=model.factory, name=model.factory, task=model.task, params=params, factory=func
        )

    if not model.estimator:
        raise ConfigError(
            f"{cfg.where('model')}: no estimator configured", hint="set model.estimator or model.factory"
        )
    cls = import_object(model.estimator, key=("model", "estimator"), cfg=cfg)
    display = getattr(cls, "__name__", model.estimator)
    if not isinstance(cls, type) or not all(
        callable(getattr(cls, m, None)) for m in ("fit", "predict", "get_params")
    ):
        raise ConfigError(
            f"{cfg.where('model', 'estimator')}: {model.estimator!r} is not a scikit-learn estimator class",
            hint="name an estimator class (with fit/predict), or use model.factory for a function",
        )
    try:
        estimator = cls()
    except TypeError as exc:
        raise ConfigError(
            f"{cfg.where('model', 'estimator')}: {display} cannot be created without arguments "
            f"({first_line(exc)})",
            hint="use model.factory to build it in code",
        ) from None
    if DEFAULT_SEED_PARAM in estimator.get_params(deep=False) and DEFAULT_SEED_PARAM not in params:
        params[DEFAULT_SEED_PARAM] = model.split.seed  # reproducible by default, not by luck
    _check_params(cfg, estimator, params, display)

    inferred = infer_task(estimator)
    if inferred is None:
        raise ConfigError(
            f"{cfg.where('model', 'estimator')}: {display} is neither a classifier nor a regressor",
            hint="train a supervised estimator (shipml gates classification and regression models)",
        )
    if model.task is not None and model.task != inferred:
        raise ConfigError(
            f"{cfg.where('model', 'task')}: task is {model.task} but {display} is a "
            f"{'classifier' if inferred == 'classification' else 'regressor'}",
            hint="choose a matching estimator or fix model.task",
        )
    return EstimatorSpec(
        source=model.estimator, name=display, task=inferred, params=params, estimator=estimator
    )
