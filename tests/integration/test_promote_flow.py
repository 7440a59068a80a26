"""gate -> promote -> rollback through the real CLI against a real MLflow server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import CliRun
from tests.conftest import run_shipml as _run_shipml
from tests.integration.test_gate_support import cli_env, log_version, unique_name, write_config

pytestmark = pytest.mark.integration


def run_shipml(*args: str) -> CliRun:
    return _run_shipml(*args, env=cli_env())


def _outputs(home: Path) -> dict[str, str]:
    """Step outputs the CLI wrote (outside Actions: $SHIPML_HOME/github_output), last value wins."""
    out: dict[str, str] = {}
    for line in (home / "github_output").read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


def _aliases(client: MlflowClient, name: str) -> dict[str, str]:
    return {k: str(v) for k, v in client.get_registered_model(name).aliases.items()}


def test_first_model_then_better_challenger_then_rollback(mlflow_server: str, tmp_path: Path) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("flow")
    config = write_config(tmp_path / "project", mlflow_server, name)
    home = tmp_path / ".shipml"  # SHIPML_HOME, set by the autouse fixture
    c = ["--config", str(config)]

    # 1. No champion yet: the first model is judged on absolute rules only, and promoted from its tags.
    v1 = log_version(mlflow_server, name, "worse", alias="challenger")
    first = run_shipml("gate", *c, "--result-file", str(tmp_path / "gate1.json"))
    assert first.code == 0, first.output
    result = json.loads((tmp_path / "gate1.json").read_text())
    assert result["status"] == "passed"
    assert result["details"]["first_model"] is True and result["details"]["champion"] is None
    assert "first model" in result["summary_md"]
    assert all(m["delta"] is None for m in result["details"]["metrics"])
    tags = client.get_model_version(name, v1).tags
    assert tags["shipml.gate.verdict"] == "passed" and tags["shipml.gate.champion_version"] == "none"
    promoted = run_shipml("promote", *c)  # no --gate-result: reads the version's decision tags
    assert promoted.code == 0, promoted.output
    assert _aliases(client, name) == {"challenger": v1, "champion": v1}

    # 2. A better challenger passes; the champion version it saw is in the result and on the version.
    v2 = log_version(mlflow_server, name, "good", alias="challenger")
    gate_file = tmp_path / "gate2.json"
    second = run_shipml("gate", *c, "--result-file", str(gate_file))
    assert second.code == 0, second.output
    details = json.loads(gate_file.read_text())["details"]
    assert details["verdict"] == "passed" and details["first_model"] is False
    assert details["champion"]["version"] == v1 and details["challenger"]["version"] == v2
    roc = next(m for m in details["metrics"] if m["metric"] == "roc_auc")
    assert roc["test"] == "delong" and roc["delta"] > 0.05 and roc["ci_low"] > 0 and roc["significant"]
    outputs = _outputs(home)
    assert outputs["verdict"] == "passed"
    assert float(outputs["primary-metric-delta"]) == pytest.approx(roc["delta"], rel=1e-5)
    assert client.get_model_version(name, v2).tags["shipml.gate.champion_version"] == v1
    assert details["recorded_tags"]["shipml.gate.champion_version"] == v1

    # 3. Promote from the result file: champion moves, the old one stays reachable, provenance is recorded.
    promote = run_shipml("promote", *c, "--gate-result", str(gate_file), "--reason", "better AUC")
    assert promote.code == 0, promote.output
    assert _aliases(client, name) == {"challenger": v2, "champion": v2, "previous-champion": v1}
    tags = client.get_model_version(name, v2).tags
    assert tags["shipml.promotion.from_version"] == v1
    assert tags["shipml.promotion.reason"] == "better AUC"
    assert tags["shipml.promotion.by"] and tags["shipml.promotion.at"]
    assert client.get_model_version(name, v1).tags["shipml.promotion.replaced_by"] == v2
    promote_result = json.loads((home / "results" / "promote.json").read_text())
    assert promote_result["details"] == {
        "registered_model": name,
        "action": "promoted",
        "champion_version": v2,
        "previous_version": v1,
        "alias": "champion",
        "message": promote_result["details"]["message"],
        "store": "MLflow tracking server",  # never the server's address
    }

    # 4. Re-running the same promotion converges (no-op), it does not fail or move anything.
    again = run_shipml("promote", *c, "--gate-result", str(gate_file))
    assert again.code == 0, again.output
    assert json.loads((home / "results" / "promote.json").read_text())["details"]["action"] == "noop"
    assert _aliases(client, name) == {"challenger": v2, "champion": v2, "previous-champion": v1}

    # 5. Rollback restores the previous champion; a second rollback is a no-op.
    back = run_shipml("promote", *c, "--rollback")
    assert back.code == 0, back.output
    assert _aliases(client, name) == {"challenger": v2, "champion": v1}
    assert client.get_model_version(name, v1).tags["shipml.rollback.from_version"] == v2
    assert "shipml.rollback.demoted_at" in client.get_model_version(name, v2).tags
    back_again = run_shipml("promote", *c, "--rollback")
    assert back_again.code == 0, back_again.output
    assert json.loads((home / "results" / "promote.json").read_text())["details"]["action"] == "noop"
    assert _aliases(client, name)["champion"] == v1

    # 6. The rolled-back version cannot be re-promoted on its old gate decision: it must be gated again.
    stale = run_shipml("promote", *c, "--gate-result", str(gate_file))
    assert stale.code == 1
    assert "rolled back" in stale.stderr and "re-run the gate" in stale.stderr.lower()
    assert "Traceback" not in stale.output
    assert _aliases(client, name)["champion"] == v1


def test_worse_challenger_fails_gate_and_cannot_be_promoted(mlflow_server: str, tmp_path: Path) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("worse")
    config = write_config(tmp_path / "project", mlflow_server, name)
    v1 = log_version(mlflow_server, name, "good", alias="champion")
    v2 = log_version(mlflow_server, name, "worse", alias="challenger")
    gate_file = tmp_path / "gate.json"
    gate = run_shipml("gate", "--config", str(config), "--result-file", str(gate_file), "--no-budgets")
    assert gate.code == 1, gate.output
    result = json.loads(gate_file.read_text())
    assert result["status"] == "failed"
    roc = next(m for m in result["details"]["metrics"] if m["metric"] == "roc_auc")
    assert roc["outcome"] == "fail" and roc["delta"] < 0 and roc["ci_high"] < -0.01
    assert "🔴 ▼" in result["summary_md"]
    assert result["details"]["reasons"][0].startswith(("roc_auc FAIL", "accuracy FAIL"))
    assert client.get_model_version(name, v2).tags["shipml.gate.verdict"] == "failed"

    for how in (["--gate-result", str(gate_file)], ["--version", v2]):
        refused = run_shipml("promote", "--config", str(config), *how)
        assert refused.code == 1, refused.output
        assert "gate verdict is 'failed'" in refused.stderr
        assert "Traceback" not in refused.output
    assert {k: str(v) for k, v in client.get_registered_model(name).aliases.items()} == {
        "champion": v1,
        "challenger": v2,
    }


def test_promotion_refused_when_champion_moved_after_the_gate(mlflow_server: str, tmp_path: Path) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("moved")
    config = write_config(tmp_path / "project", mlflow_server, name)
    log_version(mlflow_server, name, "worse", alias="champion")
    v2 = log_version(mlflow_server, name, "good", alias="challenger")
    gate_file = tmp_path / "gate.json"
    gate = run_shipml("gate", "--config", str(config), "--result-file", str(gate_file), "--no-budgets")
    assert gate.code == 0, gate.output
    # Someone else moves the champion between gate and promotion.
    v3 = log_version(mlflow_server, name, "tree")
    client.set_registered_model_alias(name, "champion", v3)
    refused = run_shipml("promote", "--config", str(config), "--gate-result", str(gate_file))
    assert refused.code == 1, refused.output
    line = refused.stderr.strip().splitlines()[-1]
    assert "'champion' moved since the gate" in line and f"it is now version {v3}" in line
    assert str(client.get_model_version_by_alias(name, "champion").version) == v3
    assert "previous-champion" not in client.get_registered_model(name).aliases
    assert "shipml.promotion.at" not in client.get_model_version(name, v2).tags


def test_a_release_rolls_back_only_its_own_promotion_and_can_withdraw_a_first_champion(
    mlflow_server: str, tmp_path: Path
) -> None:
    """The release workflow's rollback-model passes the version it promoted (--rollback --version N)."""
    client = MlflowClient(mlflow_server)
    name = unique_name("first")
    config = write_config(tmp_path / "project", mlflow_server, name)
    c = ["--config", str(config)]
    home = tmp_path / ".shipml"
    v1 = log_version(mlflow_server, name, "worse", alias="challenger")
    assert run_shipml("gate", *c).code == 0
    assert run_shipml("promote", *c).code == 0
    assert _aliases(client, name) == {"challenger": v1, "champion": v1}

    # A hand-typed rollback of a first champion is refused: it would leave the model without one.
    bare = run_shipml("promote", *c, "--rollback")
    assert bare.code == 2 and "--rollback --version N" in bare.stderr and "Traceback" not in bare.output
    assert _aliases(client, name) == {"challenger": v1, "champion": v1}

    # The failed first release undoes its own promotion: as before it, no version is champion.
    back = run_shipml("promote", *c, "--rollback", "--version", v1)
    assert back.code == 0, back.output
    assert _aliases(client, name) == {"challenger": v1}
    tags = client.get_model_version(name, v1).tags
    assert tags["shipml.rollback.from_version"] == v1 and "shipml.rollback.demoted_at" in tags
    details = json.loads((home / "results" / "promote.json").read_text())["details"]
    assert (details["action"], details["champion_version"], details["previous_version"]) == (
        "rolled_back",
        None,
        v1,
    )
    # a re-run (GitHub's "re-run failed jobs") converges
    again = run_shipml("promote", *c, "--rollback", "--version", v1)
    assert again.code == 0, again.output
    assert json.loads((home / "results" / "promote.json").read_text())["details"]["action"] == "noop"
    assert _aliases(client, name) == {"challenger": v1}

    # An earlier release's late failure does not undo a later release's champion.
    v2 = log_version(mlflow_server, name, "good", alias="challenger")
    assert run_shipml("gate", *c).code == 0
    assert run_shipml("promote", *c).code == 0
    assert _aliases(client, name) == {"challenger": v2, "champion": v2}
    v3 = log_version(mlflow_server, name, "good", alias="challenger")
    gate3 = run_shipml("gate", *c, "--result-file", str(tmp_path / "g3.json"))
    assert gate3.code in (0, 1), gate3.output
    late = run_shipml("promote", *c, "--rollback", "--version", v3)  # v3 never became champion
    assert late.code == 0, late.output
    assert "is not 'champion'" in late.output and "nothing rolled back" in late.output
    assert _aliases(client, name)["champion"] == v2
