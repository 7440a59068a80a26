"""``shipml serve`` flags: light --help, flag over env over default, one-line errors naming the flag."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from shipml.errors import ExitCode, UsageError
from shipml.serve import options
from shipml.serve.settings import ServeSettings, from_args
from tests.conftest import run_shipml


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    return parser.parse_args(argv)


def test_help_lists_flags_and_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom shipml.cli import main\n"
        "try:\n    main(['serve', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('fastapi', 'uvicorn', 'prometheus_client', 'sklearn', 'pandas', 'numpy', 'mlflow')\n"
        "print([m for m in heavy if m in sys.modules], file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr.strip() == "[]"
    for flag in (
        "--model-dir",
        "--image-digest",
        "--max-batch-rows",
        "--inject-error-rate",
        "SHIPML_MODEL_NAME",
    ):
        assert flag in proc.stdout


def test_flag_beats_env_beats_default(tmp_path: Path) -> None:
    env = {"SHIPML_MODEL_DIR": str(tmp_path), "SHIPML_MODEL_VERSION": "3", "SHIPML_SERVE_PORT": "9001"}
    settings = from_args(_args("--port", "9002"), env)
    assert settings == ServeSettings(model_dir=tmp_path, model_version="3", port=9002)
    assert settings.workers == 1 and settings.host == "127.0.0.1" and not settings.faults
    faulty = from_args(_args("--model-dir", "m", "--inject-latency-ms", "5"), {})
    assert faulty.faults and faulty.inject_latency_ms == 5.0


@pytest.mark.parametrize(
    ("argv", "env", "needle"),
    [
        ((), {}, "no model directory given. Pass --model-dir DIR or set SHIPML_MODEL_DIR"),
        (
            ("--model-dir", "m"),
            {"SHIPML_SERVE_INJECT_ERROR_RATE": "1.5"},
            "--inject-error-rate (or SHIPML_SERVE_INJECT_ERROR_RATE)",
        ),
        (("--model-dir", "m"), {"SHIPML_SERVE_WORKERS": "two"}, "--workers (or SHIPML_SERVE_WORKERS)"),
    ],
)
def test_bad_settings_are_one_line(argv: tuple[str, ...], env: dict[str, str], needle: str) -> None:
    with pytest.raises(UsageError) as info:
        from_args(_args(*argv), env)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_cli_reports_bad_setting_as_exit_2(tmp_path: Path) -> None:
    run = run_shipml("serve", "--model-dir", str(tmp_path), env={"SHIPML_SERVE_PORT": "99999"}, cwd=tmp_path)
    assert run.code == ExitCode.BAD_INPUT and "--port (or SHIPML_SERVE_PORT)" in run.stderr
    assert "Traceback" not in run.output
