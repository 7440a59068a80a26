"""shipml.yaml: one pydantic model per section, merged by :mod:`shipml.config.load`.

The names below are imported on first use, not with the package: :mod:`.sources` (reading
and merging the config's sources) must be importable without pydantic, so that a command
can act on the raw config before the models are built (``shipml scan`` starts trivy).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .comment import CommentSection
    from .data import DataSection
    from .deploy import DeploySection
    from .gate import GateSection, MetricRule
    from .load import ShipmlConfig, env_overrides, find_config_file, load_config
    from .mlflow import MlflowSection
    from .model import ModelSection
    from .validate import ValidateSection

_WHERE = {
    "CommentSection": ".comment",
    "DataSection": ".data",
    "DeploySection": ".deploy",
    "GateSection": ".gate",
    "MetricRule": ".gate",
    "MlflowSection": ".mlflow",
    "ModelSection": ".model",
    "ShipmlConfig": ".load",
    "ValidateSection": ".validate",
    "env_overrides": ".sources",
    "find_config_file": ".sources",
    "load_config": ".load",
}

__all__ = [
    "CommentSection",
    "DataSection",
    "DeploySection",
    "GateSection",
    "MetricRule",
    "MlflowSection",
    "ModelSection",
    "ShipmlConfig",
    "ValidateSection",
    "env_overrides",
    "find_config_file",
    "load_config",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
