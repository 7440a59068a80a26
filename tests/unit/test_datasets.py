"""Tables every command reads: refused with one line when a check on them could be fooled."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shipml.datasets import read_table
from shipml.errors import InputDataError
from tests.conftest import run_shipml


def test_duplicate_csv_header_is_refused_naming_the_column(tmp_path: Path) -> None:
    # pandas would rename the second column to amount.1 and a not-null check on amount would pass.
    path = tmp_path / "data.csv"
    path.write_text("amount,amount,age\n1,,3\n2,4,5\n")
    with pytest.raises(InputDataError, match="duplicate column names: 'amount'"):
        read_table(path, role="current data")


def test_duplicate_parquet_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table([[1], [2], [3]], names=["a", "b", "a"]), path)
    with pytest.raises(InputDataError, match="duplicate column names: 'a'"):
        read_table(path)


def test_non_utf8_file_says_how_to_reencode(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name,x\ncaf\xe9,1\n".encode("latin1"))
    with pytest.raises(InputDataError, match=r"not UTF-8 text.*iconv -f latin1 -t utf-8 latin\.csv"):
        read_table(path)


def test_validate_cli_refuses_duplicate_headers_with_exit_2(tmp_path: Path, example_project: Path) -> None:
    data = example_project / "data" / "new.csv"
    lines = data.read_text().splitlines()
    first = lines[0].split(",")[0]
    lines[0] = f"{lines[0]},{first}"
    lines[1:] = [f"{row}," for row in lines[1:]]
    data.write_text("\n".join(lines) + "\n")
    run = run_shipml("validate", cwd=example_project)
    assert run.code == 2, run.output
    assert f"duplicate column names: '{first}'" in run.stderr
    assert "Traceback" not in run.output
