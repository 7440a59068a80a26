"""``shipml validate`` through the real console script: the example, exit codes, outputs, bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import CliRun, run_shipml

pytestmark = pytest.mark.integration

PROGRESS = ("▶ ", "✓ ", "✗ ")


def _outputs(home: Path) -> dict[str, str]:
    lines = (home / "github_output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _result(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_example_passes_with_a_drift_warning_and_publishes_everything(example_project: Path) -> None:
    home = Path(os.environ["SHIPML_HOME"])
    run = run_shipml("validate", "--result-file", "out/validate.json", cwd=example_project)
    assert run.code == 0, run.output
    assert "Traceback" not in run.output
    result = _result(example_project / "out" / "validate.json")
    details = result["details"]
    assert result["status"] == "passed"
    assert details["counts"]["failed_error"] == 0 and details["counts"]["failed_warning"] == 2
    failed = {(e["expectation"], e["file"], e["line"]) for e in details["expectations"] if not e["success"]}
    assert failed == {
        ("expect_column_values_to_be_between", "expectations/churn.yaml", 25),
        ("expect_column_mean_to_be_between", "expectations/churn.yaml", 26),
    }
    drift = details["drift"]
    drifted = [c["column"] for c in drift["columns"] if c["drifted"]]
    assert drifted == ["monthly_charges"] and drift["share"] == pytest.approx(0.1)
    assert drift["dataset_drift"] is False
    assert {c["column"]: c["role"] for c in drift["columns"]}["churned"] == "target"
    outputs = _outputs(home)
    assert outputs["status"] == "passed"
    assert outputs["failed-expectations"] == "2"
    assert outputs["drifted-columns"] == "monthly_charges"
    assert outputs["drift-share"] == "0.1000"
    html = Path(details["artifacts"]["drift_html"])
    gx_json = Path(details["artifacts"]["gx_json"])
    if not html.is_absolute():
        html, gx_json = example_project / html, example_project / gx_json
    assert html.stat().st_size > 100_000 and "<html" in html.read_text()[:2000].lower()
    assert _result(gx_json)["statistics"]["evaluated_expectations"] == details["counts"]["evaluated"]
    summary = (home / "step_summary.md").read_text()
    assert "### shipml validate: ✅ passed with warnings" in summary
    assert "| `monthly_charges` | num | wasserstein |" in summary
    # local annotations: file:line of the suite entry
    assert "warning: expectations/churn.yaml:25: monthly_charges: values_to_be_between" in run.stderr
    assert "drift in 1 of 10 columns (monthly_charges)" in run.stdout


def test_reference_data_passes_every_expectation(example_project: Path) -> None:
    run = run_shipml(
        "validate",
        "--data",
        "data/reference.csv",
        "--no-drift",
        "--result-file",
        "r.json",
        cwd=example_project,
    )
    assert run.code == 0, run.output
    details = _result(example_project / "r.json")["details"]
    assert details["counts"] == {"evaluated": 43, "failed_error": 0, "failed_warning": 0}


def test_fail_on_warning_fails_the_example_without_evidently(example_project: Path) -> None:
    script = (
        "import sys; from shipml.cli import main; code = main(sys.argv[1:]); "
        "print('EVIDENTLY' if 'evidently' in sys.modules else 'NO-EVIDENTLY'); sys.exit(code)"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "validate",
            "--no-drift",
            "--fail-on",
            "warning",
            "--result-file",
            "r.json",
        ],
        cwd=example_project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "NO-EVIDENTLY" in proc.stdout
    result = _result(example_project / "r.json")
    assert result["status"] == "failed" and result["details"]["drift"] is None
    assert result["summary"].startswith("2 warning expectations failed")


def _tiny_project(tmp: Path, *, suite: str | None = None, schema: str = "") -> Path:
    rng = np.random.default_rng(0)
    n = 400
    ref = pd.DataFrame(
        {
            "a": rng.normal(0, 1, n).round(4),
            "b": rng.normal(5, 2, n).round(4),
            "c": rng.choice(["x", "y", "z"], n),
            "d": rng.integers(0, 100, n),
        }
    )
    (tmp / "data").mkdir(parents=True)
    ref.to_csv(tmp / "data" / "ref.csv", index=False)
    ref.to_csv(tmp / "data" / "cur.csv", index=False)
    config = "data:\n  reference: data/ref.csv\n  current: data/cur.csv\nvalidate:\n"
    if suite is not None:
        (tmp / "suite.yaml").write_text(suite)
        config += "  suites: [suite.yaml]\n"
    config += schema or "  schema:\n    a: {dtype: number}\n"
    (tmp / "shipml.yaml").write_text(config)
    return tmp


def test_error_expectation_fails_with_an_annotation_on_its_line(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path, suite="d:\n  - not_null\n  - between: {min: 0, max: 50}\n")
    gh = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "gh_out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "gh_summary"),
        "GITHUB_WORKSPACE": str(project),
        "RUNNER_TEMP": str(tmp_path / "runner"),
    }
    run = run_shipml("validate", "--no-drift", cwd=project, env=gh)
    assert run.code == 1, run.output
    assert (
        "::error file=suite.yaml,line=3,title=shipml validate%3A suite::d: values_to_be_between" in run.stdout
    )
    outputs = dict(line.split("=", 1) for line in (tmp_path / "gh_out").read_text().splitlines())
    assert outputs["status"] == "failed" and outputs["failed-expectations"] == "1"
    assert outputs["drifted-columns"] == "" and outputs["drift-share"] == ""
    result = _result(Path(outputs["result-file"]))
    failure = next(e for e in result["details"]["expectations"] if not e["success"])
    expected = int((pd.read_csv(project / "data" / "cur.csv")["d"] > 50).sum())
    assert failure["unexpected_count"] == expected > 0
    assert (
        Path(result["details"]["artifacts"]["gx_json"]).parent == tmp_path / "runner" / "shipml" / "validate"
    )
    assert "❌ error" in (tmp_path / "gh_summary").read_text()


def test_dataset_drift_fails_the_step(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path)
    cur = pd.read_csv(project / "data" / "cur.csv")
    cur["a"] += 2
    cur["b"] *= 3
    cur["d"] = cur["d"] + 60
    cur.to_csv(project / "data" / "cur.csv", index=False)
    run = run_shipml("validate", "--result-file", "r.json", cwd=project)
    assert run.code == 1, run.output
    result = _result(project / "r.json")
    drift = result["details"]["drift"]
    assert drift["dataset_drift"] is True and drift["share"] == pytest.approx(0.75)
    assert {c["column"] for c in drift["columns"] if c["drifted"]} == {"a", "b", "d"}
    assert all(
        c["method"] in ("ks", "chisquare") for c in drift["columns"]
    )  # 400 rows: tests, Holm-corrected
    assert drift["correction"] == "holm"
    assert "dataset drift (share 0.75 ≥ 0.50)" in result["summary"]


def test_init_writes_a_starter_suite_once(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path)
    first = run_shipml("validate", "--init", "--suite", "exp/starter.yaml", cwd=project)
    assert first.code == 0, first.output
    written = (project / "exp" / "starter.yaml").read_text()
    assert "between:" in written and "in_set: [x, y, z]" in written
    again = run_shipml("validate", "--init", "--suite", "exp/starter.yaml", cwd=project)
    assert again.code == 2 and "already exists. Pass --force to overwrite it" in again.stderr
    assert (project / "exp" / "starter.yaml").read_text() == written
    use = run_shipml(
        "validate", "--suite", "exp/starter.yaml", "--no-drift", "--result-file", "r.json", cwd=project
    )
    assert use.code == 0, use.output
    assert _result(project / "r.json")["details"]["counts"]["failed_error"] == 0


def test_an_all_empty_current_column_fails_the_check_and_drift_still_runs(tmp_path: Path) -> None:
    """An empty column in the data under test is a finding (exit 1), not unreadable input (exit 2)."""
    project = _tiny_project(tmp_path / "p")
    data = project / "data" / "cur.csv"
    pd.read_csv(data).assign(b=np.nan).to_csv(data, index=False)
    run = run_shipml("validate", "--result-file", "r.json", cwd=project)
    assert run.code == 1, run.output
    assert "Traceback" not in run.output
    details = _result(project / "r.json")["details"]
    (empty,) = [e for e in details["expectations"] if e["expectation"] == "column_not_entirely_empty"]
    assert empty["column"] == "b" and empty["success"] is False and empty["severity"] == "error"
    drift = details["drift"]
    assert drift["skipped_empty"] == ["b"]
    measured = {c["column"] for c in drift["columns"]}
    assert "b" not in measured and measured, drift


# -- bad input: one line, exit 2, nothing written ---------------------------------------------------


def _break(project: Path, case: str) -> list[str]:
    """Damage the tiny project for one bad-input case; return extra CLI args."""
    data = project / "data"
    if case == "missing file":
        return ["--data", "data/nope.csv"]
    if case == "garbage file":
        (data / "cur.csv").write_bytes(bytes(range(256)) * 40)
    elif case == "garbage parquet":
        (data / "cur.parquet").write_bytes(b"PAR1 this is not parquet")
        return ["--data", "data/cur.parquet"]
    elif case == "empty dataset":
        (data / "cur.csv").write_text("a,b,c,d\n")
    elif case == "column absent":
        (project / "s.yaml").write_text("a: [not_null]\nprice:\n  - between: {min: 0}\n")
        return ["--suite", "s.yaml"]
    elif case == "unknown expectation":
        (project / "s.yaml").write_text("a:\n  - expect_column_values_to_be_positive\n")
        return ["--suite", "s.yaml"]
    elif case == "suite syntax":
        (project / "s.yaml").write_text("a:\n  - not_null\n  - between: {min: 0, max: 1\n")
        return ["--suite", "s.yaml"]
    elif case == "different schemas":
        frame = pd.read_csv(data / "cur.csv").drop(columns=["b"]).assign(e=1, c=lambda f: f["d"])
        frame.to_csv(data / "cur.csv", index=False)
    elif case == "all-NaN reference column":
        pd.read_csv(data / "ref.csv").assign(b=np.nan).to_csv(data / "ref.csv", index=False)
    elif case == "mixed types":
        frame = pd.read_csv(data / "cur.csv").astype({"d": object})
        frame.loc[[3, 17], "d"] = "n/a?"
        frame.to_csv(data / "cur.csv", index=False)
    return []


BAD = {
    "missing file": r"current data file data/nope\.csv not found\. Check the path",
    "garbage file": r"current data file .*cur\.csv is not UTF-8 text \(byte \d+: .*\)\. Re-encode",
    "garbage parquet": r"current data file .*cur\.parquet (is not valid Parquet|cannot be parsed)",
    "empty dataset": r"current data file .*cur\.csv has no rows",
    "column absent": r"s\.yaml:3: column 'price' \(expect_column_values_to_be_between\) is not in the",
    "unknown expectation": r"s\.yaml:2: unknown expectation type 'expect_column_values_to_be_positive'",
    "suite syntax": r"s\.yaml:4: invalid YAML: .*Fix the syntax",
    "different schemas": r"reference data .*ref\.csv and current data have different schemas: "
    r"missing in current: b; only in current: e; type changed: c \(text → number\)",
    "all-NaN reference column": r"reference data: column b is entirely empty",
    "mixed types": r"current data: column 'd' mixes numbers and text \(e\.g\. 'n/a\?'; 2 text rows",
}


def _single_error_line(run: CliRun) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip() and not line.startswith(PROGRESS)]
    assert len(lines) == 1, run.stderr
    return lines[0]


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, case: str) -> None:
    project = _tiny_project(tmp_path / "p")
    args = _break(project, case)
    out = tmp_path / "artefacts"
    run = run_shipml("validate", *args, "--output-dir", str(out), "--result-file", "r.json", cwd=project)
    assert run.code == 2, run.output
    assert "Traceback" not in run.output
    line = _single_error_line(run)
    assert line.startswith("shipml validate: error: ")
    assert re.search(BAD[case], line), line
    assert not out.exists()
    assert _result(project / "r.json")["status"] == "error"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--fail-on", "sometimes"],
            "option --fail-on: validate.fail_on: Input should be 'error', 'warning' or 'never'",
        ),
        (
            ["--sample-rows", "5"],
            "option --sample-rows: validate.drift.sample_rows: Input should be greater than",
        ),
        (["--drift", "maybe"], "--drift: expected true or false, got 'maybe'"),
        (
            ["--drift", "true", "--config", "noref.yaml"],
            "--drift needs reference data. Pass --reference PATH",
        ),
        (["--no-drift", "--config", "noref.yaml"], "nothing to validate: no suites, no validate.schema"),
        (["--config", "missing.yaml"], "config file missing.yaml not found"),
    ],
)
def test_bad_flags_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    project = _tiny_project(tmp_path)
    (project / "noref.yaml").write_text("data:\n  current: data/cur.csv\n")
    run = run_shipml("validate", *args, cwd=project)
    assert run.code == 2, run.output
    assert message in _single_error_line(run)


def test_a_suite_with_nothing_to_check_warns(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path / "p", suite="columns: {}\n", schema="")
    run = run_shipml("validate", "--no-drift", "--result-file", "r.json", cwd=project)
    assert "has no expectations: nothing in it was checked" in run.stderr, run.output
