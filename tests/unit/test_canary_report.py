"""The canary's report section: the decision line, the chart and the per-step decision log (golden)."""

from __future__ import annotations

import os
from pathlib import Path

from shipml.contracts.canary import CanaryDetails, CheckRecord, StepRecord
from shipml.report.sections import canary
from shipml.results import Result
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "canary_rolled_back.md"
Q = 'sum(increase(shipml_requests_total{app="churn",track="canary",route=~"/predict.*"}[30s]))'


def _checks(errors: float, psi: float) -> list[CheckRecord]:
    return [
        CheckRecord(name="requests", kind="traffic", query=Q, canary=212, stable=1893, threshold="≥ 100 each",
                    outcome="pass", reason="both tracks served at least 100 prediction requests in 30s"),
        CheckRecord(name="success-rate", query="q", canary=1 - errors, stable=1.0, threshold="≥ 0.99",
                    outcome="pass" if errors <= 0.01 else "fail", reason=f"{1 - errors:.4g} vs min 0.99"),
        CheckRecord(name="error-rate", query="q", canary=errors, stable=0.0, threshold="≤ stable + 0.01",
                    outcome="pass" if errors <= 0.01 else "fail", reason="point estimate"),
        CheckRecord(name="latency-p99", query="q", canary=0.0183, stable=0.0171, unit="s",
                    threshold="≤ 0.5s, ≤ stable + 0.025s", outcome="pass", reason="0.0183 ≤ max 0.5"),
        CheckRecord(name="score-psi", kind="model", query="q", canary=psi, stable=0.0, threshold="≤ 0.2",
                    outcome="pass", reason=f"{psi} ≤ max 0.2 (n=4240/37860) | pipes escaped"),
    ]  # fmt: skip


def result() -> Result:
    details = CanaryDetails(
        app="churn",
        outcome="rolled-back",
        final_weight=0,
        failed_check="success-rate",
        steps=[5, 25, 50, 100],
        interval_s=30,
        mode="replica-ratio",
        log=[
            StepRecord(step=0, weight=5, at="2026-11-27T09:00:30+00:00", outcome="pass", action="advance",
                       checks=_checks(0.0, 0.013), analysis_s=0.051),
            StepRecord(step=1, weight=25, at="2026-11-27T09:01:00+00:00", outcome="fail", action="rollback",
                       checks=_checks(0.2871, 0.021), analysis_s=0.047),
        ],
    )  # fmt: skip
    return Result(
        command="canary",
        status="failed",
        summary="rolled back at 25%",
        details=details.model_dump(mode="json"),
        blocking=True,
        started_at="2026-11-27T09:00:00+00:00",
        duration_s=61.2,
    )


def test_rolled_back_section_matches_golden() -> None:
    text = canary.render(result())
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_rollback_line_names_step_check_and_both_values() -> None:
    text = canary.render(result())
    line = next(x for x in text.splitlines() if x.startswith("↩️"))
    assert "25%" in line and "`success-rate`" in line and "71.29%" in line and "100.00%" in line
    assert "<details open><summary>Decision log" in text  # opened: the numbers are what a reviewer needs
    assert "xychart-beta" in text and "line [0, 28.71]" in text
    assert "\\| pipes escaped" in text


def test_promoted_folds_the_log_and_unreadable_details_fall_back(tmp_path: Path) -> None:
    promoted = result()
    details = CanaryDetails.model_validate(promoted.details)
    details.outcome, details.failed_check, details.final_weight = "promoted", None, 100
    details.log[1].action, details.log[1].outcome = "advance", "pass"
    text = canary.render(promoted.model_copy(update={"status": "passed", "details": details.model_dump()}))
    assert "✅ **churn** promoted through 5% → 25% → 50% → 100%." in text
    assert "<details><summary>Decision log" in text
    broken = promoted.model_copy(update={"details": {"log": "not a list"}, "summary_md": ""})
    assert "canary" in canary.render(broken)
