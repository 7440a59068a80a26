"""The primary-metric-delta output when no rule is on the primary metric: the point difference."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from shipml.config import load_config
from shipml.contracts.gate import MetricOutcome
from shipml.gate.metrics import Predictions
from shipml.gate.run import primary_delta
from shipml.gate.scoring import Scored


def test_primary_delta_without_a_rule_on_it_matches_sklearn() -> None:
    rng = np.random.default_rng(1)
    y = np.array(["no", "yes"])[rng.integers(0, 2, 500)]
    truth = (y == "yes").astype(float)
    weak = np.clip(truth * 0.2 + rng.uniform(0, 0.8, 500), 0, 1)
    strong = np.clip(truth * 0.5 + rng.uniform(0, 0.5, 500), 0, 1)
    classes = np.array(["no", "yes"])

    def preds(p: np.ndarray) -> Predictions:
        return Predictions(
            labels=classes[(p > 0.5).astype(int)], scores=np.column_stack([1 - p, p]), classes=classes
        )

    scored = Scored(y, preds(weak), preds(strong), "classification", pd.DataFrame({"x": range(500)}))
    cfg = load_config(None)
    accuracy_only = [
        MetricOutcome(
            metric="accuracy", higher_is_better=True, delta=0.1, rule="r", outcome="pass", reason="x"
        )
    ]
    expected = roc_auc_score(truth, strong) - roc_auc_score(truth, weak)
    delta = primary_delta(scored, accuracy_only, "roc_auc", cfg)
    assert delta is not None and abs(delta - expected) < 1e-12 and delta > 0.1
    assert primary_delta(scored, accuracy_only, "accuracy", cfg) == 0.1  # a rule's delta is used as is
    first = Scored(y, None, preds(strong), "classification", scored.frame)
    assert primary_delta(first, [], "roc_auc", cfg) is None
