"""validate.engine: spark on real Spark (local[2] and a standalone cluster), real GX, real Evidently.

Equivalence: the same data through the pandas path (Evidently) and the Spark path gives the
same per-column verdicts and expectation results; exact measures agree to float precision,
Wasserstein within its stated binning bound. Bad input goes through the CLI (exit code +
one line). Nothing here skips: without Java or pyspark these tests fail.
"""

from __future__ import annotations

import json
import resource
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shipml.config.spark import SparkSection
from shipml.config.validate import DriftSection
from shipml.validate import drift, spark_drift
from tests.conftest import EXAMPLE, run_shipml
from tests.support.spark_cluster import Cluster

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local_session() -> Iterator[object]:
    from shipml.spark_api.session import Session

    session = Session(SparkSection(master="local[2]"))
    try:
        yield session
    finally:
        session.stop()


def _known_drift(seed: int, rows: tuple[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(n: int, shifted: bool) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "same_num": rng.normal(10, 2, n),
                "moved_num": rng.gamma(2.0, 3.0, n) + (2.5 if shifted else 0.0),
                "small_int": rng.integers(0, 6, n),
                "same_cat": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                "moved_cat": rng.choice(
                    ["x", "y", "z"], n, p=[0.2, 0.3, 0.5] if shifted else [0.5, 0.3, 0.2]
                ),
                "flag": rng.choice([0, 1], n, p=[0.5, 0.5] if shifted else [0.8, 0.2]),
            }
        )

    ref, cur = frame(rows[0], False), frame(rows[1], True)
    cur.loc[cur.sample(frac=0.05, random_state=seed).index, "same_num"] = np.nan  # nulls are dropped by both
    return ref, cur


@pytest.mark.parametrize(
    ("method", "rows"),
    [("auto", (6000, 4000)), ("auto", (800, 600)), ("psi", (5000, 3000)), ("jensenshannon", (5000, 3000))],
)
def test_drift_verdicts_equal_pandas_path(local_session, tmp_path: Path, method: str, rows) -> None:  # type: ignore[no-untyped-def]
    ref, cur = _known_drift(7, rows)
    section = DriftSection(method=method)  # type: ignore[arg-type]
    expected = drift.run(ref, cur, section, target=None, ignore=[]).summary
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_parquet(tmp_path / "cur.parquet")
    spark = local_session.spark  # type: ignore[attr-defined]
    prepared = spark_drift.prepare(
        local_session,  # type: ignore[arg-type]
        spark.read.parquet(str(tmp_path / "ref.parquet")),
        spark.read.parquet(str(tmp_path / "cur.parquet")),
        section,
        target=None,
        ignore=[],
    )
    got = spark_drift.measure(local_session, prepared, section, SparkSection(master="local[2]"))  # type: ignore[arg-type]
    by_name = {c.column: c for c in got.summary.columns}
    assert [c.column for c in expected.columns] == list(by_name)
    for want in expected.columns:
        have = by_name[want.column]
        assert (have.kind, have.method, have.drifted) == (want.kind, want.method, want.drifted), want.column
        assert want.statistic is not None and have.statistic is not None
        if want.method == "wasserstein" and got.bound.get(want.column):
            assert abs(have.statistic - want.statistic) <= got.bound[want.column] + 1e-9, want.column
        else:  # exact on aggregates (same bins, same counts), K-S on the whole data below the sample cap
            assert have.statistic == pytest.approx(want.statistic, rel=1e-6, abs=1e-12), want.column
        assert have.p_adjusted == pytest.approx(want.p_adjusted) if want.p_adjusted is not None else True
    assert {c.column for c in expected.drifted} >= {"moved_num", "moved_cat"}  # the drift is really there
    assert got.summary.dataset_drift == expected.dataset_drift


def _spark_project(tmp_path: Path, master: str = "local[2]", extra: str = "") -> Path:
    project = tmp_path / "churn"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".shipml", "__pycache__"))
    config = project / "shipml.yaml"
    text = config.read_text().replace("  fail_on: error\n", "  fail_on: error\n  engine: spark\n", 1)
    config.write_text(text + f"\nspark:\n  master: {master}\n{extra}")
    return project


def test_example_gives_the_pandas_verdicts(tmp_path: Path) -> None:
    pandas_run = run_shipml("validate", "--result-file", str(tmp_path / "p.json"), cwd=EXAMPLE)
    project = _spark_project(tmp_path)
    spark_run = run_shipml("validate", "--result-file", str(tmp_path / "s.json"), cwd=project)
    assert (pandas_run.code, spark_run.code) == (0, 0), spark_run.output[-2000:]
    want = json.loads((tmp_path / "p.json").read_text())["details"]
    have = json.loads((tmp_path / "s.json").read_text())["details"]
    assert [(e["expectation"], e["column"], e["success"], e["line"]) for e in want["expectations"]] == [
        (e["expectation"], e["column"], e["success"], e["line"]) for e in have["expectations"]
    ]
    for a, b in zip(want["expectations"], have["expectations"], strict=True):
        if a["unexpected_count"] is not None and b["unexpected_count"] is not None:
            assert a["unexpected_count"] == b["unexpected_count"], a
    assert [(c["column"], c["method"], c["drifted"]) for c in want["drift"]["columns"]] == [
        (c["column"], c["method"], c["drifted"]) for c in have["drift"]["columns"]
    ]
    assert "::error" not in spark_run.stdout and "warning" in spark_run.output  # the same annotations


# -- bad input: exit code and one line ------------------------------------------------------------


def _one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("shipml validate: error:")]
    assert len(lines) == 1 and "Traceback" not in output, output[-3000:]
    return lines[0]


def test_java_missing_is_exit_3_with_how_to_install(tmp_path: Path) -> None:
    result = run_shipml("validate", cwd=_spark_project(tmp_path), env={"JAVA_HOME": str(tmp_path / "nojava")})
    assert result.code == 3
    assert "Java" in _one_line_error(result.output) and "openjdk-17" in result.output


def test_master_unreachable_is_exit_3(tmp_path: Path) -> None:
    from tests.support.services import free_port

    result = run_shipml("validate", cwd=_spark_project(tmp_path, master=f"spark://127.0.0.1:{free_port()}"))
    assert result.code == 3
    assert "unreachable" in _one_line_error(result.output)


def test_unsupported_expectation_is_exit_2_naming_it(tmp_path: Path) -> None:
    project = _spark_project(tmp_path)
    suite = project / "expectations" / "churn.yaml"
    suite.write_text(
        suite.read_text().replace(
            "    - regex: '^C[0-9]{6}$'",
            "    - regex: '^C[0-9]{6}$'\n"
            "    - expect_column_values_to_match_like_pattern: {like_pattern: 'C%'}",
        )
    )
    result = run_shipml("validate", cwd=project)
    assert result.code == 2
    line = _one_line_error(result.output)
    assert "expect_column_values_to_match_like_pattern" in line and "Spark backend" in line


def test_path_not_found_is_exit_2_naming_it(tmp_path: Path) -> None:
    project = _spark_project(tmp_path)
    result = run_shipml("validate", "--data", str(tmp_path / "missing.parquet"), cwd=project)
    assert result.code == 2
    assert "missing.parquet" in _one_line_error(result.output)


def test_schema_mismatch_is_exit_2_listing_columns(tmp_path: Path) -> None:
    project = _spark_project(tmp_path)
    frame = pd.read_csv(project / "data" / "new.csv").drop(columns=["region", "senior"])
    frame.to_csv(project / "data" / "new.csv", index=False)
    result = run_shipml("validate", cwd=project)
    assert result.code == 2
    line = _one_line_error(result.output)
    assert "region" in line and "senior" in line and "different schemas" in line


# -- the real standalone cluster ------------------------------------------------------------------


def _big_parquet(directory: Path, rows: int, columns: int) -> Path:
    """Random doubles written by Spark itself (the test process never holds the rows)."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        frame = spark.range(rows).select(
            *[(F.randn(seed=i) * (i + 1)).alias(f"c{i}") for i in range(columns)]
        )
        frame.write.mode("overwrite").parquet(str(directory))
    finally:
        spark.stop()
    return directory


def _cluster_project(tmp_path: Path, cluster: Cluster, data: Path, extra: str = "") -> Path:
    project = tmp_path / "big"
    project.mkdir()
    (project / "suite.yaml").write_text(
        "name: big\ncolumns:\n  c0: [not_null]\n  c1: [{between: [-1000, 1000]}]\n"
    )
    (project / "shipml.yaml").write_text(
        "project: big\n"
        f"data: {{current: {data}, reference: {data}}}\n"
        "validate:\n  engine: spark\n  suites: [suite.yaml]\n"
        f"spark:\n  master: {cluster.master_url}\n  executor_lost_timeout: 10\n"
        "  conf:\n    spark.driver.memory: 512m\n    spark.executor.memory: 900m\n" + extra
    )
    return project


@pytest.mark.timeout(2400)  # 1.6 GB through a 1-core worker: minutes, more on a loaded machine
def test_data_larger_than_driver_memory_is_validated_on_the_cluster(
    tmp_path: Path, spark_cluster: Cluster
) -> None:
    rows, columns = 20_000_000, 10  # 1.6 GB of doubles in memory, about 3x the 512 MB driver
    data = _big_parquet(tmp_path / "big.parquet", rows, columns)
    project = _cluster_project(tmp_path, spark_cluster, data)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = run_shipml("validate", "--result-file", str(tmp_path / "r.json"), cwd=project, timeout=1800)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert result.code == 0, result.output[-3000:]
    details = json.loads((tmp_path / "r.json").read_text())["details"]
    assert details["rows"] == rows and details["drift"]["reference_rows"] == rows
    assert not any(c["drifted"] for c in details["drift"]["columns"])  # the same data on both sides
    # The proof is the run itself: collecting 1.6 GB into a 512 MB driver heap fails with an
    # OutOfMemoryError. The waited-for processes' peak RSS is printed and must stay below the data.
    assert max(peak_kib, before) * 1024 < rows * columns * 8
    data_mib = rows * columns * 8 / 2**20
    print(f"driver-side peak RSS {max(peak_kib, before) / 1024:.0f} MiB for {data_mib:.0f} MiB of data")


def test_worker_killed_mid_job_is_exit_3_with_sparks_reason(tmp_path: Path, spark_cluster: Cluster) -> None:
    data = _big_parquet(tmp_path / "kill.parquet", 3_000_000, 6)
    project = _cluster_project(tmp_path, spark_cluster, data)

    def kill_when_running() -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{spark_cluster.web_port}/json/", timeout=3) as r:
                if json.load(r).get("activeapps"):
                    time.sleep(25)  # well into the jobs (reading, aggregates, GX)
                    spark_cluster.kill_worker()
                    return
            time.sleep(0.5)

    killer = threading.Thread(target=kill_when_running, daemon=True)
    killer.start()
    result = run_shipml("validate", "--result-file", str(tmp_path / "r.json"), cwd=project, timeout=1200)
    killer.join(timeout=5)
    assert result.code == 3, result.output[-3000:]
    line = _one_line_error(result.output)
    assert "Spark" in line and ("executor" in line.lower() or "lost" in line.lower())
    assert (
        not (tmp_path / "r.json").exists()
        or json.loads((tmp_path / "r.json").read_text())["status"] != "passed"
    )
