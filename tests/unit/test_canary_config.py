"""Canary config: step ladders, validation messages, query templates; model-signal arithmetic."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from shipml.canary import signals
from shipml.canary.analysis import render
from shipml.config import load_config
from shipml.config.canary import CanarySection
from shipml.errors import ConfigError


def test_step_weight_ladder_ends_at_100() -> None:
    assert CanarySection(step_weight=20, max_weight=60).weights() == [20, 40, 60, 100]
    assert CanarySection(step_weight=50, max_weight=100).weights() == [50, 100]
    assert CanarySection(steps=[5, 25, 50, 100]).weights() == [5, 25, 50, 100]


@pytest.mark.parametrize(
    ("steps", "words"),
    [([5, 25, 50], "must end at 100"), ([5, 50, 25, 100], "increasing"), ([0, 50, 100], "between 1 and 100")],
)
def test_bad_steps_are_one_line_config_errors(tmp_path: Path, steps: list[int], words: str) -> None:
    config = tmp_path / "shipml.yaml"
    config.write_text(f"canary:\n  steps: {steps}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(str(config))
    message = str(caught.value)
    assert words in message and "canary" in message and len(message.splitlines()) == 1


def test_pause_at_must_be_a_step_and_queries_need_a_selector() -> None:
    with pytest.raises(ValueError, match="pause_at"):
        CanarySection(steps=[10, 100], pause_at=[20])
    with pytest.raises(ValueError, match=r"\$selector"):
        CanarySection.model_validate(
            {"checks": [{"name": "x", "query": "sum(up)", "higher_is_better": True, "minimum": 1}]}
        )


def test_templates_fill_selector_and_window_and_leave_promql_braces() -> None:
    cfg = CanarySection(app="churn", interval=30)
    query = render('sum(rate(m{$selector,route="/predict"}[$window]))', cfg, "canary")
    assert query == 'sum(rate(m{app="churn",track="canary",route="/predict"}[30s]))'


def test_cumulative_buckets_become_counts() -> None:
    counts = signals.bucket_counts({"0.5": 3, "+Inf": 10, "0.1": 1, "1.0": 9})
    assert counts == {"0.1": 1, "0.5": 2, "1.0": 6, "+Inf": 1}


def test_distances() -> None:
    same = [0.25, 0.25, 0.5]
    assert signals.psi(same, same) == pytest.approx(0) and signals.jensen_shannon(same, same) == 0
    assert signals.jensen_shannon([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert signals.total_variation([0.7, 0.3], [0.5, 0.5]) == pytest.approx(0.2)
    shifted = signals.psi([0.5, 0.5], [0.8, 0.2])
    assert shifted == pytest.approx(0.3 * math.log(1.6) + 0.3 * math.log(2.5))


def test_noise_floor_shrinks_with_counts() -> None:
    assert signals.psi_noise(20, 50, 200) > 0.1 > signals.psi_noise(20, 1000, 4000)
    assert signals.psi_noise(20, 0, 10) == math.inf
