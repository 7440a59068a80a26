"""Progress output: folds in Actions logs, a bar only on a terminal, plain lines elsewhere."""

from __future__ import annotations

import pytest

from shipml import progress


def test_stage_in_actions_is_a_group_with_timing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with progress.stage("Scoring"):
        print("work")
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["::group::Scoring", "work", "::endgroup::"]
    assert lines[3].startswith("✓ Scoring (") and lines[3].endswith("s)")


def test_stage_piped_prints_start_and_failure(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), progress.stage("Loading"):
        raise RuntimeError("boom")
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "▶ Loading" and err[1].startswith("✗ Loading (")


def test_bar_yields_everything_and_draws_nothing_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(progress.bar(iter(range(5)), 5, "slices")) == [0, 1, 2, 3, 4]
    assert capsys.readouterr().err == ""


def test_bar_draws_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(progress, "_tty", lambda: True)
    assert list(progress.bar(["a", "b"], 2, "slices")) == ["a", "b"]
    err = capsys.readouterr().err
    assert "slices [" in err and "2/2" in err
