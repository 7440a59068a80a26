from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from shipml.contracts.train import SplitMetrics, TrainDetails
from shipml.report.sections import train as report
from shipml.results import Result
from shipml.train import lineage


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_actions_context_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"pull_request": {"number": 42, "head": {"sha": "f" * 40, "ref": "feature/x"}, "base": {}}}
        )
    )
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_SHA", "a" * 40)  # the synthetic merge commit: not what the PR is about
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/churn")
    monkeypatch.setenv("GITHUB_RUN_ID", "777")
    found = lineage.collect(tmp_path, {"train": data})
    tags = found.tags()
    assert tags["shipml.git_sha"] == "f" * 40 and tags["mlflow.source.git.commit"] == "f" * 40
    assert tags["shipml.git_branch"] == "feature/x"
    assert tags["shipml.pr_number"] == "42"
    assert tags["shipml.run_url"] == "https://github.com/acme/churn/actions/runs/777"
    assert tags["shipml.data.train.sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert tags["shipml.pkg.scikit-learn"] and tags["shipml.pkg.mlflow"] and tags["shipml.python_version"]


def test_git_fallback_and_dvc_hashes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "data" / "raw").mkdir(parents=True)
    train = repo / "data" / "train.csv"
    train.write_text("a,b\n1,2\n")
    (repo / "data" / "train.csv.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef\n  size: 8\n  path: train.csv\n"
    )
    raw = repo / "data" / "raw" / "part.csv"
    raw.write_text("a\n1\n")
    (repo / "data" / "raw.dvc").write_text("outs:\n- md5: feedbeef.dir\n  path: raw\n")
    for args in (
        ("init", "-q", "-b", "trunk"),
        ("-c", "user.email=t@e", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x"),
    ):
        _git(repo, *args)
    found = lineage.collect(repo, {"train": train, "extra": raw})
    tags = found.tags()
    assert tags["shipml.git_sha"] == _git(repo, "rev-parse", "HEAD")
    assert tags["shipml.git_branch"] == "trunk"
    assert tags["shipml.data.train.path"] == "data/train.csv"
    assert tags["shipml.data.train.dvc_hash"] == "md5:0123456789abcdef"
    assert tags["shipml.data.extra.dvc_hash"] == "md5:feedbeef.dir"  # tracked through its directory
    assert "shipml.pr_number" not in tags


def test_no_git_no_dvc(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("a\n1\n")
    tags = lineage.collect(tmp_path, {"train": data}).tags()
    assert tags["shipml.git_sha"] == "unknown"
    assert not any(k.endswith("dvc_hash") for k in tags)


def _details(**extra: object) -> TrainDetails:
    base: dict[str, object] = {
        "run_id": "r1",
        "experiment_id": "3",
        "model_uri": "models:/churn/4",
        "registered_model": "churn",
        "model_version": "4",
        "alias": "challenger",
        "task": "classification",
        "target": "churned",
        "features": ["a", "b"],
        "metrics": SplitMetrics(
            train={"roc_auc": 0.9, "accuracy": 0.8},
            test={"roc_auc": 0.81234, "accuracy": 0.75},
            cv={"roc_auc_mean": 0.8, "roc_auc_std": 0.01},
        ),
        "params": {"max_iter": 10},
        "data_hashes": {"train": "ab"},
        "estimator": "HistGradientBoostingClassifier",
        "rows": {"train": 70, "test": 30},
        "tracking_uri": "sqlite:///x.db",
    }
    base.update(extra)
    return TrainDetails.model_validate(base)


def test_report_headline_table_and_link() -> None:
    details = _details(run_url="http://mlflow:5000/#/experiments/3/runs/r1")
    assert report.summary_line(details) == (
        "HistGradientBoostingClassifier trained; test roc_auc 0.8123, accuracy 0.7500; "
        "registered churn v4 as @challenger"
    )
    md = report.render(_result(details))
    assert "| metric | train (70 rows) | test (30 rows) |" in md
    assert "| roc_auc | 0.9000 | 0.8123 |" in md
    assert "[MLflow run `r1`](http://mlflow:5000/#/experiments/3/runs/r1)" in md
    assert "Cross-validation: roc_auc 0.8000 ± 0.0100" in md
    assert "`r1`" in report.render(_result(_details()))  # no UI known: no link


def _result(details: object) -> Result:
    from shipml.contracts.train import TrainDetails

    assert isinstance(details, TrainDetails)
    return Result(
        command="train",
        status="passed",
        details=details.model_dump(mode="json"),
        started_at="2026-01-01T00:00:00+00:00",
        duration_s=1.0,
    )
