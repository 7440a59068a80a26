"""Finding result files: directories, globs, explicit paths, pr-number files, bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shipml.errors import InputDataError
from shipml.report.collect import collect, split_specs
from tests.unit.test_report_golden import FIXTURES


def test_directory_is_searched_recursively_and_foreign_json_is_skipped(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "fail", tmp_path / "artifact" / "shipml-results")
    (tmp_path / "artifact" / "gx.json").write_text(json.dumps({"success": False, "results": []}))
    (tmp_path / "artifact" / "comment.json").write_text(
        (FIXTURES / "fail" / "gate.json").read_text().replace('"command": "gate"', '"command": "comment"')
    )
    found = collect([str(tmp_path / "artifact")])
    assert sorted(r.result.command for r in found.results) == ["gate", "train", "validate"]
    assert found.searched == [f"{tmp_path / 'artifact'} (directory, 5 JSON files)"]


def test_globs_and_explicit_files_are_deduplicated(tmp_path: Path) -> None:
    found = collect([str(FIXTURES / "pass" / "*.json"), str(FIXTURES / "pass" / "gate.json")])
    assert sorted(r.result.command for r in found.results) == ["gate", "promote", "train", "validate"]


def test_split_specs_accepts_action_style_lists() -> None:
    assert split_specs(["a.json, b/\n c/*.json\n", "", "d"]) == ["a.json", "b/", "c/*.json", "d"]


def test_pr_number_file_is_read(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "look", tmp_path / "r")
    (tmp_path / "r" / "pr-number").write_text("17\n")
    found = collect([str(tmp_path / "r")])
    assert found.pr_number == 17


def test_bad_pr_number_file_names_the_file(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "look", tmp_path / "r")
    (tmp_path / "r" / "pr-number").write_text("refs/pull/17/merge")
    with pytest.raises(InputDataError, match="pr-number should hold a pull request number"):
        collect([str(tmp_path / "r")])


def test_malformed_json_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "gate.json"
    bad.write_text('{"command": "gate", "status": ')
    with pytest.raises(InputDataError, match=r"gate\.json is not valid JSON"):
        collect([str(tmp_path)])


def test_explicit_non_result_file_is_an_error(tmp_path: Path) -> None:
    other = tmp_path / "package.json"
    other.write_text('{"name": "x"}')
    with pytest.raises(InputDataError, match="is not a shipml result file"):
        collect([str(other)])


def test_newer_schema_with_unknown_status_is_salvaged(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "pass" / "gate.json").read_text())
    data.update(schema_version=3, status="quarantined", duration_s="slow", brand_new={"x": 1})
    (tmp_path / "gate.json").write_text(json.dumps(data))
    found = collect([str(tmp_path)])
    (loaded,) = found.results
    assert loaded.newer_schema
    assert loaded.result.status == "inconclusive"  # an unknown status asks for a human look
    assert loaded.result.details["primary_metric"] == "roc_auc"  # what is known is kept
    assert "schema 3" in found.warnings[0]


def test_same_schema_invalid_result_is_an_error(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "pass" / "gate.json").read_text())
    data["status"] = "quarantined"
    (tmp_path / "gate.json").write_text(json.dumps(data))
    with pytest.raises(InputDataError, match=r"gate\.json is not a valid shipml result file \(status"):
        collect([str(tmp_path)])


def test_nothing_found_reports_where_it_looked(tmp_path: Path) -> None:
    found = collect([str(tmp_path), str(tmp_path / "nope.json"), str(tmp_path / "*.json")])
    assert found.results == []
    assert found.searched == [
        f"{tmp_path} (directory, 0 JSON files)",
        f"{tmp_path / 'nope.json'} (does not exist)",
        f"{tmp_path / '*.json'} (glob, 0 matches)",
    ]
