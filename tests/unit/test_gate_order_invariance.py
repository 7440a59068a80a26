"""The same rows in any order, or re-encoded (CSV vs Parquet), give the same verdicts, CIs and p-values.

The bootstrap draws row positions; the gate resamples a canonical, content-sorted order so a position
means the same row whatever order the evaluation file had. The sets below include one whose accuracy
has at most 25 discordant rows (the opt-in exact conditional method, where a bound can sit on the margin) and
bootstrap-decided metrics (F1, log loss).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shipml.config.gate import GateSection, MetricRule
from shipml.datasets import read_table
from shipml.gate.decision import evaluate
from shipml.gate.metrics import Predictions

# The opt-in exact conditional method at few discordant rows: its discrete bound is the one that can sit
# on the margin, so it is the case worth permuting (Tango depends on the same (b, c, n) only).
GATE = GateSection(bootstrap_resamples=300, min_discordant=5, mcnemar_exact_below=26)
RULES = [
    MetricRule(metric="accuracy", max_regression=0.02, confidence=0.95),
    MetricRule(metric="roc_auc", max_regression=0.02, confidence=0.95),
    MetricRule(metric="f1", max_regression=0.03, confidence=0.95),
    MetricRule(metric="log_loss", max_regression=0.05, relative=True, confidence=0.9),
]
PERMUTATIONS = 50


def _model(y: np.ndarray, z: np.ndarray) -> Predictions:
    p = np.round(1 / (1 + np.exp(-z)), 3)  # rounded: ties in scores, as real models have
    return Predictions((p >= 0.5).astype(int), np.column_stack([1 - p, p]), np.array([0, 1]))


def _set(n: int, seed: int, disagree: float) -> tuple[np.ndarray, Predictions, Predictions]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    z = 1.2 * (2 * y - 1) + rng.normal(size=n)
    other = z + rng.normal(0, disagree, n)
    return y, _model(y, z), _model(y, other)


SETS = {
    "few-discordant": _set(400, 1, 0.08),
    "medium": _set(900, 2, 0.6),
    "large": _set(3000, 3, 1.0),
}


def _dump(out: list[Any]) -> list[dict[str, Any]]:
    return [o.model_dump() for o in out]


def _permuted(p: Predictions, order: np.ndarray) -> Predictions:
    assert p.labels is not None
    return Predictions(p.labels[order], np.asarray(p.scores)[order], p.classes)


@pytest.mark.parametrize("name", list(SETS))
def test_permutations_give_identical_outcomes(name: str) -> None:
    y, champ, chall = SETS[name]
    base = _dump(evaluate(y, champ, chall, RULES, GATE, "classification"))
    if name == "few-discordant":
        acc = base[0]
        assert acc["method"] == "exact-conditional"  # the discrete case is really exercised
    assert {o["method"] for o in base} >= {"paired-bootstrap-percentile", "delong"}
    rng = np.random.default_rng(7)
    for _ in range(PERMUTATIONS):
        order = rng.permutation(len(y))
        got = _dump(
            evaluate(
                y[order], _permuted(champ, order), _permuted(chall, order), RULES, GATE, "classification"
            )
        )
        assert got == base


def test_csv_and_parquet_give_identical_outcomes(tmp_path: Path) -> None:
    import pandas as pd

    y, champ, chall = SETS["medium"]
    frame = pd.DataFrame(
        {"y": y, "champ": np.asarray(champ.scores)[:, 1], "chall": np.asarray(chall.scores)[:, 1]}
    )
    frame.sample(frac=1.0, random_state=3).to_csv(tmp_path / "e.csv", index=False)
    frame.to_parquet(tmp_path / "e.parquet", index=False)
    outs = []
    for path in (tmp_path / "e.csv", tmp_path / "e.parquet"):
        f = read_table(path, role="evaluation set")
        yy = f["y"].to_numpy()
        models = [
            Predictions(
                (f[c] >= 0.5).astype(int).to_numpy(), np.column_stack([1 - f[c], f[c]]), np.array([0, 1])
            )
            for c in ("champ", "chall")
        ]
        outs.append(_dump(evaluate(yy, models[0], models[1], RULES, GATE, "classification")))
    assert outs[0] == outs[1]
