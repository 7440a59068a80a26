"""Every built-in metric, described once: name, direction, tasks, what it needs, its reference.

Training reports metrics and the gate judges them; a user reads ``roc_auc`` in
the training summary and sets a rule on ``roc_auc`` in the gate, so both must
mean the same metric in the same direction. Both sides bind their
implementations to this table (the gate's vectorised evaluators in
:mod:`shipml.gate.metrics`, training's scikit-learn calls in
:mod:`shipml.train.metrics`) and a test holds each implementation against the
scikit-learn function named here. Plain data: importing it costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["classification", "regression"]
Needs = Literal["label", "score"]


@dataclass(frozen=True)
class MetricInfo:
    name: str
    higher_is_better: bool
    task: Task
    needs: Needs
    """label: predicted classes; score: probabilities (classification) or values (regression)."""
    sklearn: str
    """The reference implementation, ``sklearn.metrics.<function>`` (with its averaging noted)."""
    unit_scale: bool = True
    """On a [0, 1]-like scale, so an absolute margin makes sense (else margins are relative)."""
    ranking: bool = False
    """ROC AUC / average precision: undefined when the evaluation rows have one class."""
    trained: bool = False
    """Also reported by ``shipml train`` for each split."""


_ALL = (
    MetricInfo("accuracy", True, "classification", "label", "accuracy_score", trained=True),
    MetricInfo("balanced_accuracy", True, "classification", "label", "balanced_accuracy_score", trained=True),
    MetricInfo("precision", True, "classification", "label", "precision_score (binary; macro)", trained=True),
    MetricInfo("recall", True, "classification", "label", "recall_score (binary; macro)", trained=True),
    MetricInfo("f1", True, "classification", "label", "f1_score (binary; macro)", trained=True),
    MetricInfo("f1_macro", True, "classification", "label", "f1_score (macro)"),
    MetricInfo("f1_weighted", True, "classification", "label", "f1_score (weighted)"),
    MetricInfo(
        "roc_auc", True, "classification", "score", "roc_auc_score (ovr macro)", ranking=True, trained=True
    ),
    MetricInfo("pr_auc", True, "classification", "score", "average_precision_score", ranking=True),
    MetricInfo("log_loss", False, "classification", "score", "log_loss", unit_scale=False, trained=True),
    MetricInfo("brier", False, "classification", "score", "brier_score_loss"),
    MetricInfo(
        "rmse", False, "regression", "score", "root_mean_squared_error", unit_scale=False, trained=True
    ),
    MetricInfo("mae", False, "regression", "score", "mean_absolute_error", unit_scale=False, trained=True),
    MetricInfo("r2", True, "regression", "score", "r2_score", trained=True),
    MetricInfo("mape", False, "regression", "score", "mean_absolute_percentage_error", unit_scale=False),
)

CATALOGUE: dict[str, MetricInfo] = {m.name: m for m in _ALL}


def trained(task: Task) -> tuple[str, ...]:
    """The metrics ``shipml train`` reports for a task, in catalogue order."""
    return tuple(m.name for m in _ALL if m.trained and m.task == task)
