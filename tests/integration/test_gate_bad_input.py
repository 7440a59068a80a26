"""Every bad input of the gate and promote, through the real CLI: exit code, one line, no traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CliRun, run_shipml
from tests.integration.test_gate_support import (
    FEATURES,
    TARGET,
    churn,
    cli_env,
    log_version,
    unique_name,
    write_config,
)

pytestmark = pytest.mark.integration
PROGRESS = ("▶", "✓", "✗")


@dataclass
class Project:
    name: str
    config: Path
    root: Path
    versions: dict[str, str]
    regression_config: Path


@pytest.fixture(scope="module")
def project(mlflow_server: str, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One registered model with a champion and one challenger per kind of bad model."""
    root = tmp_path_factory.mktemp("gate-bad")
    name = unique_name("bad")
    versions = {
        "champion": log_version(mlflow_server, name, "good", alias="champion"),
        "challenger": log_version(mlflow_server, name, "tree", alias="challenger"),
        "fewer-features": log_version(
            mlflow_server, name, "good", features=[f for f in FEATURES if f != "region"]
        ),
        "short": log_version(mlflow_server, name, "broken-short"),
        "cols": log_version(mlflow_server, name, "broken-cols"),
        "nan": log_version(mlflow_server, name, "broken-nan"),
        "no-evaluation": log_version(mlflow_server, name, "tree", log_evaluation=False),
    }
    config = write_config(root / "project", mlflow_server, name)
    reg_name = unique_name("reg")
    reg_features = [f for f in FEATURES if f != "monthly_charges"]
    log_version(
        mlflow_server,
        reg_name,
        "regressor",
        alias="challenger",
        features=reg_features,
        target="monthly_charges",
    )
    regression_config = write_config(root / "regression", mlflow_server, reg_name)
    text = regression_config.read_text().replace(f"target: {TARGET}", "target: monthly_charges")
    regression_config.write_text(text)
    _, held_out = churn()
    held_out.to_csv(root / "held-out.csv", index=False)
    held_out.drop(columns=[TARGET]).to_csv(root / "no-target.csv", index=False)
    held_out[held_out[TARGET] == 0].to_csv(root / "one-class.csv", index=False)
    return Project(name, config, root, versions, regression_config)


def gate(
    project: Project, *args: str, config: Path | None = None, env: dict[str, str] | None = None
) -> CliRun:
    return run_shipml(
        "gate",
        *("--config", str(config or project.config), "--no-budgets", "--no-record", *args),
        env={**cli_env(), **(env or {})},
    )


def one_error_line(run: CliRun, code: int, *fragments: str) -> str:
    assert run.code == code, run.output
    assert "Traceback" not in run.output
    lines = [line for line in run.stderr.splitlines() if line.strip() and not line.startswith(PROGRESS)]
    assert len(lines) == 1, run.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_challenger_registry_uri_not_found(project: Project) -> None:
    one_error_line(
        gate(project, "--challenger", "models:/no-such-model@challenger"),
        2,
        "challenger model models:/no-such-model@challenger not found",
    )


def test_champion_version_not_found_says_champion(project: Project) -> None:
    one_error_line(
        gate(project, "--champion", f"models:/{project.name}/999"),
        2,
        f"champion model models:/{project.name}/999 not found",
        "version=999",
    )


def test_challenger_alias_not_set(project: Project) -> None:
    one_error_line(
        gate(project, "--challenger", f"models:/{project.name}@nobody"),
        2,
        "challenger model",
        "alias nobody not found",
    )


def test_run_uri_and_path_not_found(project: Project) -> None:
    one_error_line(
        gate(project, "--challenger", "runs:/0123456789abcdef/model"),
        2,
        "challenger model runs:/0123456789abcdef/model not found",
    )
    one_error_line(
        gate(project, "--champion", str(project.root / "nowhere")), 2, "champion model", "no such path"
    )


def test_different_feature_sets_are_listed(project: Project) -> None:
    uri = f"models:/{project.name}/{project.versions['fewer-features']}"
    line = one_error_line(
        gate(project, "--challenger", uri),
        2,
        "champion and challenger use different feature sets",
        "only the champion uses ['region']",
        "--allow-feature-changes",
    )
    assert "only the challenger" not in line
    allowed = gate(project, "--challenger", uri, "--allow-feature-changes")
    assert (
        allowed.code == 2 and "Traceback" not in allowed.output
    )  # the challenger's logged rows lack 'region'
    assert "the evaluation set lacks 1 feature(s) the champion needs: ['region']" in allowed.stderr
    full = str(project.root / "held-out.csv")
    allowed = gate(project, "--challenger", uri, "--allow-feature-changes", "--evaluation", full)
    assert allowed.code in (0, 1), allowed.output  # decided, each model on its own columns
    assert "feature sets differ" in allowed.stderr


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("short", "prediction shape mismatch"),
        ("cols", "prediction shape mismatch"),
        ("nan", "returned probabilities on the evaluation rows: NaN/inf for"),
    ],
)
def test_bad_predictions(project: Project, kind: str, fragment: str) -> None:
    uri = f"models:/{project.name}/{project.versions[kind]}"
    one_error_line(gate(project, "--challenger", uri), 2, fragment, f"challenger {uri}")


def test_evaluation_set_without_target(project: Project) -> None:
    one_error_line(
        gate(project, "--evaluation", str(project.root / "no-target.csv")),
        2,
        "has no target column 'churned'",
    )


def test_no_evaluation_set_anywhere(project: Project) -> None:
    uri = f"models:/{project.name}/{project.versions['no-evaluation']}"
    one_error_line(
        gate(project, "--challenger", uri), 2, "no evaluation set", "shipml/evaluation.csv", "--evaluation"
    )


def test_metric_that_does_not_fit_the_task(project: Project) -> None:
    one_error_line(
        gate(project, config=project.regression_config),
        2,
        "gate metric 'roc_auc' does not fit a regression model",
        "rmse",
    )


def test_single_class_evaluation_set_is_inconclusive_not_a_crash(project: Project, tmp_path: Path) -> None:
    result_file = tmp_path / "gate.json"
    one_class = str(project.root / "one-class.csv")
    only_auc = {"SHIPML_GATE__RULES": "[{metric: roc_auc, min: 0.7, max_regression: 0.01, confidence: 0.95}]"}
    run = gate(project, "--evaluation", one_class, "--result-file", str(result_file), env=only_auc)
    assert run.code == 0, run.output
    assert "Traceback" not in run.output
    result = json.loads(result_file.read_text())
    assert result["status"] == "inconclusive"
    [roc] = result["details"]["metrics"]
    assert roc["metric"] == "roc_auc" and roc["outcome"] == "inconclusive"
    assert "single class" in roc["reason"]
    assert "holds a single class (0)" in run.stderr
    strict = gate(project, "--evaluation", one_class, "--fail-on-inconclusive", env=only_auc)
    assert strict.code == 4, strict.output
    assert "shipml gate: inconclusive" in strict.stdout


def test_unreachable_tracking_server_exits_3(project: Project) -> None:
    one_error_line(gate(project, "--tracking-uri", "http://127.0.0.1:9"), 3, "unreachable")


def test_promote_bad_inputs(project: Project, tmp_path: Path) -> None:
    c = ["--config", str(project.config)]
    env = cli_env()
    one_error_line(
        run_shipml("promote", *c, "--gate-result", str(tmp_path / "missing.json"), env=env),
        2,
        "cannot read result file",
    )
    other = tmp_path / "doctor.json"
    assert run_shipml("doctor", "--result-file", str(other), env=env).code == 0
    one_error_line(run_shipml("promote", *c, "--gate-result", str(other), env=env), 2, "not a gate result")
    one_error_line(
        run_shipml("promote", *c, "--rollback", "--gate-result", str(other), env=env),
        2,
        "--rollback takes no --gate-result",
    )
    one_error_line(
        run_shipml("promote", *c, "--version", project.versions["challenger"], env=env),
        1,
        "no gate decision is recorded",
        "Run `shipml gate`",
    )
    one_error_line(run_shipml("promote", *c, "--version", "999", env=env), 2, "has no version 999")
    one_error_line(
        run_shipml("promote", *c, "--rollback", env=env),
        2,
        "has no 'previous-champion' alias: nothing to roll back to",
    )


@pytest.mark.parametrize("command", [["gate"], ["promote", "--version", "1"]])
def test_a_reader_never_creates_an_empty_local_store(tmp_path: Path, command: list[str]) -> None:
    """gate/promote on a machine where nothing was trained: exit 2 naming the store, and no ~1 MB
    empty registry left behind (it used to be created, then searched, then reported as 'not found')."""
    (tmp_path / "shipml.yaml").write_text("data:\n  target: churned\n")
    env = {"MLFLOW_TRACKING_URI": "", "GITHUB_ACTIONS": "", "SHIPML_HOME": str(tmp_path / ".shipml")}
    run = run_shipml(*command, "--config", str(tmp_path / "shipml.yaml"), cwd=tmp_path, env=env)
    assert run.code == 2, run.output
    errors = [line for line in run.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "no MLflow store at" in errors[0] and "shipml train" in errors[0], run.stderr
    assert "Traceback" not in run.output
    assert not (tmp_path / ".shipml" / "mlflow.db").exists()
