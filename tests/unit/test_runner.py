"""GitHub runtime I/O: the file formats and command syntax the runner parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shipml import runner


@pytest.fixture
def actions_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
    return tmp_path


def parse_output_file(text: str) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does (name=value and heredoc blocks)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body = []
            i += 1
            while lines[i] != delim:
                body.append(lines[i])
                i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        i += 1
    return values


def test_outputs_single_and_multiline_with_random_delimiter(actions_env: Path) -> None:
    runner.set_output("status", "passed")
    tricky = "line one\nEOF\nghadelimiter_x\nname=injected"
    runner.set_output("report", tricky)
    runner.set_output("metrics", {"auc": 0.8})
    text = (actions_env / "output").read_text()
    parsed = parse_output_file(text)
    assert parsed["status"] == "passed"
    assert parsed["report"] == tricky
    assert "name" not in parsed  # the value's content did not become an output
    assert json.loads(parsed["metrics"]) == {"auc": 0.8}
    assert re.search(r"^report<<ghadelimiter_[0-9a-f-]{36}$", text, re.M)


def test_annotations_escape_properties_and_data(
    actions_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner.error("bad: 50%\nsecond line", file="suites/a,b.yaml", line=7, title="shipml validate")
    out = capsys.readouterr().out
    assert out == "::error file=suites/a%2Cb.yaml,line=7,title=shipml validate::bad: 50%25%0Asecond line\n"


def test_annotations_outside_actions_are_readable(capsys: pytest.CaptureFixture[str]) -> None:
    runner.warning("drift in monthly_charges", file="shipml.yaml", line=3)
    assert capsys.readouterr().err == "warning: shipml.yaml:3: drift in monthly_charges\n"


def test_mask_and_group(actions_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runner.mask("s3cr3t")
    with runner.group("Scoring"):
        print("inside")
    assert capsys.readouterr().out == "::add-mask::s3cr3t\n::group::Scoring\ninside\n::endgroup::\n"


def test_outside_actions_outputs_and_summary_go_to_local_files(tmp_path: Path) -> None:
    runner.set_output("status", "passed")
    path = runner.append_summary("## hello")
    home = Path(runner.local_dir())
    assert (home / "github_output").read_text() == "status=passed\n"
    assert path == home / "step_summary.md" and path.read_text() == "## hello\n\n"


def test_run_context_from_pull_request_event(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    event = {
        "number": 42,
        "pull_request": {
            "number": 42,
            "base": {"sha": "b" * 40},
            "head": {"sha": "h" * 40, "ref": "feature"},
        },
        "repository": {"full_name": "acme/models"},
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(tmp_path / "event.json"))
    monkeypatch.setenv("GITHUB_SHA", "m" * 40)
    monkeypatch.setenv("GITHUB_RUN_ID", "99")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/models")
    ctx = runner.run_context()
    assert ctx.pr_number == 42
    assert ctx.commit == "h" * 40  # the PR head, not the merge commit
    assert ctx.base_sha == "b" * 40 and ctx.head_ref == "feature"
    assert ctx.run_url == "https://github.com/acme/models/actions/runs/99"


def test_run_context_without_event() -> None:
    ctx = runner.run_context()
    assert ctx.pr_number is None and ctx.commit is None and ctx.run_url is None


def test_tracking_credentials_are_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shipml.mlflow_api import store as tracking

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-123")
    tracking.mask_credentials("https://alice:s3cret@mlflow.example.com")
    out = capsys.readouterr().out.splitlines()
    assert "::add-mask::https://alice:s3cret@mlflow.example.com" in out
    assert "::add-mask::alice:s3cret" in out and "::add-mask::tok-123" in out
