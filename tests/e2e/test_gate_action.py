"""actions/gate and actions/promote used as users do (`shipml/shipml/actions/<name>@v1`) under act.

Models live in the real MLflow server of the test session; the test registers a
champion and a challenger (as `shipml train` would) before the workflow runs.
"""

from __future__ import annotations

from pathlib import Path

from mlflow import MlflowClient

from tests.integration.test_gate_support import log_version, unique_name, write_config
from tests.support.act import UserRepo

GATE_OUTPUTS = (
    "status",
    "result-file",
    "verdict",
    "primary-metric-delta",
    "champion-version",
    "challenger-version",
)
COLLECT = (
    {f"gate-{name}": f"${{{{ steps.gate.outputs.{name} }}}}" for name in GATE_OUTPUTS}
    | {"gate-outcome": "${{ steps.gate.outcome }}", "promote-outcome": "${{ steps.promote.outcome }}"}
    | {
        f"promote-{name}": f"${{{{ steps.promote.outputs.{name} }}}}"
        for name in ("action", "champion-version")
    }
)


def _workflow(user_repo: UserRepo, server: str) -> None:
    user_repo.workflow(
        [
            {
                "id": "gate",
                "uses": "shipml/shipml/actions/gate@v1",
                "with": {"config": "shipml.yaml", "tracking-uri": server},
            },
            {
                "id": "promote",
                "uses": "shipml/shipml/actions/promote@v1",
                "with": {
                    "config": "shipml.yaml",
                    "tracking-uri": server,
                    "gate-result": "${{ steps.gate.outputs.result-file }}",
                },
            },
        ],
        collect=COLLECT,
    )


def _project(user_repo: UserRepo, name: str) -> None:
    write_config(Path(user_repo.root), None, name)  # the tracking URI comes from the action input


def test_gate_action_passes_a_better_challenger_and_promote_moves_the_champion(
    user_repo: UserRepo, mlflow_server: str
) -> None:
    name = unique_name("e2e-better")
    champion = log_version(mlflow_server, name, "worse", alias="champion", git_sha=None)
    challenger = log_version(mlflow_server, name, "good", alias="challenger", git_sha=None)
    _project(user_repo, name)
    _workflow(user_repo, mlflow_server)
    run = user_repo.run()
    assert run.returncode == 0, run.log[-6000:]
    out = run.outputs
    assert out["gate-outcome"] == "success" and out["gate-verdict"] == "passed"
    assert out["gate-champion-version"] == champion and out["gate-challenger-version"] == challenger
    assert float(out["gate-primary-metric-delta"]) > 0.05
    details = run.result("gate")["details"]
    roc = next(m for m in details["metrics"] if m["metric"] == "roc_auc")
    assert (
        float(out["gate-primary-metric-delta"]) == round(roc["delta"], 6)
        or abs(float(out["gate-primary-metric-delta"]) - roc["delta"]) < 1e-5
    )
    assert "### shipml gate: ✅ passed" in run.summary and "🟢 ▲" in run.summary
    assert out["promote-outcome"] == "success" and out["promote-action"] == "promoted"
    assert out["promote-champion-version"] == challenger
    aliases = {k: str(v) for k, v in MlflowClient(mlflow_server).get_registered_model(name).aliases.items()}
    assert aliases == {"champion": challenger, "challenger": challenger, "previous-champion": champion}
    assert "Traceback" not in run.log
    # shipml.action built the command lines; the tracking URI (a secret input) stayed out of argv
    ran = [line for line in run.log.splitlines() if "shipml: running: shipml " in line]
    assert any(" gate --config=shipml.yaml" in line for line in ran), ran
    assert any(" promote --config=shipml.yaml --gate-result=" in line for line in ran), ran
    assert not any(mlflow_server in line for line in ran)


def test_gate_action_fails_the_job_on_a_worse_challenger(user_repo: UserRepo, mlflow_server: str) -> None:
    name = unique_name("e2e-worse")
    champion = log_version(mlflow_server, name, "good", alias="champion", git_sha=None)
    log_version(mlflow_server, name, "worse", alias="challenger", git_sha=None)
    _project(user_repo, name)
    _workflow(user_repo, mlflow_server)
    run = user_repo.run()
    assert run.returncode != 0
    out = run.outputs
    assert out["gate-outcome"] == "failure" and out["gate-status"] == "failed"
    assert out["gate-verdict"] == "failed" and float(out["gate-primary-metric-delta"]) < 0
    assert out["promote-outcome"] == "skipped"  # a failed step stops the job before promotion
    assert "exit status 1" in run.log
    assert "### shipml gate: ❌ failed" in run.summary and "🔴 ▼" in run.summary
    assert run.result("gate")["details"]["reasons"][0].split(" ")[1] == "FAIL:"
    assert str(MlflowClient(mlflow_server).get_model_version_by_alias(name, "champion").version) == champion
    assert "Traceback" not in run.log


def test_gate_action_refuses_a_stale_challenger(user_repo: UserRepo, mlflow_server: str) -> None:
    """An earlier run's @challenger (trained from another commit) is not this change's model: exit 2."""
    name = unique_name("e2e-stale")
    champion = log_version(mlflow_server, name, "worse", alias="champion", git_sha=None)
    log_version(mlflow_server, name, "good", alias="challenger", git_sha="1" * 40)
    _project(user_repo, name)
    _workflow(user_repo, mlflow_server)
    run = user_repo.run()
    assert run.returncode != 0
    assert run.outputs["gate-outcome"] == "failure" and run.outputs["promote-outcome"] == "skipped"
    assert "was trained from commit 1111111, but this run is at" in run.log
    assert "exit status 2" in run.log and "Traceback" not in run.log
    assert str(MlflowClient(mlflow_server).get_model_version_by_alias(name, "champion").version) == champion
