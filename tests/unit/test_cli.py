"""The CLI contract: exit codes, one-line errors, result files, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shipml.errors import ExitCode
from tests.conftest import run_shipml


def test_version_and_help_are_fast_and_light() -> None:
    code = (
        "import sys, time; t=time.perf_counter(); from shipml.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "names = ('mlflow', 'pandas', 'numpy', 'great_expectations', 'evidently', 'sklearn', 'github')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(heavy, time.perf_counter() - t, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, elapsed = proc.stderr.strip().rsplit("] ", 1)
    assert heavy + "]" == "[]"
    assert float(elapsed) < 1.0
    assert run_shipml("--version").stdout.startswith("shipml ")


def test_unknown_command_is_usage_error() -> None:
    run = run_shipml("frobnicate")
    assert run.code == ExitCode.BAD_INPUT
    assert "invalid choice" in run.stderr


def test_doctor_writes_result_and_outputs(tmp_path: Path) -> None:
    result_file = tmp_path / "r" / "doctor.json"
    run = run_shipml("doctor", "--result-file", str(result_file), cwd=tmp_path)
    assert run.code == ExitCode.OK, run.output
    data = json.loads(result_file.read_text())
    assert data["command"] == "doctor" and data["status"] == "passed"
    assert {"started_at", "duration_s", "summary_md", "details", "schema_version"} <= set(data)
    assert run.stdout.strip().splitlines()[-1].startswith("shipml doctor: passed: python ")


def test_error_result_is_recorded_and_debug_shows_traceback(tmp_path: Path) -> None:
    (tmp_path / "shipml.yaml").write_text("nonsense: 1\n")
    run = run_shipml("doctor", cwd=tmp_path)
    assert run.code == ExitCode.BAD_INPUT and "Traceback" not in run.output
    result = json.loads(next((tmp_path / ".shipml").rglob("doctor.json")).read_text())
    assert result["status"] == "error" and "nonsense: unknown key" in result["summary"]
    debug = run_shipml("doctor", "--debug", cwd=tmp_path)
    assert debug.code == ExitCode.BAD_INPUT and "Traceback" in debug.stderr


def test_unreachable_required_service_is_exit_3(tmp_path: Path) -> None:
    run = run_shipml(
        "doctor", "--require", "mlflow", cwd=tmp_path, env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}
    )
    assert run.code == ExitCode.INFRASTRUCTURE
    assert "MLflow tracking server http://127.0.0.1:9 is unreachable" in run.stderr
