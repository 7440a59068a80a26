"""``shipml comment`` stays light: no ML stack imported, and it starts in well under a second."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_github import FakeGitHub
from tests.unit.test_report_golden import FIXTURES

pytestmark = pytest.mark.integration

HEAVY = ("mlflow", "great_expectations", "evidently", "sklearn", "pandas", "numpy", "scipy", "pyarrow")
TOKEN = "ghs_FAKEstartupToken000000000000000000"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        server.add_pull("acme/churn", 7, "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b")
        yield server


def _python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_posting_imports_no_ml_stack(fake: FakeGitHub, tmp_path: Path) -> None:
    proc = _python(
        "-X",
        "importtime",
        "-m",
        "shipml",
        "comment",
        "--post",
        "--repo",
        "acme/churn",
        "--pr-number",
        "7",
        "--api-url",
        fake.url,
        "--results",
        str(FIXTURES / "fail"),
        "--status-context",
        "shipml/gate",
        "--output",
        str(tmp_path / "r.md"),
        env={"GITHUB_TOKEN": TOKEN, "SHIPML_COMMENT__WRITE_INTERVAL": "0"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "github.MainClass" in modules and "shipml.report.compose" in modules  # the real path ran
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], f"shipml comment imported {heavy[:10]}"
    assert len(fake.comments("acme/churn", 7)) == 1


def _best_of(runs: int, *args: str, env: dict[str, str]) -> tuple[float, float]:
    times = []
    for _ in range(runs + 1):  # the first run fills the bytecode cache, as the first step on a runner does
        start = time.perf_counter()
        proc = _python("-m", "shipml", *args, env=env)
        times.append(time.perf_counter() - start)
        assert proc.returncode == 0, proc.stderr[-2000:]
    times = times[1:]
    return min(times), statistics.median(times)


def test_starts_in_under_a_second(tmp_path: Path, fake: FakeGitHub) -> None:
    env: dict[str, str] = {}  # bytecode is cached for all subprocesses by tests/conftest.py
    best_help, _ = _best_of(3, "comment", "--help", env=env)
    render = ("comment", "--results", str(FIXTURES / "fail"), "--output", str(tmp_path / "r.md"))
    best_render, median_render = _best_of(3, *render, env=env)
    post = (*render, "--post", "--repo", "acme/churn", "--pr-number", "7", "--api-url", fake.url)
    post_env = {**env, "GITHUB_TOKEN": TOKEN, "SHIPML_COMMENT__WRITE_INTERVAL": "0"}
    best_post, median_post = _best_of(3, *post, env=post_env)
    print(
        f"comment --help {best_help:.2f}s; render to file {best_render:.2f}s (median {median_render:.2f}s); "
        f"render + post {best_post:.2f}s (median {median_post:.2f}s)"
    )
    assert best_help < 1.0
    assert best_render < 1.0
    assert best_post < 1.5  # PyGithub's own import is ~0.4 s of this
    assert len(fake.comments("acme/churn", 7)) == 1
