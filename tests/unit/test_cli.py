"""The CLI contract: exit codes, one-line errors, result files, lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shipml.errors import ExitCode
from tests.conftest import run_shipml
from tests.unit.test_report_golden import FIXTURES


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


# -- one outcome channel -----------------------------------------------------------------------


def test_exit_code_follows_status_and_blocking() -> None:
    from shipml.cli import exit_code_for
    from shipml.results import Outcome

    assert exit_code_for(Outcome("passed", "")) == ExitCode.OK
    assert exit_code_for(Outcome("failed", "")) == ExitCode.POLICY_FAILED
    assert exit_code_for(Outcome("failed", "", blocking=False)) == ExitCode.OK
    assert exit_code_for(Outcome("inconclusive", "")) == ExitCode.OK
    assert exit_code_for(Outcome("inconclusive", "", blocking=True)) == ExitCode.INCONCLUSIVE
    # the old magic output key no longer decides anything
    assert exit_code_for(Outcome("inconclusive", "", outputs={"fail-on-inconclusive": True})) == ExitCode.OK


def test_refused_promotion_is_recorded_as_failed_and_reported_so(tmp_path: Path) -> None:
    """PolicyFailed is a decision: status failed, exit 1; the report says 'failed', not 'could not finish'."""
    results = tmp_path / "results"
    results.mkdir()
    gate = json.loads((FIXTURES / "pass" / "gate.json").read_text())
    gate.update(status="error", summary="MLflow unreachable")
    gate_file = tmp_path / "gate.json"
    gate_file.write_text(json.dumps(gate))
    run = run_shipml(
        "promote",
        "--gate-result",
        str(gate_file),
        "--result-file",
        str(results / "promote.json"),
        cwd=tmp_path,
    )
    assert run.code == ExitCode.POLICY_FAILED, run.output
    assert "Traceback" not in run.output
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("shipml promote: failed: refusing to promote")
    result = json.loads((results / "promote.json").read_text())
    assert result["status"] == "failed" and result["blocking"] is True
    assert "refusing to promote" in result["summary"]
    report = tmp_path / "report.md"
    comment = run_shipml(
        "comment", "--results", str(results), "--no-post", "--output", str(report), cwd=tmp_path
    )
    assert comment.code == ExitCode.OK, comment.output
    text = report.read_text()
    assert "`promote` failed: refusing to promote" in text and "could not finish" not in text


@pytest.mark.parametrize("where", ["result-file", "github-output"])
def test_unwritable_destination_is_one_line_exit_2_before_any_work(tmp_path: Path, where: str) -> None:
    (tmp_path / "ref.csv").write_text("a,b\n1,x\n2,y\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = ["validate", "--init", "--reference", "ref.csv", "--suite", "suite.json"]
    env = {}
    if where == "result-file":
        args += ["--result-file", str(blocker / "validate.json")]
    else:
        env = {"GITHUB_OUTPUT": str(tmp_path / "missing" / "output")}
    run = run_shipml(*args, cwd=tmp_path, env=env)
    assert run.code == ExitCode.BAD_INPUT, run.output
    assert "Traceback" not in run.output and len(run.stderr.strip().splitlines()) == 1
    assert ("--result-file" if where == "result-file" else "$GITHUB_OUTPUT") in run.stderr
    assert not (tmp_path / "suite.json").exists(), "the work must not start when its result cannot be kept"


# -- action inputs -> argv ---------------------------------------------------------------------


def test_action_inputs_become_options_and_secrets_stay_in_env() -> None:
    from shipml.action import build_argv
    from shipml.commands import REGISTRY

    env = {
        "INPUT_CONFIG": "ml/shipml.yaml",
        "INPUT_CHAMPION": "-starts-with-a-dash",
        "INPUT_CONFIDENCE": "",  # empty: not given
        "INPUT_ALLOW_FEATURE_CHANGES": "false",  # a plain flag is passed only for true
        "INPUT_RECORD_DECISION": "false",
        "INPUT_BUDGETS": "TRUE",
        "INPUT_FAIL_ON_INCONCLUSIVE": "true",
        "INPUT_TRACKING_URI": "https://user:secret@mlflow.example",
        "INPUT_TRACKING_TOKEN": "tok-123",
    }
    argv = build_argv(REGISTRY["gate"], env)
    assert argv == [
        "gate",
        "--config=ml/shipml.yaml",
        "--champion=-starts-with-a-dash",
        "--fail-on-inconclusive=true",
        "--no-record-decision",
        "--budgets",
    ]
    assert not any("secret" in a or "tok-123" in a for a in argv)
    assert env["SHIPML_MLFLOW__TRACKING_URI"] == "https://user:secret@mlflow.example"
    assert env["MLFLOW_TRACKING_TOKEN"] == "tok-123"
    assert "INPUT_TRACKING_URI" not in env and "INPUT_TRACKING_TOKEN" not in env
    # the parser takes what was built: the value starting with '-' stays a value
    from shipml.cli import build_parser

    parser, _ = build_parser("gate")
    args = parser.parse_args(argv)
    assert args.champion == "-starts-with-a-dash" and args.record_decision is False and args.budgets


def test_action_alias_spelling_and_comment_token() -> None:
    from shipml.action import build_argv
    from shipml.commands import REGISTRY

    assert build_argv(REGISTRY["train"], {"INPUT_ALIAS": "candidate"}) == ["train", "--alias=candidate"]
    env = {"INPUT_TOKEN": "ghs_x", "INPUT_RESULTS": "a.json\nb.json"}
    assert build_argv(REGISTRY["comment"], env) == ["comment", "--results=a.json\nb.json"]
    assert env["GITHUB_TOKEN"] == "ghs_x"


def test_action_rejects_a_non_boolean_flag_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "shipml.action", "gate"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "INPUT_BUDGETS": "yes please"},
        check=False,
    )
    assert proc.returncode == ExitCode.BAD_INPUT
    assert proc.stderr.strip().splitlines() == [
        "error: input 'budgets' must be true or false, got 'yes please'. "
        "Set `budgets: true` or `budgets: false` (or leave it empty for the default)."
    ]


def test_root_action_runs_any_command_with_shell_like_args(tmp_path: Path) -> None:
    result_file = tmp_path / "out dir" / "doctor.json"
    proc = subprocess.run(
        [sys.executable, "-m", "shipml.action"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            **os.environ,
            "INPUT_COMMAND": "doctor",
            "INPUT_ARGS": f"--result-file '{result_file}' --require ''",
            "INPUT_CONFIG": "",
        },
        check=False,
    )
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert json.loads(result_file.read_text())["command"] == "doctor"
    bad = subprocess.run(
        [sys.executable, "-m", "shipml.action"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "INPUT_COMMAND": "rm -rf"},
        check=False,
    )
    assert bad.returncode == ExitCode.BAD_INPUT and "not a shipml command" in bad.stderr


def test_the_local_store_keyword_is_not_masked_but_a_uri_is(capsys: pytest.CaptureFixture[str]) -> None:
    import os

    from shipml.action import build_argv
    from shipml.commands import REGISTRY

    os.environ["GITHUB_ACTIONS"] = "true"
    try:
        env = {"INPUT_TRACKING_URI": "local"}
        build_argv(REGISTRY["train"], env)
        assert env["SHIPML_MLFLOW__TRACKING_URI"] == "local"
        assert "::add-mask::" not in capsys.readouterr().out
        env = {"INPUT_TRACKING_URI": "https://u:p@mlflow.example:5000"}
        build_argv(REGISTRY["train"], env)
        assert "::add-mask::https://u:p@mlflow.example:5000" in capsys.readouterr().out
    finally:
        del os.environ["GITHUB_ACTIONS"]


@pytest.mark.parametrize("preset", [None, ""])
def test_a_command_does_not_look_for_pydantic_plugins_unless_told_to(
    tmp_path: Path, preset: str | None
) -> None:
    # Discovery reads every installed package's entry points; an explicit setting is the user's.
    code = (
        "import importlib.metadata as m, sys\n"
        "seen = []\n"
        "real = m.entry_points\n"
        "def spy(**kw):\n    seen.append(kw.get('group'))\n    return real(**kw)\n"
        "m.entry_points = spy\n"
        "from shipml.cli import main\n"
        "code = main(['doctor', '--result-file', 'r.json'])\n"
        "print('pydantic' in seen, code, file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if preset is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = preset
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path, env=env
    )
    looked, code_text = proc.stderr.strip().splitlines()[-1].split()
    assert code_text == "0"
    assert looked == ("True" if preset == "" else "False")


def test_at_exit_the_collector_skips_what_exists_but_other_exit_handlers_still_run(tmp_path: Path) -> None:
    """cli.main has the collector frozen when the process ends (no last walk over every module's objects)."""
    marker = tmp_path / "atexit-ran"
    code = (
        "import atexit, gc, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write(str(gc.get_freeze_count())))\n"
        "from shipml.cli import main\n"
        "code = main(['comment', '--results', sys.argv[1], '--output', sys.argv[2]])\n"
        "assert gc.get_freeze_count() == 0  # not while the process goes on\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "none"), str(tmp_path / "report.md")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SHIPML_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 2, done.stderr  # no results there: the command's own answer, no assertion
    assert marker.is_file(), done.stderr  # exit handlers still run
    assert int(marker.read_text()) > 1000  # the objects alive at the end were frozen
