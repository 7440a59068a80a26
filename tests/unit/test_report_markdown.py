"""The one markdown vocabulary: numbers that show their side of a threshold, nulls, plurals, icons."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipml.report import markdown as md
from shipml.report.collect import LoadedResult
from shipml.report.compose import ReportContext, compose
from shipml.report.sections import render
from shipml.results import Result


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.1, 0.1], ["0.1000", "0.1000"]),  # equal values stay short
        ([0.10004, 0.1], ["0.10004", "0.10000"]),  # never "0.1000 vs 0.1000"
        ([0.99996, 1.00001], ["0.99996", "1.0000"]),  # different magnitudes, same look: more digits
        ([3.1, 3.4], ["3.100", "3.400"]),
        ([1234.56, 1234.58], ["1,234.56", "1,234.58"]),
        ([None, 0.5], ["—", "0.5000"]),  # null is a dash, never "None"
    ],
)
def test_numbers_keep_different_values_apart(values: list[float | None], expected: list[str]) -> None:
    assert md.nums(values) == expected


@pytest.mark.parametrize(
    ("p", "alpha", "expected"),
    [
        (0.0496, 0.05, "0.0496"),  # would read 0.050: on the wrong side
        (0.0504, 0.05, "0.0504"),  # would read 0.050: equal to alpha
        (0.04996, 0.05, "0.04996"),
        (0.332, 0.05, "0.332"),
        (0.0004, 0.05, "<0.001"),
        (None, 0.05, "—"),
        (0.05, 0.05, "0.050"),
    ],
)
def test_p_values_show_their_side_of_alpha(p: float | None, alpha: float, expected: str) -> None:
    assert md.p_value(p, alpha) == expected


def test_shares_keep_the_threshold_apart() -> None:
    assert md.shares([0.2, 0.5]) == ["20%", "50%"]
    assert md.shares([0.499, 0.5]) == ["49.9%", "50.0%"]


def test_plural_cell_code_and_icons() -> None:
    assert md.plural(1, "expectation") == "1 expectation" and md.plural(2, "expectation") == "2 expectations"
    assert md.plural(0, "row") == "0 rows" and md.plural(1200, "row") == "1,200 rows"
    assert md.cell("a|b\n<c>") == "a\\|b &lt;c&gt;" and md.cell(None) == "—"
    assert md.code("x|`y`") == "`x\\|'y'`" and md.code(None) == ""
    assert md.icon("inconclusive") == md.icon("inconclusive") == "❔"  # one icon per outcome, status or rule
    assert {md.icon(s) for s in ("passed", "pass")} == {"✅"} and {
        md.icon(s) for s in ("failed", "fail")
    } == {"❌"}
    assert md.icon("error") not in (md.WARNING, md.icon("failed"), md.icon("inconclusive"))
    assert md.table(["", "a"], "lr", [["x", "1"]]) == ["| | a |", "|---|---:|", "| x | 1 |"]


def _promote(status: str, summary: str, details: dict[str, object] | None = None) -> Result:
    return Result(
        command="promote",
        status=status,
        summary=summary,
        details=details or {},
        started_at="",
        duration_s=0.0,
    )  # type: ignore[arg-type]


def test_a_refused_promotion_is_failed_with_its_reason_not_could_not_finish() -> None:
    refused = _promote("failed", "gate verdict for churn v8 is 'failed', not 'passed'")
    summary = render(refused)
    assert summary.startswith("### shipml promote: ❌ failed")
    assert "❌ `promote` failed: gate verdict for churn v8 is 'failed', not 'passed'" in summary
    report = compose([LoadedResult(Path("promote.json"), refused)], ReportContext())
    body = report.markdown()
    assert report.verdict.key == "dont-ship"
    assert "could not finish" not in body and "could not read" not in body
    assert "#### Deployment\n\n❌ `promote` failed: gate verdict for churn v8 is 'failed'" in body
    crashed = compose(
        [LoadedResult(Path("p.json"), _promote("error", "MLflow unreachable"))],
        ReportContext(),
    ).markdown()
    assert f"{md.icon('error')} `promote` could not finish: MLflow unreachable" in crashed


def test_promoted_summary_names_the_version_and_the_alias() -> None:
    done = _promote(
        "passed",
        "churn: promoted version 8 to champion",
        {
            "registered_model": "churn",
            "action": "promoted",
            "champion_version": "8",
            "previous_version": "7",
            "alias": "champion",
        },
    )
    assert render(done) == (
        "### shipml promote: ✅ promoted\n\n#### Promotion\n\n"
        "✅ Promoted **churn v8** to `champion` (previous: v7).\n"
    )
