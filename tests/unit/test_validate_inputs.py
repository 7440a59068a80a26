"""Data problems refused before validation: empty columns, mixed types, schema drift, unknown columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shipml.errors import InputDataError
from shipml.validate.inputs import check_frame, check_suite_columns, read_data, schema_differences
from shipml.validate.suites import ExpectationSpec


def test_all_empty_column_is_refused_unless_ignored() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [np.nan] * 3, "c": [None] * 3})
    with pytest.raises(InputDataError, match=r"current data: columns b, c are entirely empty"):
        check_frame(frame, "current data")
    check_frame(frame, "current data", skip=["b", "c"])


def test_all_empty_columns_are_returned_when_allowed() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [np.nan] * 3, "c": [None] * 3})
    assert check_frame(frame, "current data", allow_empty=True) == ["b", "c"]
    assert check_frame(frame, "current data", skip=["b", "c"], allow_empty=True) == []


def test_numbers_mixed_with_text_are_refused_with_an_example() -> None:
    frame = pd.DataFrame(
        {"amount": ["1.5", "2", "abc", "3", "4", "abc"], "city": ["x", "y", "1", "z", "x", "y"]}
    )
    with pytest.raises(InputDataError) as info:
        check_frame(frame, "current data")
    assert str(info.value).startswith(
        "current data: column 'amount' mixes numbers and text (e.g. 'abc'; 2 text rows"
    )
    check_frame(frame, "current data", text_ok=["amount"])  # declared text in the contract: fine


def test_python_objects_of_several_types_are_refused() -> None:
    frame = pd.DataFrame({"v": [1, "a", 2.5, None]})
    with pytest.raises(InputDataError, match=r"column 'v' mixes value types \(float, int, str\)"):
        check_frame(frame, "reference data")


def test_schema_differences_list_missing_extra_and_changed_columns() -> None:
    ref = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [1.0, 2.0], "id": [1, 2]})
    cur = pd.DataFrame({"a": [1.5, 2.5], "b": [1, 2], "d": [True, False], "id": ["q", "r"]})
    assert schema_differences(ref, cur, ignore=["id"]) == [
        "missing in current: c",
        "only in current: d",
        "type changed: b (text → number)",
    ]
    assert schema_differences(ref, ref, ignore=[]) == []
    # the label may be missing from scoring data; it is still compared when both have it
    scoring = ref.drop(columns=["a"])
    assert schema_differences(ref, scoring, ignore=[], optional=["a"]) == []
    assert schema_differences(ref, cur, ignore=["id", "c", "d"], optional=["b"]) == [
        "type changed: b (text → number)"
    ]


def test_suite_column_absent_from_data_names_the_suite_line() -> None:
    specs = [
        ExpectationSpec("expect_column_to_exist", {"column": "gone"}, "error", "s", "s.yaml", 2),
        ExpectationSpec("expect_column_values_to_not_be_null", {"column": "a"}, "error", "s", "s.yaml", 3),
        ExpectationSpec("expect_column_values_to_be_unique", {"column": "zz"}, "error", "s", "s.yaml", 7),
    ]
    with pytest.raises(InputDataError) as info:
        check_suite_columns(specs, ["a", "b"], "current data")
    message = str(info.value)
    assert message.startswith(
        "s.yaml:7: column 'zz' (expect_column_values_to_be_unique) is not in the current data"
    )
    assert "the current data has a, b" in message


def test_several_files_are_one_table_only_with_one_schema(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("x,y\n3,4\n5,6\n")
    (tmp_path / "c.csv").write_text("x,z\n1,2\n")
    assert len(read_data([tmp_path / "a.csv", tmp_path / "b.csv"], "current data")) == 3
    with pytest.raises(
        InputDataError, match=r"c\.csv does not have the columns of .*a\.csv \(missing y; extra z\)"
    ):
        read_data([tmp_path / "a.csv", tmp_path / "c.csv"], "current data")
