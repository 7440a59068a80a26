"""``shipml comment`` bad input through the real console script: one line, exit 2, no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import CliRun, run_shipml
from tests.unit.test_report_golden import FIXTURES


def _one_error_line(run: CliRun) -> str:
    assert "Traceback" not in run.output
    errors = [line for line in run.stderr.splitlines() if line.startswith("shipml comment: error")]
    assert len(errors) == 1, run.stderr
    return errors[0]


def test_no_result_files_lists_where_it_looked(tmp_path: Path) -> None:
    empty = tmp_path / "artifact"
    empty.mkdir()
    run = run_shipml("comment", "--results", str(empty), str(tmp_path / "missing.json"), cwd=tmp_path)
    assert run.code == 2
    line = _one_error_line(run)
    assert "no shipml result files found" in line
    assert f"{empty} (directory, 0 JSON files)" in line and "missing.json (does not exist)" in line
    assert "--results" in line


def test_default_location_is_reported_when_nothing_is_there(tmp_path: Path) -> None:
    run = run_shipml("comment", cwd=tmp_path)
    assert run.code == 2
    assert "results (does not exist)" in _one_error_line(run)


def test_malformed_json_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    shutil.copytree(FIXTURES / "pass", folder)
    (folder / "gate.json").write_text((folder / "gate.json").read_text()[:500])
    run = run_shipml("comment", "--results", str(folder), cwd=tmp_path)
    assert run.code == 2
    assert f"result file {folder / 'gate.json'} is not valid JSON" in _one_error_line(run)


def test_newer_schema_warns_and_renders(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    shutil.copytree(FIXTURES / "look", folder)
    data = json.loads((folder / "gate.json").read_text())
    data["schema_version"] = 2
    (folder / "gate.json").write_text(json.dumps(data))
    out = tmp_path / "report.md"
    run = run_shipml("comment", "--results", str(folder), "--output", str(out), cwd=tmp_path)
    assert run.code == 0, run.output
    assert "warning:" in run.stderr and "newer than this shipml understands" in run.stderr
    report = out.read_text()
    assert "👀 Needs a look" in report and "uses result schema 2" in report
    assert f"report written to {out}" in run.stdout


def test_bad_mode_is_a_config_error(tmp_path: Path) -> None:
    run = run_shipml("comment", "--results", str(FIXTURES / "pass"), "--mode", "append", cwd=tmp_path)
    assert run.code == 2
    assert "comment.mode" in _one_error_line(run)


def test_local_run_prints_the_report_and_does_not_post(tmp_path: Path) -> None:
    run = run_shipml("comment", "--results", str(FIXTURES / "pass"), cwd=tmp_path, env={"GITHUB_TOKEN": "x"})
    assert run.code == 0, run.output
    assert run.stdout.startswith("### 🚀 Ship")
    assert run.stdout.splitlines()[-1].startswith("shipml comment: passed: ship (4 result files) (")
    assert "comment created" not in run.output
