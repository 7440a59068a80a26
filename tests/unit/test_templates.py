"""The workflow templates use our actions the way their action.yml files define them.

actionlint checks `with:` only for local actions; templates reference
`shipml/shipml/actions/<name>@v1` as users do, so this test does that check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

TEMPLATES = sorted((REPO / "workflows-templates").glob("*.yml"))


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _action_file(uses: str) -> Path:
    ref = uses.split("@", 1)[0]
    parts = ref.split("/")
    assert parts[:2] == ["shipml", "shipml"], uses
    return REPO.joinpath(*parts[2:], "action.yml")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_inputs_exist_and_required_ones_are_given(template: Path) -> None:
    workflow = yaml.safe_load(template.read_text())
    ours = [s for s in _steps(workflow) if str(s.get("uses", "")).startswith("shipml/shipml")]
    assert ours, f"{template.name} uses no shipml action"
    for step in ours:
        action = yaml.safe_load(_action_file(step["uses"]).read_text())
        inputs = action.get("inputs", {})
        given = set((step.get("with") or {}).keys())
        assert given <= set(inputs), f"{step['uses']}: unknown inputs {given - set(inputs)}"
        required = {name for name, spec in inputs.items() if spec.get("required") and "default" not in spec}
        assert required <= given, f"{step['uses']}: missing required inputs {required - given}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_declare_least_privilege(template: Path) -> None:
    workflow = yaml.safe_load(template.read_text())
    assert "permissions" in workflow, "top-level permissions must be explicit"
    top = workflow["permissions"] or {}
    assert all(level != "write" for level in top.values()), (
        "write scopes belong on the one job that needs them"
    )


def test_pr_workflow_cannot_write_and_comment_workflow_runs_no_pr_code() -> None:
    pr = yaml.safe_load((REPO / "workflows-templates" / "shipml-pr.yml").read_text())
    assert pr["permissions"] == {"contents": "read"}
    assert not any("pr-comment" in str(s.get("uses", "")) for s in _steps(pr))
    comment = yaml.safe_load((REPO / "workflows-templates" / "shipml-comment.yml").read_text())
    triggers = comment.get("on", comment.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert list(triggers) == ["workflow_run"]
    assert not any("checkout" in str(s.get("uses", "")) for s in _steps(comment))


def test_pr_workflow_uploads_every_file_the_report_points_to(tmp_path: Path, example_project: Path) -> None:
    """The comment says the drift report and GX result are "in the run's artifacts": make it true.

    Runs validate as a runner would (GITHUB_ACTIONS, RUNNER_TEMP) and checks that the result file
    and every artefact it names lie under a path the template's upload step uploads.
    """
    import json
    import os

    from tests.conftest import run_shipml

    workflow = yaml.safe_load((REPO / "workflows-templates" / "shipml-pr.yml").read_text())
    uploads = [s for s in _steps(workflow) if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 1
    temp = tmp_path / "runner-temp"
    uploaded = [
        Path(line.strip().replace("${{ runner.temp }}", str(temp)))
        for line in str(uploads[0]["with"]["path"]).splitlines()
        if line.strip()
    ]
    summary = tmp_path / "summary.md"
    env = {
        "GITHUB_ACTIONS": "true",
        "RUNNER_TEMP": str(temp),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "PATH": os.environ["PATH"],
    }
    run = run_shipml("validate", cwd=example_project, env=env)
    assert run.code in (0, 1), run.output
    results = list(temp.rglob("validate.json"))
    assert len(results) == 1
    artifacts = json.loads(results[0].read_text())["details"]["artifacts"]
    named = [Path(p) for p in (artifacts.get("drift_html"), artifacts.get("gx_json")) if p]
    assert len(named) == 2, artifacts
    for path in [results[0], *named]:
        assert path.is_file()
        assert any(path.resolve().is_relative_to(u.resolve()) for u in uploaded), f"{path} is not uploaded"
