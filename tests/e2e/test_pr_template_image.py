"""The PR starter's image path under act: a user's Dockerfile switches on build and scan.

Same pair and harness as tests/e2e/test_pr_template.py (verbatim templates, `shipml/shipml/...@v1`
mapped to a clean export, stand-ins for setup-python and the artifact actions), but the user's
repository has a `Dockerfile`, which is what `hashFiles('Dockerfile')` in the reusable PR workflow
looks for. The gated challenger's image is built on the session's real dockerd (not pushed: the PR
token cannot push) and scanned by tag with the real trivy and the generated DB; the result files go
into the uploaded artifact, and the comment workflow posts their "Image & scan" section to the fake
GitHub API, from which the test reads the comment back.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import EXAMPLE, REPO
from tests.e2e.test_pr_template import (
    COMMENT_WORKFLOW,
    PR,
    PR_WORKFLOW,
    REPOSITORY,
    RUN_ID,
    SHA,
    TOKEN,
    _workflow_run_event,
    stand_ins,
)
from tests.integration.test_gate_support import unique_name
from tests.support.act import UserRepo
from tests.support.fake_github import FakeGitHub

TEMPLATES = REPO / "workflows-templates"
IMAGE_REPO = "acme/churn-server"


def test_pr_starter_builds_and_scans_the_image_when_the_repo_has_a_dockerfile_and_the_comment_shows_it(
    tmp_path: Path,
    shipml_checkout: Path,
    mlflow_server: str,
    docker_daemon: str,
    base_image: str,
    trivy_db: Path,
) -> None:
    repo = UserRepo.create(tmp_path, shipml_checkout)
    for part in ("data", "expectations"):
        repo.copy_in(EXAMPLE / part, part)
    # the user's server image: the base plus a package with a known HIGH advisory (CVE-2018-18074)
    repo.write(
        "server/requests-2.19.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n",
    )
    repo.write("Dockerfile", f"FROM {base_image}\nCOPY server /usr/lib/python3/dist-packages\nUSER 10001\n")
    repo.write(".dockerignore", ".git\ndata\n")
    config: dict[str, Any] = yaml.safe_load((EXAMPLE / "shipml.yaml").read_text())
    config["mlflow"]["registered_model"] = unique_name("pr-image")
    config["gate"]["slices"] = []
    config["gate"].pop("budgets", None)
    config["image"] = {"dockerfile": "Dockerfile", "repository": IMAGE_REPO}
    config["scan"] = {"fail_on": ["CRITICAL"], "cache_dir": str(trivy_db)}
    repo.write("shipml.yaml", yaml.safe_dump(config, sort_keys=False))
    repo.copy_in(TEMPLATES / "shipml-pr.yml", PR_WORKFLOW)
    repo.copy_in(TEMPLATES / "shipml-comment.yml", COMMENT_WORKFLOW)
    subprocess.run(
        ["git", "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git"], cwd=repo.root, check=True
    )
    event = {
        "action": "synchronize",
        "number": PR,
        "pull_request": {"number": PR, "head": {"sha": SHA, "ref": "better-model"}, "base": {"ref": "main"}},
        "repository": {"full_name": REPOSITORY},
    }
    started = time.monotonic()
    run = repo.run(
        event="pull_request",
        payload=event,
        env={"DOCKER_HOST": docker_daemon},
        secrets={"MLFLOW_TRACKING_URI": mlflow_server},
        local_repositories=stand_ins(),
        timeout=1500,
        workflow=PR_WORKFLOW,
    )
    print(f"PR run with image: {time.monotonic() - started:.0f} s")
    (tmp_path / "act-pr.log").write_text(run.log)  # the whole log, for when an assertion shows only its tail
    assert run.returncode == 0, run.log[-8000:]
    artifacts = tmp_path / "uploaded-artifacts"
    shutil.copytree(run.out_dir / "artifacts", artifacts / str(RUN_ID))
    results = artifacts / str(RUN_ID) / "shipml-results" / "results"

    build = json.loads((results / "build.json").read_text())
    assert build["status"] == "passed", build
    built = build["details"]
    assert built["pushed"] is False and not built.get("digest")  # the PR token pushes nothing
    (reference,) = built["references"][:1]
    assert reference.startswith(f"{IMAGE_REPO}:"), built["references"]
    scan = json.loads((results / "scan.json").read_text())
    assert scan["status"] == "passed", scan
    scanned = scan["details"]
    assert scanned["target"] == reference  # scanned by tag: nothing was pushed
    assert scanned["counts"]["HIGH"] == 1 and scanned["counts"]["CRITICAL"] == 0, scanned["counts"]
    assert "CVE-2018-18074" in {f["id"] for f in scanned["findings"]}
    assert scanned["blocking"] == 0  # policy: CRITICAL only
    for command in ("validate", "train", "gate"):
        assert json.loads((results / f"{command}.json").read_text())["command"] == command
    ran = [line for line in run.log.splitlines() if "shipml: running: shipml " in line]
    assert any(" build --config=shipml.yaml " in line and " --no-push" in line for line in ran), ran
    assert any(f" scan --config=shipml.yaml --image={reference}" in line for line in ran), ran
    assert "Traceback" not in run.log

    # the comment workflow (trusted code, write token) posts the image and scan sections
    with FakeGitHub() as fake:
        fake.add_token(TOKEN)
        fake.add_pull(REPOSITORY, PR, SHA)
        comment = repo.run(
            event="workflow_run",
            payload=_workflow_run_event(RUN_ID, SHA, fork=False),
            env={
                "SHIPML_COMMENT__API_URL": fake.url,
                "SHIPML_COMMENT__WRITE_INTERVAL": "0",
                "SHIPML_TEST_ARTIFACTS": str(artifacts),
            },
            secrets={"GITHUB_TOKEN": TOKEN},
            local_repositories=stand_ins(),
            timeout=600,
            workflow=COMMENT_WORKFLOW,
        )
        assert comment.returncode == 0, comment.log[-6000:]
        (posted,) = fake.comments(REPOSITORY, PR)
    body = str(posted["body"])
    section = (
        body.split("#### Image & scan", 1)[1].split("\n#### ", 1)[0] if "#### Image & scan" in body else ""
    )
    assert section, body
    assert f"→ `{reference}`" in section and "Not pushed: no digest to deploy yet" in section, section
    assert "✅ Scan **passed**: nothing blocks (fails on CRITICAL)." in section, section
    assert re.search(r"^\| all \| 0 \| 1 \| 0 \|", section, re.MULTILINE), section  # the artifact's counts
    assert "| HIGH | `CVE-2018-18074` | requests |" in section, section
    assert "Dockerfile `Dockerfile`" in section and "hostexecutor" not in section, section  # repo path
