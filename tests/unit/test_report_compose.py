"""Composition rules beyond the golden files: verdicts, direction, fallbacks, sanitising."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from shipml.report.collect import collect
from shipml.report.compose import ReportContext, compose, decide
from tests.unit.test_report_golden import FIXTURES


def _load(tmp_path: Path, scenario: str, edit: dict[str, dict[str, object]] | None = None) -> Path:
    target = tmp_path / scenario
    shutil.copytree(FIXTURES / scenario, target)
    for name, changes in (edit or {}).items():
        path = target / f"{name}.json"
        data = json.loads(path.read_text())
        for dotted, value in changes.items():
            node = data
            *parents, last = dotted.split(".")
            for key in parents:
                node = node[key]
            node[last] = value
        path.write_text(json.dumps(data))
    return target


def test_inconclusive_blocks_when_the_project_fails_on_it(tmp_path: Path) -> None:
    lenient = collect([str(_load(tmp_path, "look"))])
    assert decide(lenient.results).key == "needs-a-look"
    strict = collect([str(_load(tmp_path / "s", "look", {"gate": {"blocking": True}}))])
    assert decide(strict.results).key == "dont-ship"


def test_an_errored_command_means_dont_ship(tmp_path: Path) -> None:
    folder = _load(tmp_path, "pass", {"promote": {"status": "error", "summary": "MLflow unreachable"}})
    found = collect([str(folder)])
    report = compose(found.results, ReportContext())
    assert report.verdict.key == "dont-ship"
    assert "`promote` could not finish: MLflow unreachable" in report.markdown()


def test_change_arrows_follow_the_metric_direction(tmp_path: Path) -> None:
    markdown = compose(collect([str(FIXTURES / "pass")]).results, ReportContext()).markdown()
    # lower is better: a significant fall of log loss is green
    assert "| log_loss | 0.4210 | 0.4102 | 🟢 ▼ -0.0108 better |" in markdown
    assert "| **roc_auc** | 0.8412 | 0.8533 | 🟢 ▲ +0.0121 better |" in markdown
    assert "| accuracy | 0.7905 | 0.7950 | ▲ +0.0045 better |" in markdown  # not significant: no colour
    # budgets are red only when their rule fails: slower and bigger, but within budget
    assert "| latency_ms_p95 | 3.100 | 3.400 | ▲ +0.300 worse (×1.10) |" in markdown
    assert "| model_size_mb | 1.820 | 2.410 | ▲ +0.590 worse (×1.32) |" in markdown


def test_first_model_has_no_champion_column_values(tmp_path: Path) -> None:
    folder = _load(
        tmp_path,
        "pass",
        {
            "gate": {
                "details.first_model": True,
                "details.champion": None,
                "details.metrics": [
                    {
                        "metric": "roc_auc",
                        "slice": None,
                        "higher_is_better": True,
                        "champion": None,
                        "challenger": 0.85,
                        "delta": None,
                        "ci_low": None,
                        "ci_high": None,
                        "confidence": None,
                        "p_value": None,
                        "test": None,
                        "rule": "min 0.7",
                        "outcome": "pass",
                        "significant": None,
                        "reason": None,
                    }
                ],
            }
        },
    )
    markdown = compose(collect([str(folder)]).results, ReportContext()).markdown()
    assert "#### Model: challenger v8 vs no champion yet" in markdown
    assert "| **roc_auc** | — | 0.8500 | — | — | — | — | min 0.7 | ✅ pass |" in markdown
    assert "the first model is judged on absolute rules (min/max) only" in markdown


def test_unreadable_details_fall_back_to_summary_md(tmp_path: Path) -> None:
    folder = _load(tmp_path, "pass", {"gate": {"details.metrics": "not a list"}})
    found = collect([str(folder)])
    markdown = compose(found.results, ReportContext()).markdown()
    assert "### shipml gate: passed" in markdown  # the gate's own summary_md
    assert "could not read the details of `gate`" in markdown


def test_summary_md_cannot_smuggle_a_sticky_marker_or_break_the_page(tmp_path: Path) -> None:
    folder = _load(
        tmp_path, "future", {"explain": {"summary_md": "<!-- shipml:report -->\n```python\nopen fence"}}
    )
    markdown = compose(collect([str(folder)]).results, ReportContext()).markdown()
    assert "<!-- shipml:report -->" not in markdown
    other = markdown.split("#### Other checks", 1)[1]
    assert other.count("```") % 2 == 0


def test_no_gate_shows_the_trained_model(tmp_path: Path) -> None:
    folder = tmp_path / "only-train"
    folder.mkdir()
    shutil.copy(FIXTURES / "pass" / "train.json", folder)
    markdown = compose(collect([str(folder)]).results, ReportContext()).markdown()
    assert "#### Model: trained **churn-classifier v8**" in markdown
    assert "| roc_auc | 0.9012 | 0.8533 |" in markdown
