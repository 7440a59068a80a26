"""GitHub's 65,536-character body limit: details are cut, the verdict never, and the report says so."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from shipml.report.collect import collect
from shipml.report.compose import ReportContext, compose
from shipml.report.limits import GITHUB_BODY_LIMIT, size
from tests.unit.test_report_golden import FIXTURES

NOTE = "Details were cut; the full report is in the job summary."


def _huge(tmp_path: Path) -> Path:
    """The failing scenario with 3,000 slice rows and 400 failed expectations."""
    folder = tmp_path / "huge"
    shutil.copytree(FIXTURES / "fail", folder)
    gate = json.loads((folder / "gate.json").read_text())
    template = gate["details"]["metrics"][3]
    gate["details"]["metrics"] += [
        {**template, "slice": f"customer_segment=segment-{i:04d}"} for i in range(3000)
    ]
    (folder / "gate.json").write_text(json.dumps(gate))
    validate = json.loads((folder / "validate.json").read_text())
    failing = validate["details"]["expectations"][1]
    validate["details"]["expectations"] += [{**failing, "column": f"feature_{i}"} for i in range(400)]
    (folder / "validate.json").write_text(json.dumps(validate))
    return folder


def test_small_reports_are_untouched() -> None:
    report = compose(collect([str(FIXTURES / "fail")]).results, ReportContext())
    body, cut = report.fitted(GITHUB_BODY_LIMIT, NOTE)
    assert not cut and body == report.markdown()


def test_long_details_are_cut_but_not_the_verdict(tmp_path: Path) -> None:
    report = compose(collect([str(_huge(tmp_path))]).results, ReportContext(project="churn"))
    full = report.markdown()
    assert size(full) > GITHUB_BODY_LIMIT
    body, cut = report.fitted(GITHUB_BODY_LIMIT - 30, NOTE)
    assert cut
    assert size(body) <= GITHUB_BODY_LIMIT - 30
    assert body.startswith(report.head)  # the verdict and its reasons, intact
    assert NOTE in body
    assert re.search(r"_… \d+ more rows cut to fit GitHub's comment limit._", body)
    # every section is still there, and the markup is balanced
    for title in ("#### Model", "#### Data validation", "#### Drift"):
        assert title in body
    assert body.count("<details") == body.count("</details>")
    assert body.count("```") % 2 == 0
    # the table of slices keeps its header
    assert "| slice | metric | champion |" in body


def test_charts_are_dropped_whole(tmp_path: Path) -> None:
    report = compose(collect([str(FIXTURES / "fail")]).results, ReportContext())
    full = report.markdown()
    body, cut = report.fitted(size(full) - 200, NOTE)
    assert cut and size(body) <= size(full) - 200
    assert "```mermaid" not in body or body.count("```") % 2 == 0
    assert body.count("<details") == body.count("</details>")


def test_length_counts_utf16_units() -> None:
    assert size("🚀") == 2 and size("abc") == 3
