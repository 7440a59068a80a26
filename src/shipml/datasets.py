"""Reading the user's tables: CSV, Parquet, or a directory of Parquet files.

Validate, train and gate all read data through here, so a missing file, a
garbage file or an empty table is reported the same way everywhere (one line,
exit 2) and hashing for lineage reads each file once, in chunks.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputDataError, first_line, require

if TYPE_CHECKING:
    import pandas as pd

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] == ".gz":
        return "".join(suffixes[-2:])
    return suffixes[-1] if suffixes else ""


def data_files(path: Path) -> list[Path]:
    """The files that make up a dataset path, in a stable order."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _suffix(p) in PARQUET_SUFFIXES)
        if not files:
            raise InputDataError(
                f"directory {path} has no .parquet files",
                hint="point at a CSV/Parquet file or a Parquet directory",
            )
        return files
    return [path]


def _csv_header(source: Path, sep: str) -> list[str]:
    opener = gzip.open if source.suffix.lower() == ".gz" else open
    with opener(source, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        first = fh.readline()
    return next(csv.reader(io.StringIO(first), delimiter=sep), [])


def _parquet_header(source: Path) -> list[str]:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    files = data_files(source)
    return list(pq.read_schema(files[0]).names)


def _refuse_duplicate_headers(names: list[str], role: str, source: Path) -> None:
    """pandas renames a second ``amount`` to ``amount.1``: a check on ``amount`` would miss it."""
    seen: set[str] = set()
    dupes = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if dupes:
        listed = ", ".join(f"'{d}'" for d in dict.fromkeys(dupes))
        raise InputDataError(
            f"{role} file {source} has duplicate column names: {listed}",
            hint="rename or drop the repeated columns so each name appears once",
        )


def read_table(
    path: str | os.PathLike[str], *, role: str = "data", columns: list[str] | None = None
) -> pd.DataFrame:
    """Load a table, failing with one actionable line on anything unusable.

    ``role`` names the dataset in messages ("reference data", "evaluation set"),
    because "file not found" alone does not tell a user which setting to fix.
    """
    import pandas as pd

    source = Path(path)
    if not source.exists():
        raise InputDataError(
            f"{role} file {source} not found", hint="check the path in shipml.yaml or the flag"
        )
    suffix = "" if source.is_dir() else _suffix(source)
    try:
        if source.is_dir() or suffix in PARQUET_SUFFIXES:
            require("pyarrow", "validate")  # the only Parquet engine we support
            _refuse_duplicate_headers(_parquet_header(source), role, source)
            frame = pd.read_parquet(source, columns=columns)
        elif suffix in CSV_SUFFIXES:
            sep = "\t" if suffix.startswith(".tsv") else ","
            _refuse_duplicate_headers(_csv_header(source, sep), role, source)
            frame = pd.read_csv(source, sep=sep, usecols=columns, low_memory=False)
        else:
            raise InputDataError(
                f"{role} file {source} has an unsupported type '{suffix or '(none)'}'",
                hint="use .csv, .tsv, .parquet or a directory of .parquet files",
            )
    except InputDataError:
        raise
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"{role} file {source} is not UTF-8 text (byte {exc.start}: {exc.reason})",
            hint=f"re-encode it as UTF-8, e.g. iconv -f latin1 -t utf-8 {source.name} > utf8-{source.name}",
        ) from None
    except pd.errors.EmptyDataError as exc:
        raise InputDataError(f"{role} file {source} is empty ({exc})", hint="regenerate the file") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        first = first_line(exc)
        raise InputDataError(
            f"{role} file {source} cannot be parsed: {first}", hint="check it is valid CSV/Parquet"
        ) from None
    except Exception as exc:  # pyarrow raises its own hierarchy for corrupt files
        if type(exc).__module__.startswith("pyarrow"):
            raise InputDataError(
                f"{role} file {source} is not valid Parquet: {first_line(exc)}",
                hint="check it is valid Parquet",
            ) from None
        raise
    if frame.empty:
        raise InputDataError(f"{role} file {source} has no rows", hint="point at a non-empty dataset")
    return frame


def python_value(value: object) -> object:
    """numpy scalars as Python values, so messages say ``0``, not ``np.int64(0)``."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Content hash of a file or a Parquet directory (lineage: what exactly was trained on)."""
    digest = hashlib.sha256()
    root = Path(path)
    for file in data_files(root):
        if root.is_dir():
            digest.update(str(file.relative_to(root)).encode())
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
