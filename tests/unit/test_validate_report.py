"""The markdown a reviewer reads, the status rules, and the contract's line numbers."""

from __future__ import annotations

from pathlib import Path

from shipml.config import load_config
from shipml.contracts.validate import Counts, DriftColumn, DriftSummary, ExpectationOutcome, ValidateDetails
from shipml.report.sections import validate as report
from shipml.results import Result
from shipml.validate.pipeline import decide
from shipml.validate.schema_suite import contract_suite


def _outcome(
    expectation: str, severity: str, count: int | None, line: int, **kw: object
) -> ExpectationOutcome:
    return ExpectationOutcome(
        suite="s",
        expectation=expectation,
        column=str(kw.get("column", "c")),
        kwargs={"column": "c", **dict(kw.get("kwargs", {}))},  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        success=bool(kw.get("success", False)),
        unexpected_count=count,
        unexpected_percent=None if count is None else count / 10,
        examples=list(kw.get("examples", [])),  # type: ignore[call-overload]
        observed_value=kw.get("observed"),
        file="s.yaml",
        line=line,
    )


def _drift(*cols: tuple[str, float, float, float | None, bool], share_threshold: float = 0.5) -> DriftSummary:
    columns = [
        DriftColumn(
            column=name,
            kind="num",
            method="ks" if p is not None else "wasserstein",
            statistic=stat,
            threshold=thr,
            p_value=p,
            p_adjusted=p,
            drifted=drifted,
        )
        for name, stat, thr, p, drifted in cols
    ]
    share = sum(c.drifted for c in columns) / len(columns)
    return DriftSummary(
        share=share,
        dataset_drift=share >= share_threshold,
        share_threshold=share_threshold,
        reference_rows=100,
        current_rows=100,
        seed=0,
        correction="holm",
        columns=columns,
    )


def _details(
    outcomes: list[ExpectationOutcome], drift: DriftSummary | None, fail_on: str = "error"
) -> ValidateDetails:
    return ValidateDetails(
        data=["new.csv"],
        reference="ref.csv",
        rows=100,
        expectations=outcomes,
        counts=Counts(
            evaluated=len(outcomes),
            failed_error=sum(1 for o in outcomes if not o.success and o.severity == "error"),
            failed_warning=sum(1 for o in outcomes if not o.success and o.severity == "warning"),
        ),
        drift=drift,
        fail_on=fail_on,  # type: ignore[arg-type]
    )


def _render(status: str, details: ValidateDetails) -> str:
    result = Result(
        command="validate",
        status=status,
        details=details.model_dump(mode="json"),
        started_at="",
        duration_s=0.0,
    )
    return report.render(result)


def test_markdown_puts_errors_first_then_biggest_counts_and_sorts_drift_by_severity() -> None:
    outcomes = [
        _outcome(
            "expect_column_values_to_be_between", "warning", 90, 4, kwargs={"min_value": 0}, examples=[-1, -2]
        ),
        _outcome("expect_column_values_to_not_be_null", "error", 3, 2, examples=[None]),
        _outcome("expect_column_values_to_be_in_set", "error", 40, 3, column="plan", examples=["gold"]),
        _outcome("expect_column_mean_to_be_between", "warning", None, 5, observed=12.345678),
        _outcome("expect_column_values_to_be_unique", "error", 0, 6, success=True),
    ]
    drift = _drift(("a", 0.5, 0.1, None, True), ("b", 1e-9, 0.05, 1e-9, True), ("c", 0.01, 0.1, None, False))
    md = _render("failed", _details(outcomes, drift))
    table = md.split("#### Data validation", 1)[1].split("#### Drift", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith(("| ❌", "| ⚠️"))]
    assert [r.split("|")[6].strip() for r in rows] == ["`s.yaml:3`", "`s.yaml:2`", "`s.yaml:4`", "`s.yaml:5`"]
    assert "| 40 (4.00%) | `gold` |" in rows[0]
    assert "observed 12.35" in rows[3]
    assert "values_to_be_between(min_value=0)" in rows[2]
    drift_part = md.split("#### Drift", 1)[1].split("<details>", 1)[0]
    drift_rows = [line.split("|")[1].strip() for line in drift_part.splitlines() if "| num |" in line]
    assert drift_rows == ["`b`", "`a`"]  # p=1e-9 at 0.05 is further past its threshold than 0.5 vs 0.1
    folded = md.split("<summary>All 3 columns</summary>", 1)[1]
    assert [line.split("|")[1].strip() for line in folded.splitlines() if "| num |" in line] == [
        "`b`",
        "`a`",
        "`c`",
    ]
    assert [c.column for c in report.drift_rows(_details(outcomes, drift).drift)] == ["b", "a", "c"]  # type: ignore[arg-type]
    assert md.startswith("### shipml validate: ❌ failed")
    assert "2 of 3 columns drifted (share 67% ≥ 50%: **dataset drift**)" in md and "holm-adjusted" in md
    assert "Data: `new.csv` (100 rows)." in md and "4 of 5 expectations failed: 2 errors, 2 warnings." in md


def test_statistic_and_threshold_never_read_the_same_when_they_differ() -> None:
    drift = _drift(("a", 0.10004, 0.1, None, True), ("b", 0.05, 0.05, None, False))
    md = _render("passed", _details([], drift))
    assert "| `a` | num | wasserstein | 0.10004 | 0.10000 |" in md
    assert "| `b` | num | wasserstein | 0.0500 | 0.0500 |" in md  # equal values stay short
    assert md.startswith("### shipml validate: ✅ passed with warnings")


def test_long_failure_lists_show_a_few_and_fold_the_rest() -> None:
    outcomes = [_outcome("expect_column_values_to_not_be_null", "error", i + 1, i + 1) for i in range(40)]
    md = _render("failed", _details(outcomes, None))
    inline, folded = md.split("<details><summary>All 40 failed expectations</summary>", 1)
    assert inline.count("| ❌ error |") == report.INLINE_ROWS
    assert folded.count("| ❌ error |") == 40
    assert "| `s.yaml:40` |" in inline  # the biggest count first
    lines = report.text(_details(outcomes, None))
    assert len([line for line in lines if "✗ error" in line]) == report.TERMINAL_ROWS


def test_status_follows_fail_on() -> None:
    warn = [_outcome("expect_column_values_to_not_be_null", "warning", 1, 1)]
    err = [_outcome("expect_column_values_to_not_be_null", "error", 1, 1)]
    one_drifted = _drift(
        ("a", 0.5, 0.1, None, True), ("b", 0.0, 0.1, None, False), ("c", 0.0, 0.1, None, False)
    )
    all_drifted = _drift(("a", 0.5, 0.1, None, True), ("b", 0.5, 0.1, None, True))
    assert decide(_details(warn, one_drifted))[0] == "passed"
    assert decide(_details(err, None))[0] == "failed"
    assert decide(_details(err, None, "never"))[0] == "passed"
    assert decide(_details(warn, None, "warning")) == ("failed", ["1 warning expectation failed"])
    assert decide(_details([], one_drifted, "warning")) == ("failed", ["1 drifted column"])
    assert decide(_details([], all_drifted)) == ("failed", ["dataset drift (share 1.00 ≥ 0.50)"])


def test_contract_expectations_point_at_their_shipml_yaml_lines(tmp_path: Path) -> None:
    config = tmp_path / "shipml.yaml"
    config.write_text(
        "validate:\n"  # 1
        "  schema:\n"  # 2
        "    age:\n"  # 3
        "      dtype: int\n"  # 4
        "      nullable: false\n"  # 5
        "      min: 0\n"  # 6
        "    plan: {allowed: [a, b], severity: warning}\n"  # 7
        "    extra: {required: false, nullable: false}\n"  # 8
    )
    cfg = load_config(config)
    suite = contract_suite(cfg, present={"age", "plan"})
    assert suite is not None
    got = [(s.type, s.kwargs.get("column"), s.severity, s.line) for s in suite.expectations]
    assert got == [
        ("expect_column_to_exist", "age", "error", 3),
        ("expect_column_values_to_be_in_type_list", "age", "error", 4),
        ("expect_column_values_to_not_be_null", "age", "error", 5),
        ("expect_column_values_to_be_between", "age", "error", 6),
        ("expect_column_to_exist", "plan", "warning", 7),
        ("expect_column_values_to_be_in_set", "plan", "warning", 7),
    ]  # `extra` is optional and absent: nothing to check
