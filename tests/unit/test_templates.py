"""The workflow templates use our actions and reusable workflows the way they are defined.

actionlint checks `with:` only for local actions and workflows; templates reference
`shipml/shipml/actions/<name>@v1` and `shipml/shipml/.github/workflows/<file>@v1` as
users do, so these tests do that check (inputs, required ones, secrets, permissions).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

STARTERS = sorted((REPO / "workflows-templates").glob("*.yml"))
REUSABLE = sorted((REPO / ".github" / "workflows").glob("*-reusable.yml"))
TEMPLATES = STARTERS + REUSABLE
WRITE_LEVEL = {"none": 0, "read": 1, "write": 2}


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return doc


def _triggers(workflow: dict[str, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as true


def _called(uses: str) -> Path:
    """`shipml/shipml/.github/workflows/X.yml@v1` -> this checkout's file (what `@v1` will be)."""
    ref = uses.split("@", 1)[0]
    parts = ref.split("/")
    assert parts[:2] == ["shipml", "shipml"] and parts[2:4] == [".github", "workflows"], uses
    return REPO.joinpath(*parts[2:])


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step the workflow runs, following a job's `uses:` into the reusable workflow."""
    steps: list[dict[str, Any]] = []
    for job in workflow["jobs"].values():
        if "uses" in job:
            steps += _steps(_load(_called(job["uses"])))
        steps += job.get("steps", [])
    return steps


def _action_file(uses: str) -> Path:
    ref = uses.split("@", 1)[0]
    parts = ref.split("/")
    assert parts[:2] == ["shipml", "shipml"], uses
    return REPO.joinpath(*parts[2:], "action.yml")


def _calls() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.name}:{name}", job)
        for path in STARTERS
        for name, job in _load(path)["jobs"].items()
        if "uses" in job
    ]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_inputs_exist_and_required_ones_are_given(template: Path) -> None:
    workflow = yaml.safe_load(template.read_text())
    ours = [s for s in _steps(workflow) if str(s.get("uses", "")).startswith("shipml/shipml/actions/")]
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


def test_starters_call_the_reusable_workflows_in_about_ten_lines() -> None:
    """Adoption is a short file: the pipelines' jobs live in the reusable workflows."""
    for name in ("shipml-pr.yml", "shipml-release.yml"):
        starter = _load(REPO / "workflows-templates" / name)
        (job,) = starter["jobs"].values()
        assert job["uses"] == f"shipml/shipml/.github/workflows/{name[:-4]}-reusable.yml@v1"
        code = [
            line
            for line in (REPO / "workflows-templates" / name).read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        assert len(code) <= 30, f"{name}: {len(code)} lines"


@pytest.mark.parametrize("reusable", REUSABLE, ids=lambda p: p.name)
def test_reusable_workflows_are_only_called_and_typed(reusable: Path) -> None:
    call = _triggers(_load(reusable))
    assert list(call) == ["workflow_call"], "a reusable workflow must not run on its own events"
    for name, spec in (call["workflow_call"].get("inputs") or {}).items():
        assert spec.get("type") in ("string", "boolean", "number"), name
        assert spec.get("description"), name
    for name, spec in (call["workflow_call"].get("secrets") or {}).items():
        assert spec.get("description") and "required" in spec, name


@pytest.mark.parametrize(("where", "job"), _calls(), ids=lambda v: v if isinstance(v, str) else "")
def test_calls_pass_declared_inputs_and_secrets_and_enough_permissions(
    where: str, job: dict[str, Any]
) -> None:
    called = _load(_called(job["uses"]))
    spec = _triggers(called)["workflow_call"]
    inputs, secrets = spec.get("inputs") or {}, spec.get("secrets") or {}
    given = set((job.get("with") or {}).keys())
    assert given <= set(inputs), f"{where}: unknown inputs {given - set(inputs)}"
    required = {n for n, s in inputs.items() if s.get("required") and "default" not in s}
    assert required <= given, f"{where}: missing required inputs {required - given}"
    for name, value in (job.get("with") or {}).items():
        kind = inputs[name]["type"]
        assert isinstance(value, bool) == (kind == "boolean"), f"{where}: {name} is a {kind}"
    passed = job.get("secrets")
    assert passed != "inherit", f"{where}: pass only the secrets the workflow declares"
    passed = set(passed or {})
    assert passed <= set(secrets), f"{where}: undeclared secrets {passed - set(secrets)}"
    needed = {n for n, s in secrets.items() if s.get("required")}
    assert needed <= passed, f"{where}: missing required secrets {needed - passed}"
    # A called job's permissions can only be lowered from the caller's: the calling job must grant
    # every scope at the highest level any called job asks for, and nothing more.
    most: dict[str, int] = {}
    for called_job in called["jobs"].values():
        for scope, level in (called_job.get("permissions") or {}).items():
            most[scope] = max(most.get(scope, 0), WRITE_LEVEL[level])
    granted = {scope: WRITE_LEVEL[level] for scope, level in (job.get("permissions") or {}).items()}
    assert granted == {k: v for k, v in most.items() if v}, where


def test_pr_workflow_cannot_write_and_comment_workflow_runs_no_pr_code() -> None:
    pr = yaml.safe_load((REPO / "workflows-templates" / "shipml-pr.yml").read_text())
    assert pr["permissions"] == {"contents": "read"}
    (call,) = pr["jobs"].values()
    assert call["permissions"] == {"contents": "read"}
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


@pytest.mark.parametrize("template", STARTERS, ids=lambda p: p.name)
def test_the_pinned_form_each_starter_shows_passes_zizmors_default_policy(
    template: Path, tmp_path: Path
) -> None:
    """A user who follows a starter's Pinning note gets a file zizmor's default policy accepts.

    The starter as shipped (`@v1`) is flagged by the default policy, and the `ref-pin` line the
    note gives silences exactly that; the SHA-pinned form the note shows is clean without it.
    """
    import re
    import subprocess
    import sys

    text = template.read_text()
    shown = re.search(r"^#\s+uses: (shipml/shipml/\S+)@<40-hex commit SHA> # (v\d+\.\d+\.\d+)$", text, re.M)
    assert shown, f"{template.name} does not show the SHA-pinned form"
    policy = re.search(r"^#\s+(rules: \{unpinned-uses: .*\})$", text, re.M)
    assert policy, f"{template.name} does not give the one-line zizmor policy"
    zizmor = Path(sys.executable).with_name("zizmor")

    def unpinned(body: str, config: str | None) -> list[str]:
        workflows = tmp_path / "repo" / ".github" / "workflows"
        workflows.mkdir(parents=True, exist_ok=True)
        (workflows / template.name).write_text(body)
        args = [str(zizmor), "--offline", "--format", "json"]
        if config is None:
            args.append("--no-config")
        else:
            (tmp_path / "zizmor.yml").write_text(config + "\n")
            args += ["--config", str(tmp_path / "zizmor.yml")]
        run = subprocess.run(
            [*args, str(workflows / template.name)], capture_output=True, text=True, timeout=120
        )
        assert run.returncode in (0, 10, 11, 12, 13, 14), run.stderr  # 1x: findings of some severity
        return [f["ident"] for f in json.loads(run.stdout) if f["ident"] == "unpinned-uses"]

    assert unpinned(text, None), "the tag form should be flagged by zizmor's default policy"
    assert unpinned(text, policy.group(1)) == []
    sha = "0123456789abcdef0123456789abcdef01234567"
    pinned = re.sub(r"(uses: shipml/shipml/\S+)@v1 # [^\n]*", rf"\1@{sha} # {shown.group(2)}", text)
    assert "@v1" not in pinned.replace("`@v1`", "")
    assert unpinned(pinned, None) == []
