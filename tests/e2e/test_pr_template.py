"""workflows-templates/shipml-pr.yml under act, verbatim, from a user-style repository.

The starter calls `shipml/shipml/.github/workflows/shipml-pr-reusable.yml@v1`; act maps that
(and every `shipml/shipml/actions/...@v1` inside it) to a clean export of this checkout. act
cannot download third-party actions, so `actions/setup-python` and `actions/upload-artifact` at
the templates' pinned SHAs are mapped to stand-ins (tests/support/act_stubs: the host's Python; a
copy of the uploaded paths). Models go to the session's real MLflow server.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from tests.conftest import EXAMPLE, REPO
from tests.integration.test_gate_support import unique_name
from tests.support.act import UserRepo

STUBS = REPO / "tests" / "support" / "act_stubs"
SHA = "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b"


def stand_ins() -> dict[str, Path]:
    """The third-party actions the reusable workflows pin, mapped to local stand-ins."""
    text = "".join(p.read_text() for p in (REPO / ".github" / "workflows").glob("*.yml"))
    mapped: dict[str, Path] = {}
    for name, sha in re.findall(r"uses: actions/([a-z-]+)@([0-9a-f]{40})", text):
        if (STUBS / name).is_dir():
            mapped[f"actions/{name}@{sha}"] = STUBS / name
    assert {k.split("@")[0] for k in mapped} == {"actions/setup-python", "actions/upload-artifact"}
    return mapped


def test_pr_starter_runs_validate_train_gate_through_the_reusable_workflow(
    user_repo: UserRepo, mlflow_server: str
) -> None:
    for part in ("data", "expectations"):
        user_repo.copy_in(EXAMPLE / part, part)
    config = yaml.safe_load((EXAMPLE / "shipml.yaml").read_text())
    config["mlflow"]["registered_model"] = unique_name("pr-template")
    config["gate"]["slices"] = []  # keep the e2e quick: slices are the gate tests' business
    user_repo.write("shipml.yaml", yaml.safe_dump(config, sort_keys=False))
    user_repo.copy_in(REPO / "workflows-templates" / "shipml-pr.yml", ".github/workflows/test.yml")
    subprocess.run(
        ["git", "remote", "add", "origin", "https://github.com/acme/churn.git"],
        cwd=user_repo.root,
        check=True,
    )
    event = {
        "action": "synchronize",
        "number": 7,
        "pull_request": {"number": 7, "head": {"sha": SHA, "ref": "better-model"}, "base": {"ref": "main"}},
        "repository": {"full_name": "acme/churn"},
    }
    run = user_repo.run(
        event="pull_request",
        payload=event,
        secrets={"MLFLOW_TRACKING_URI": mlflow_server},
        local_repositories=stand_ins(),
        timeout=1500,
    )
    assert run.returncode == 0, run.log[-8000:]
    artifact = run.out_dir / "artifacts" / "shipml-results"
    results = artifact / "results"
    assert (results / "pr-number").read_text() == "7"
    for command in ("validate", "train", "gate"):
        result = json.loads((results / f"{command}.json").read_text())
        assert result["command"] == command and result["status"] in ("passed", "inconclusive"), result
    assert (artifact / "validate").is_dir(), "the drift HTML and GX result the report links to"
    # no `image: true` and no Dockerfile: no build, no scan (their Pre steps run regardless)
    assert not (results / "build.json").exists() and not (results / "scan.json").exists()
    assert "Main shipml/shipml/actions/validate-data@v1" in run.log
    assert "Main shipml/shipml/actions/build-image@v1" not in run.log
