"""The gate with models named by run URI and by local path, slices and budgets, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from tests.conftest import run_shipml
from tests.integration.test_gate_support import churn, cli_env, log_version, unique_name, write_config

pytestmark = pytest.mark.integration


def test_run_uri_and_local_path_with_slices_and_a_size_budget(mlflow_server: str, tmp_path: Path) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("sources")
    champion_version = log_version(mlflow_server, name, "worse")
    challenger_version = log_version(mlflow_server, name, "good")
    challenger_run = client.get_model_version(name, challenger_version).run_id
    mlflow.set_tracking_uri(mlflow_server)
    local = Path(
        mlflow.artifacts.download_artifacts(f"models:/{name}/{champion_version}", dst_path=str(tmp_path))
    )
    _, held_out = churn()
    held_out.to_csv(tmp_path / "held-out.csv", index=False)
    config = write_config(
        tmp_path / "project",
        mlflow_server,
        name,
        slices=[{"column": "contract", "min_rows": 500}],
        budgets={
            "latency_rows": 10,
            "repeats": 1,
            "batch_size": 32,
            "max_size_mb": 0.01,
            "latency_p95_ratio": 50,
        },
    )
    result_file = tmp_path / "gate.json"
    run = run_shipml(
        "gate", "--config", str(config), "--result-file", str(result_file),
        "--challenger", f"runs:/{challenger_run}/model", "--champion", str(local),
        "--evaluation", str(tmp_path / "held-out.csv"),
        env=cli_env(),
    )  # fmt: skip
    assert run.code == 1, run.output
    result = json.loads(result_file.read_text())
    details = result["details"]
    uri = f"runs:/{challenger_run}/model"
    assert details["challenger"] == {
        "uri": uri,
        "version": None,
        "run_id": challenger_run,
        "registered_model": None,
        "git_sha": "0" * 40,  # the run's lineage tag (tests/integration/test_gate_support.py)
    }
    assert details["champion"]["uri"] == str(local) and details["champion"]["version"] is None
    assert details["recorded_tags"] is None  # nothing registered to record on
    assert details["evaluation"]["source"] == f"evaluation set {tmp_path / 'held-out.csv'}"

    overall = [m for m in details["metrics"] if m["slice"] is None]
    assert {m["metric"] for m in overall} == {"roc_auc", "accuracy"}
    assert all(m["outcome"] == "pass" for m in overall)
    slices = {
        m["slice"]: m for m in details["metrics"] if m["slice"] is not None and m["metric"] == "roc_auc"
    }
    counts = held_out["contract"].value_counts()
    assert set(slices) == {f"contract={value}" for value in counts.index}
    for value, n in counts.items():
        expected = "inconclusive" if n < 500 else "pass"
        assert slices[f"contract={value}"]["outcome"] == expected, slices[f"contract={value}"]["reason"]

    budgets = {b["metric"]: b for b in details["budgets"]}
    assert budgets["model_size_mb"]["outcome"] == "fail" and budgets["model_size_mb"]["challenger"] > 0.01
    assert budgets["latency_p95_ms_per_row"]["rule"] == "ratio <= 50"
    assert budgets["latency_p95_ms_per_row"]["outcome"] == "pass"
    assert "(10 timed calls per model)" in budgets["latency_p95_ms_per_row"]["reason"]
    assert result["status"] == "failed" and details["reasons"][0].startswith("model_size_mb FAIL")
    assert "Slices (" in result["summary_md"] and "(×" in result["summary_md"]

    refused = run_shipml("promote", "--config", str(config), "--gate-result", str(result_file), env=cli_env())
    assert refused.code == 2, refused.output
    assert "which is not a registered model version" in refused.stderr
