"""The gate judges the challenger this job produced, not one an earlier run left under the alias."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipml.errors import InputDataError
from shipml.gate.fetch import check_provenance
from shipml.gate.models import ModelRef

SHA = "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b"
OTHER = "9999999b7a4d5e6f8091a2b3c4d5e6f708192a3b"


def _ref(version: str = "4", sha: str | None = SHA) -> ModelRef:
    tags = {"shipml.git_sha": sha} if sha else {}
    return ModelRef("challenger", "models:/churn@challenger", "churn", version, "r1", None, tags)


@pytest.fixture
def on_runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    monkeypatch.setenv("GITHUB_SHA", SHA)
    return tmp_path


def test_a_challenger_trained_from_another_commit_is_refused(on_runner: Path) -> None:
    with pytest.raises(InputDataError) as err:
        check_provenance(_ref(sha=OTHER))
    assert "was trained from commit 9999999, but this run is at 3f1c9e2" in str(err.value)
    assert "--challenger models:/NAME/N" in str(err.value)


def test_the_challenger_of_this_commit_passes(on_runner: Path) -> None:
    check_provenance(_ref())


def test_the_alias_must_be_the_version_this_jobs_train_step_registered(on_runner: Path) -> None:
    results = on_runner / "shipml" / "results"
    results.mkdir(parents=True)
    (results / "train.json").write_text(
        json.dumps(
            {
                "command": "train",
                "status": "passed",
                "details": {"registered_model": "churn", "model_version": "5"},
                "started_at": "2026-01-01T00:00:00+00:00",
                "duration_s": 1.0,
            }
        )
    )
    with pytest.raises(InputDataError, match="points at churn v4, but this job's train step registered v5"):
        check_provenance(_ref("4"))
    check_provenance(_ref("5"))


def test_off_a_runner_without_a_commit_nothing_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_SHA"):
        monkeypatch.delenv(name, raising=False)
    check_provenance(_ref(sha=OTHER))
