"""shipml.proc: the one subprocess wrapper, against real processes (sh, python)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest

from shipml import proc
from shipml.errors import ExitCode


def test_missing_binary_is_exit_3_with_install_hint() -> None:
    with pytest.raises(proc.ToolMissing) as info:
        proc.find("shipml-no-such-tool", install_hint="install it with: pip install x")
    assert info.value.exit_code == ExitCode.INFRASTRUCTURE
    assert "pip install x" in str(info.value)


def test_wrong_explicit_path_is_exit_2(tmp_path: Path) -> None:
    with pytest.raises(proc.ToolPathInvalid) as info:
        proc.find("trivy", explicit=tmp_path / "trivy", install_hint="-")
    assert info.value.exit_code == ExitCode.BAD_INPUT and str(tmp_path) in str(info.value)


def test_non_zero_exit_carries_the_stderr_tail_and_hides_secrets() -> None:
    script = "import sys\nfor i in range(30): print(f'line {i}', file=sys.stderr)\nsys.exit(4)"
    with pytest.raises(proc.ToolFailed) as info:
        proc.run([sys.executable, "-c", script, "s3cret-token"], what="tool", secrets=["s3cret-token"])
    error = info.value
    assert error.returncode == 4 and error.exit_code == ExitCode.INFRASTRUCTURE
    assert error.tail[-1] == "line 29" and len(error.tail) == proc.TAIL_LINES
    assert "tool exited with 4: line 29" in str(error)
    assert proc.command_line(["x", "--password=s3cret-token"], ["s3cret-token"]) == "x '--password=***'"


def test_lines_stream_to_the_callback_and_output_is_kept() -> None:
    seen: list[str] = []
    script = "import sys\nprint('out-1', flush=True)\nprint('err-1', file=sys.stderr)"
    done = proc.run([sys.executable, "-c", script], on_line=seen.append)
    assert sorted(seen) == ["err-1", "out-1"]
    assert done.stdout == "out-1\n" and done.stderr == "err-1\n" and done.returncode == 0


def test_timeout_kills_and_raises() -> None:
    with pytest.raises(proc.ToolTimeout) as info:
        proc.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert "did not finish within" in str(info.value)


def test_a_started_run_of_the_same_command_is_taken_over_not_started_again(tmp_path: Path) -> None:
    log = tmp_path / "starts"
    argv = ["sh", "-c", f'echo started >> "{log}"; echo out; echo err >&2']
    early = proc.start(argv, env={"X": "1"})
    done = proc.run(argv, env={"X": "1"}, running=early)
    assert log.read_text() == "started\n"  # one process, the early one
    assert (done.stdout, done.stderr) == ("out\n", "err\n")


def test_a_started_run_of_another_command_is_stopped_and_the_asked_one_runs(tmp_path: Path) -> None:
    early = proc.start(["sleep", "30"])
    done = proc.run(["sh", "-c", "echo asked"], running=early)
    assert done.stdout == "asked\n"
    assert early.popen.returncode == -signal.SIGKILL  # killed and reaped, not left running
    other_env = proc.start(["sh", "-c", "echo early"], env={"X": "1"})
    assert proc.run(["sh", "-c", "echo early"], env={"X": "2"}, running=other_env).stdout == "early\n"
    assert other_env.popen.returncode is not None


def test_the_timeout_counts_from_the_early_start() -> None:
    early = proc.start(["sleep", "30"])
    time.sleep(0.6)
    started = time.perf_counter()
    with pytest.raises(proc.ToolTimeout):
        proc.run(["sleep", "30"], timeout=1.0, running=early)
    assert time.perf_counter() - started < 0.9


def test_stopping_a_finished_or_stopped_run_is_harmless() -> None:
    early = proc.start(["sleep", "30"])
    early.stop()
    early.stop()
    assert early.popen.returncode == -signal.SIGKILL
