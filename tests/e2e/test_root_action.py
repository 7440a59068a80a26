"""The root action and the setup action, used from a user repository under act."""

from __future__ import annotations

from tests.conftest import EXAMPLE
from tests.support.act import UserRepo


def test_root_action_runs_doctor_and_setup_exposes_cli(user_repo: UserRepo) -> None:
    # One user workflow mixing the root action, the setup action and a capability action.
    for part in ("shipml.yaml", "data", "expectations"):
        user_repo.copy_in(EXAMPLE / part, part)
    user_repo.workflow(
        [
            {"id": "doc", "uses": "shipml/shipml@v1", "with": {"command": "doctor", "args": "--require ''"}},
            {
                "id": "validate",
                "uses": "shipml/shipml/actions/validate-data@v1",
                "with": {"drift": "false"},
            },
            {"id": "setup", "uses": "shipml/shipml/actions/setup@v1"},
            {
                "id": "cli",
                "env": {"SHIPML": "${{ steps.setup.outputs.shipml }}"},
                "run": '"$SHIPML" --version > "$SHIPML_TEST_OUT/version.txt"',
            },
        ],
        collect={
            "status": "${{ steps.doc.outputs.status }}",
            "result-file": "${{ steps.doc.outputs.result-file }}",
            "shipml": "${{ steps.setup.outputs.shipml }}",
            "validate": "${{ steps.validate.outputs.status }}",
            "drift-share": "${{ steps.validate.outputs.drift-share }}",
        },
    )
    run = user_repo.run()
    assert run.returncode == 0, run.log[-4000:]
    assert run.outputs["status"] == "passed"
    assert run.outputs["result-file"].endswith("/shipml/results/doctor.json")
    result = run.result("doctor")
    assert result["command"] == "doctor" and result["status"] == "passed"
    checks = {c["name"]: c for c in result["details"]["checks"]}
    assert checks["python"]["ok"] is True
    assert "### shipml doctor" in run.summary
    assert "| python | ✅ |" in run.summary
    assert run.outputs["shipml"].endswith("/bin/shipml")
    assert (run.out_dir / "version.txt").read_text().startswith("shipml ")
    assert run.outputs["validate"] == "passed"
    assert run.outputs["drift-share"] == ""  # drift was switched off through the action input
    assert run.result("validate")["details"]["drift"] is None


def test_root_action_bad_config_fails_step_with_exit_2_annotation(user_repo: UserRepo) -> None:
    user_repo.write("shipml.yaml", "gate:\n  confidance: 0.9\n")
    user_repo.workflow(
        [{"id": "doc", "uses": "shipml/shipml@v1", "with": {"command": "doctor"}}],
        collect={"status": "${{ steps.doc.outputs.status }}", "outcome": "${{ steps.doc.outcome }}"},
    )
    run = user_repo.run()
    assert run.returncode != 0
    assert run.outputs["status"] == "error"
    assert run.outputs["outcome"] == "failure"
    assert "::error title=shipml doctor::shipml.yaml:2: gate.confidance: unknown key" in run.log
    assert "exit status 2" in run.log
    assert "Traceback" not in run.log
