"""shipml.yaml: one pydantic model per section, merged by :mod:`shipml.config.load`."""

from .comment import CommentSection
from .data import DataSection
from .deploy import DeploySection
from .gate import GateSection, MetricRule
from .load import ShipmlConfig, env_overrides, find_config_file, load_config
from .mlflow import MlflowSection
from .model import ModelSection
from .validate import ValidateSection

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
