"""Benchmark ``validate.engine: spark`` against the pandas path: rows/s, driver peak memory, crossover.

    .venv/bin/python -m benchmarks.bench_validate_spark --quick          # 1M rows x 20, local[2] + pandas
    .venv/bin/python -m benchmarks.bench_validate_spark --sizes 10000000 50000000 --cluster

Each case is a fresh ``shipml validate`` process (imports and Spark start-up included, as
in a CI step) on the same Parquet directory: 20 columns (14 numeric, 6 categorical), a
reference and a shifted current set of the same size, drift on every column plus a
10-expectation suite. The pandas path runs only while the data fits comfortably
(``--pandas-up-to`` rows). Printed per case: wall time, rows/s (current + reference rows
over wall time) and the peak RSS of the step's processes (the Python driver and, for
local[2], the JVM that also runs the tasks). ``--cluster`` adds a standalone master +
one worker (2 cores, 3 GB; executor 2 GB) from tests.support.spark_cluster, driver memory 512 MB
there (only aggregates come back); local[2] gets a 2 GB driver because its tasks run inside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NUM, CAT = 14, 6
SUITE = "name: bench\ncolumns:\n" + "".join(
    f"  n{i}: [not_null, {{between: [-1000, 1000]}}]\n" for i in range(5)
)


def make_data(path: Path, rows: int, shift: float) -> None:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        cats = F.array(*[F.lit(c) for c in ("alpha", "beta", "gamma", "delta", "epsilon")])
        columns = [
            (F.randn(seed=i) * (i + 1) + (shift if i == 0 else 0.0)).alias(f"n{i}") for i in range(NUM)
        ]
        columns += [cats[(F.rand(seed=100 + i) * 5).cast("int")].alias(f"c{i}") for i in range(CAT)]
        spark.range(rows).select(*columns).write.mode("overwrite").parquet(str(path))
    finally:
        spark.stop()


def run_case(work: Path, data: Path, engine: str, master: str | None) -> tuple[float, float, int]:
    project = work / f"project-{engine}-{master or 'pandas'}".replace("/", "_").replace(":", "_")
    project.mkdir(parents=True, exist_ok=True)
    (project / "suite.yaml").write_text(SUITE)
    # local[2] runs the tasks inside the driver, so it gets the memory; on the cluster the driver
    # keeps 512 MB (only aggregates come back to it) and the executor does the work
    conf = (
        "{spark.driver.memory: 2g}"
        if master and master.startswith("local")
        else "{spark.driver.memory: 512m, spark.executor.memory: 2g}"
    )
    spark = f"spark:\n  master: '{master}'\n  conf: {conf}\n" if master else ""
    (project / "shipml.yaml").write_text(
        f"data: {{current: {data}/cur, reference: {data}/ref}}\n"
        f"validate:\n  engine: {engine}\n  suites: [suite.yaml]\n  fail_on: never\n{spark}"
    )
    exe = Path(sys.executable).with_name("shipml")
    step = [
        str(exe),
        "validate",
        "--result-file",
        str(project / "r.json"),
        "--output-dir",
        str(project / "out"),
    ]
    # a wrapper per case, so the peak RSS is this step's (its waited-for processes), not the max so far
    wrapper = (
        "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
        "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *step], cwd=project, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    peak_lines = [line for line in proc.stderr.splitlines() if line.startswith("PEAK ")]
    peak = int(peak_lines[-1].split()[1]) / 1024 if peak_lines else float("nan")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{engine} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    rows = json.loads((project / "r.json").read_text())["details"]["rows"]
    return wall, peak, int(rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000_000, 50_000_000])
    parser.add_argument("--quick", action="store_true", help="one case of 1M rows (local[2] and pandas)")
    parser.add_argument("--cluster", action="store_true", help="also run on a standalone master + 1 worker")
    parser.add_argument("--pandas-up-to", type=int, default=10_000_000)
    args = parser.parse_args()
    sizes = [1_000_000] if args.quick else args.sizes
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        work = Path(tmp)
        cluster = None
        if args.cluster:
            from tests.support import spark_cluster

            cluster = spark_cluster.start(work / "services", cores=2, memory="3g")
        try:
            print(f"{'rows':>12} {'engine':<22} {'wall s':>8} {'rows/s':>12} {'peak RSS MiB':>13}")
            for rows in sizes:
                data = work / f"data-{rows}"
                make_data(data / "ref", rows, 0.0)
                make_data(data / "cur", rows, 0.3)
                cases: list[tuple[str, str | None]] = [("spark", "local[2]")]
                if cluster:
                    cases.append(("spark", cluster.master_url))
                if rows <= args.pandas_up_to:
                    cases.append(("pandas", None))
                for engine, master in cases:
                    wall, peak, seen = run_case(work, data, engine, master)
                    where = "standalone" if master and master.startswith("spark://") else master or ""
                    label = f"{engine} {where}"
                    print(
                        f"{seen:>12,} {label:<22} {wall:>8.1f} {2 * seen / wall:>12,.0f} {peak:>13,.0f}",
                        flush=True,
                    )
        finally:
            if cluster:
                from tests.support import spark_cluster

                spark_cluster.stop(work / "services")
    return 0


if __name__ == "__main__":
    sys.exit(main())
