"""Reading a dataset where it lives: files, directories, lake URIs or a catalog table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..config.spark import SparkSource

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from .session import Session

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".tsv")


def file_format(paths: Sequence[str], declared: str) -> str:
    if declared != "auto":
        return declared
    return "csv" if all(p.lower().endswith(CSV_SUFFIXES) for p in paths) else "parquet"


def read(session: Session, source: SparkSource, role: str) -> DataFrame:
    """A lazy DataFrame; a missing path or table is reported (exit 2) here, before any check runs."""
    spark = session.spark
    if source.table:
        with session.calling(f"reading {role} table {source.table}"):
            return spark.table(source.table)
    paths = list(source.paths)
    shown = ", ".join(paths)
    with session.calling(f"reading {role} {shown}"):
        if file_format(paths, source.format) == "csv":
            # header + inferred types, like pandas.read_csv: the same file gives the same families
            sep = "\t" if all(p.lower().endswith(".tsv") for p in paths) else ","
            return spark.read.options(header=True, inferSchema=True, sep=sep).csv(paths)
        return spark.read.parquet(*paths)
