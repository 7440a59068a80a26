"""Suite files: both formats, the line of every expectation, and each syntax error's line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipml.errors import InputDataError
from shipml.validate.suites import load_suite


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_compact_yaml_structured_form_expands_aliases_with_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "s.yaml",
        "name: churn\n"  # 1
        "table:\n"  # 2
        "  - row_count_between: {min: 10}\n"  # 3
        "columns:\n"  # 4
        "  age:\n"  # 5
        "    - not_null\n"  # 6
        "    - between: {min: 0, max: 120, severity: warning}\n"  # 7
        "    - {mean_between: [20, 60], mostly: 0.9}\n"  # 8
        "  plan:\n"  # 9
        "    - in_set: [basic, pro]\n"  # 10
        "    - expect_column_values_to_match_regex: {regex: '^[a-z]+$'}\n",  # 11
    )
    suite = load_suite(path)
    assert suite.name == "churn"
    got = [(s.type, s.kwargs, s.severity, s.line) for s in suite.expectations]
    assert got == [
        ("expect_table_row_count_to_be_between", {"min_value": 10}, "error", 3),
        ("expect_column_values_to_not_be_null", {"column": "age"}, "error", 6),
        (
            "expect_column_values_to_be_between",
            {"column": "age", "min_value": 0, "max_value": 120},
            "warning",
            7,
        ),
        (
            "expect_column_mean_to_be_between",
            {"column": "age", "min_value": 20, "max_value": 60, "mostly": 0.9},
            "error",
            8,
        ),
        ("expect_column_values_to_be_in_set", {"column": "plan", "value_set": ["basic", "pro"]}, "error", 10),
        ("expect_column_values_to_match_regex", {"column": "plan", "regex": "^[a-z]+$"}, "error", 11),
    ]
    assert all(s.file and s.file.endswith("s.yaml") for s in suite.expectations)


def test_compact_yaml_flat_form_uses_file_stem_as_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.yml", "amount: [not_null, {between: [0, 10]}]\nstatus:\n  - unique\n")
    suite = load_suite(path)
    assert suite.name == "orders"
    assert [(s.type, s.column, s.line) for s in suite.expectations] == [
        ("expect_column_values_to_not_be_null", "amount", 1),
        ("expect_column_values_to_be_between", "amount", 1),
        ("expect_column_values_to_be_unique", "status", 3),
    ]


def test_gx_json_suite_keeps_severity_and_element_lines(tmp_path: Path) -> None:
    doc = {
        "name": "gx-suite",
        "id": "abc",
        "meta": {"great_expectations_version": "1.24.1"},
        "expectations": [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "a"},
                "severity": "critical",
            },
            {
                "type": "expect_column_max_to_be_between",
                "kwargs": {"column": "a", "max_value": 3},
                "meta": {"severity": "warning"},
            },
            {
                "expectation_type": "expect_column_values_to_be_unique",
                "kwargs": {"column": "b", "batch_id": "x"},
                "severity": "warning",
            },
        ],
    }
    text = json.dumps(doc, indent=2)
    suite = load_suite(_write(tmp_path, "gx.json", text))
    assert suite.name == "gx-suite"
    assert [(s.type, s.severity) for s in suite.expectations] == [
        ("expect_column_values_to_not_be_null", "error"),
        ("expect_column_max_to_be_between", "warning"),
        ("expect_column_values_to_be_unique", "warning"),
    ]
    assert suite.expectations[2].kwargs == {"column": "b"}  # batch_id is GX-internal
    lines = text.splitlines()
    for spec in suite.expectations:
        assert spec.line is not None
        # the line of the element's opening brace, and its type follows right after
        assert lines[spec.line - 1].strip() == "{"
        assert spec.type in lines[spec.line]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.yaml", "a:\n  - not_null\n  - between: {min: 0\nb: [x]\n", "bad.yaml:4: invalid YAML"),
        ("bad.json", '{"expectations": [\n  {"type": "x",}\n]}', "bad.json:2: invalid JSON"),
        (
            "typo.yaml",
            "a:\n  - not_nul\n",
            "typo.yaml:2: unknown expectation 'not_nul'. The closest known name is 'not_null'.",
        ),
        (
            "dup.yaml",
            "a: [not_null]\nb: [unique]\na: [unique]\n",
            "dup.yaml:3: 'a' appears twice (first at line 1)",
        ),
        ("shape.yaml", "a:\n  between: {min: 1}\n", "shape.yaml:2: column 'a' must hold a list"),
        ("two.yaml", "a:\n  - {not_null: null, unique: null}\n", "two.yaml:2: an item must name exactly one"),
        ("sev.yaml", "a:\n  - {not_null: null, severity: fatal}\n", "sev.yaml:2: unknown severity 'fatal'"),
        (
            "table.yaml",
            "a:\n  - row_count_between: {min: 1}\n",
            "table.yaml:2: 'row_count_between' belongs under",
        ),
        ("nolist.json", '{"name": "x"}', "nolist.json:1: not a GX expectation suite"),
        ("empty.yaml", "", "empty.yaml:1: the suite is empty"),
        ("suite.txt", "a: [not_null]", "unsupported type '.txt'"),
    ],
)
def test_suite_errors_name_the_line(tmp_path: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(InputDataError) as info:
        load_suite(_write(tmp_path, name, text))
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"suite file .*nope.yaml not found"):
        load_suite(tmp_path / "nope.yaml")
