"""Golden files: the rendered report for fixed result files, reviewed by eye and committed.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/unit/test_report_golden.py``
and read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipml import __version__
from shipml.report.collect import collect
from shipml.report.compose import ReportContext, compose

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures" / "results"
GOLDEN = TESTS / "golden"
SCENARIOS = {
    "pass": "ship",
    "fail": "dont-ship",
    "look": "needs-a-look",
    "future": "ship",
    "image": "dont-ship",  # gate passed, image built and pushed, scan found a new critical
}


def render(scenario: str) -> tuple[str, str]:
    found = collect([str(FIXTURES / scenario)])
    commit = found.results[0].result.commit
    context = ReportContext(project="churn", commit=commit, repository="acme/churn", warnings=found.warnings)
    report = compose(found.results, context)
    # The version in the footer changes with every release; the golden file should not.
    return report.verdict.key, report.markdown().replace(f"shipml {__version__}", "shipml <version>")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_report_matches_golden(scenario: str) -> None:
    verdict, markdown = render(scenario)
    assert verdict == SCENARIOS[scenario]
    golden = GOLDEN / f"report_{scenario}.md"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(markdown, encoding="utf-8")
    assert golden.exists(), f"missing {golden}: run with UPDATE_GOLDEN=1 and review it"
    assert markdown == golden.read_text(encoding="utf-8")


def test_sections_come_in_the_fixed_order() -> None:
    _, markdown = render("fail")
    titles = [line for line in markdown.splitlines() if line.startswith("#### ")]
    assert [t.split(":")[0].split(" (")[0] for t in titles] == [
        "#### Model",
        "#### Data validation",
        "#### Drift",
    ]
    _, future = render("future")
    order = [
        future.index(t) for t in ("#### Model", "#### Image & scan", "#### Deployment", "#### Other checks")
    ]
    assert order == sorted(order)
