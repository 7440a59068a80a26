"""actions/validate-data used as users do (`shipml/shipml/actions/validate-data@v1`) under act."""

from __future__ import annotations

import csv
import io

from tests.conftest import EXAMPLE
from tests.support.act import UserRepo

COLLECT = {
    name: f"${{{{ steps.validate.outputs.{name} }}}}"
    for name in (
        "status",
        "result-file",
        "failed-expectations",
        "drifted-columns",
        "drift-share",
        "drift-report",
        "gx-result",
    )
} | {"outcome": "${{ steps.validate.outcome }}"}


def _user_repo_with_example(user_repo: UserRepo) -> None:
    for part in ("shipml.yaml", "data", "expectations"):
        user_repo.copy_in(EXAMPLE / part, part)


def test_good_data_passes_with_outputs_and_artefacts(user_repo: UserRepo) -> None:
    _user_repo_with_example(user_repo)
    user_repo.workflow(
        [
            {
                "id": "validate",
                "uses": "shipml/shipml/actions/validate-data@v1",
                "with": {"config": "shipml.yaml"},
            },
            {
                "name": "artefacts exist for upload",
                "env": {"HTML": "${{ steps.validate.outputs.drift-report }}"},
                "run": 'test -s "$HTML" && cp "$HTML" "$SHIPML_TEST_OUT/drift.html"',
            },
        ],
        collect=COLLECT,
    )
    run = user_repo.run()
    assert run.returncode == 0, run.log[-6000:]
    out = run.outputs
    assert out["status"] == "passed" and out["outcome"] == "success"
    assert out["failed-expectations"] == "2"  # two warning-severity expectations, by design of the example
    assert out["drifted-columns"] == "monthly_charges" and out["drift-share"] == "0.1000"
    assert out["gx-result"].endswith("/shipml/validate/gx_result.json")
    assert (run.out_dir / "drift.html").stat().st_size > 100_000
    result = run.result("validate")
    assert result["details"]["counts"]["failed_error"] == 0
    assert "### shipml validate: ✅ passed with warnings" in run.summary
    assert "| `monthly_charges` | num | wasserstein |" in run.summary
    assert "::warning file=expectations/churn.yaml,line=25" in run.log


def test_bad_data_fails_the_job_with_annotations(user_repo: UserRepo) -> None:
    _user_repo_with_example(user_repo)
    rows = list(csv.reader((EXAMPLE / "data" / "new.csv").read_text().splitlines()))
    header = rows[0]
    contract_col, charges_col = header.index("contract"), header.index("monthly_charges")
    for row in rows[1:31]:
        row[contract_col] = "lifetime"  # not an allowed category
    rows[40][charges_col] = "-5.0"  # below the schema contract's min: 0
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    user_repo.write("data/bad.csv", buffer.getvalue())
    user_repo.workflow(
        [
            {
                "id": "validate",
                "uses": "shipml/shipml/actions/validate-data@v1",
                "with": {"data": "data/bad.csv", "drift": "false", "fail-on": "error"},
            }
        ],
        collect=COLLECT,
    )
    run = user_repo.run()
    assert run.returncode != 0
    out = run.outputs
    assert out["status"] == "failed" and out["outcome"] == "failure"
    assert out["drift-share"] == "" and out["drifted-columns"] == ""
    assert int(out["failed-expectations"]) >= 2
    result = run.result("validate")
    failed = {
        (e["expectation"], e["column"]): e["unexpected_count"]
        for e in result["details"]["expectations"]
        if not e["success"] and e["severity"] == "error"
    }
    assert failed[("expect_column_values_to_be_in_set", "contract")] == 30
    assert failed[("expect_column_values_to_be_between", "monthly_charges")] == 1
    assert "::error file=expectations/churn.yaml,line=32" in run.log  # contract in_set line in the suite
    assert "::error file=shipml.yaml," in run.log  # the schema contract's line in shipml.yaml
    assert "exit status 1" in run.log
    assert "Traceback" not in run.log
