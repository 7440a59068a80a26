"""Where ``validate.engine: spark`` runs and what it reads (``spark:`` in shipml.yaml).

Only the verdict comes back from the cluster, so the data is named where Spark can
read it (a lake URI, an HDFS path, a directory of Parquet files, a table) rather than
copied to the runner. Credentials never belong in this file: a ``conf`` value written
``env:NAME`` is read from the environment when the session starts and masked in logs.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Section

_MASTER = re.compile(r"^(local(\[(\*|\d+)(,\d+)?\])?|spark://\S+|k8s://\S+|yarn|mesos://\S+)$")


class SparkSource(Section):
    """One dataset as Spark reads it: files/directories/URIs, or a catalog table."""

    paths: list[str] = Field(
        default_factory=list,
        description="Parquet/CSV files or directories, or any Hadoop-compatible URI (s3a://, abfss://, "
        "hdfs://, file://); relative local paths are relative to shipml.yaml. Several paths are read "
        "as one table.",
    )
    table: str | None = Field(
        default=None, description="A table in Spark's catalog (e.g. `lake.sales.daily`) instead of paths."
    )
    format: Literal["auto", "parquet", "csv"] = Field(
        default="auto",
        description="File format; auto: from the extension (.csv/.csv.gz is CSV, anything else Parquet).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> SparkSource:
        if self.paths and self.table:
            raise ValueError("give either paths or table, not both")
        return self

    @property
    def given(self) -> bool:
        return bool(self.paths or self.table)


class SparkSection(Section):
    master: str = Field(
        default="local[*]",
        description="Spark master: local[N], spark://host:7077 (standalone), k8s://https://host:443 or yarn.",
    )
    app_name: str = Field(default="shipml-validate", description="Application name shown by the cluster.")
    conf: dict[str, str] = Field(
        default_factory=dict,
        description="Extra Spark conf (e.g. spark.executor.memory). A value `env:NAME` is read from the "
        "environment variable NAME and masked; put credentials there, never in this file.",
    )
    current: SparkSource = Field(
        default_factory=SparkSource,
        description="Data to validate on Spark. Default: --data / data.current.",
    )
    reference: SparkSource = Field(
        default_factory=SparkSource,
        description="Reference data on Spark. Default: --reference / data.reference.",
    )
    bins: int = Field(
        default=100,
        ge=10,
        le=1000,
        description="Quantile bins of each dataset for Wasserstein on Spark; more bins, smaller binning "
        "error (its bound is computed per column from the same aggregates, see docs/spark.md).",
    )
    sample_rows: int = Field(
        default=100_000,
        ge=1000,
        description="Largest deterministic per-column sample brought to the driver for K-S p-values "
        "(only for columns whose method is ks); smaller data is compared whole.",
    )
    executor_lost_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a job may wait with no executor left before it is cancelled (exit 3).",
    )

    @field_validator("master")
    @classmethod
    def _master_ok(cls, value: str) -> str:
        if not _MASTER.match(value.strip()):
            raise ValueError(
                f"{value!r} is not a Spark master (local[*], local[N], spark://host:port, k8s://..., yarn)"
            )
        return value.strip()
