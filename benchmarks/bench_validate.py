"""Benchmark ``shipml validate`` against raw Great Expectations + raw Evidently doing the same work.

    .venv/bin/python -m benchmarks.bench_validate                  # 100k and 1M rows, then 10M sampled
    .venv/bin/python -m benchmarks.bench_validate --sizes 100000 --no-big

Both sides run as fresh processes (imports included, as in a CI step) on the
same Parquet files: the same 40-expectation GX suite (GX's JSON format) on the
current data, and Evidently's DataDriftPreset over all 20 columns with its
default methods (above 1000 rows: normed Wasserstein / Jensen-Shannon, which is
also what shipml's ``auto`` picks), writing the GX result JSON and the HTML
report. The wall-time ratio and each side's peak RSS are printed per size.
The last case times the whole validate of a 10M-row table: the 40 expectations on every
row and drift through shipml's deterministic sampling (``--sample-rows``), which must stay
under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

NUM, CAT = 14, 6
CATEGORIES = ["alpha", "beta", "gamma", "delta", "epsilon"]

RAW = textwrap.dedent(
    """
    import json, os, sys
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    import pandas as pd
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from evidently import Report, Dataset
    from evidently.presets import DataDriftPreset

    ref_path, cur_path, suite_path, out = sys.argv[1:5]
    current = pd.read_parquet(cur_path)
    reference = pd.read_parquet(ref_path)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        ctx.data_sources.add_pandas("raw").add_dataframe_asset("data")
        .add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": current})
    )
    suite = gx.ExpectationSuite(**json.load(open(suite_path)))
    result = batch.validate(suite, result_format={"result_format": "BASIC", "partial_unexpected_count": 5})
    with open(os.path.join(out, "gx_result.json"), "w") as fh:
        json.dump(result.to_json_dict(), fh, indent=2, default=str)
    snapshot = Report([DataDriftPreset()], include_tests=False).run(
        reference_data=Dataset.from_pandas(reference), current_data=Dataset.from_pandas(current)
    )
    drifted = [m for m in snapshot.dict()["metrics"] if "ValueDrift" in m["config"]["type"]]
    snapshot.save_html(os.path.join(out, "drift_report.html"))
    print(f"raw: {result.statistics['unsuccessful_expectations']} failed, {len(drifted)} drift metrics")
    """
)


def make_data(rows: int, seed: int, shift: bool):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns = {}
    for i in range(NUM):
        values = rng.normal(10 * i, 1 + i, rows)
        if shift and i < 2:
            values = values + 0.5 * (1 + i)  # two drifted numeric columns
        columns[f"n{i:02d}"] = values
    for j in range(CAT):
        weights = np.array([5, 4, 3, 2, 1], dtype=float)
        if shift and j == 0:
            weights = weights[::-1].copy()  # one drifted categorical column
        codes = rng.choice(len(CATEGORIES), size=rows, p=weights / weights.sum()).astype("int8")
        columns[f"c{j}"] = pd.Categorical.from_codes(codes, categories=CATEGORIES)
    return pd.DataFrame(columns)


def suite_json(frame) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """40 expectations: not-null plus a range or category set for each of the 20 columns."""
    expectations: list[dict[str, object]] = []
    for column in frame.columns:
        expectations.append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": column}})
        if column.startswith("n"):
            low, high = float(frame[column].min()), float(frame[column].max())
            margin = 0.1 * (high - low)
            kwargs = {"column": column, "min_value": low - margin, "max_value": high + margin}
            expectations.append({"type": "expect_column_values_to_be_between", "kwargs": kwargs})
        else:
            kwargs = {"column": column, "value_set": CATEGORIES}
            expectations.append({"type": "expect_column_values_to_be_in_set", "kwargs": kwargs})
    return {"name": "bench", "expectations": expectations}


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of that child alone, and its output.

    CPU time is reported too because on a shared machine wall time mostly measures the neighbours.
    """
    env = {
        **os.environ,
        "DO_NOT_TRACK": "true",
        "GX_ANALYTICS_ENABLED": "false",
        "SHIPML_HOME": str(cwd / "home"),
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{output[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


def prepare(root: Path, rows: int) -> tuple[Path, Path, Path]:
    folder = root / f"{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    ref, cur, suite = folder / "reference.parquet", folder / "current.parquet", folder / "suite.json"
    if not (ref.exists() and cur.exists() and suite.exists()):
        reference = make_data(rows, seed=1, shift=False)
        reference.to_parquet(ref, index=False)
        make_data(rows, seed=2, shift=True).to_parquet(cur, index=False)
        suite.write_text(json.dumps(suite_json(reference), indent=1))
    return ref, cur, suite


def compare(root: Path, rows: int, repeats: int) -> dict[str, float]:
    ref, cur, suite = prepare(root, rows)
    work = Path(tempfile.mkdtemp(prefix=f"bench-{rows}-", dir=root))
    (work / "shipml.yaml").write_text("project: bench\nvalidate:\n  fail_on: never\n")
    shipml = Path(sys.executable).with_name("shipml")
    # From a file, not `python -c`: with pyspark installed, GX's import of
    # pyspark.sql.connect takes a `-c` process for a doctest run and exits 0 silently.
    script = work / "raw_validate.py"
    script.write_text(RAW)
    times: dict[str, list[float]] = {"raw": [], "shipml": []}
    cpu: dict[str, list[float]] = {"raw": [], "shipml": []}
    rss: dict[str, list[float]] = {"raw": [], "shipml": []}
    for i in range(repeats):
        for side in ("raw", "shipml"):  # interleaved so machine load hits both alike
            out = work / f"{side}-{i}"
            out.mkdir()
            if side == "raw":
                cmd = [sys.executable, str(script), str(ref), str(cur), str(suite), str(out)]
            else:
                cmd = [str(shipml), "validate", "--data", str(cur), "--reference", str(ref)]
                cmd += [
                    "--suite",
                    str(suite),
                    "--output-dir",
                    str(out),
                    "--result-file",
                    str(out / "result.json"),
                ]
            wall, seconds, peak, output = timed(cmd, work)
            # both sides must have done the whole work: a silent early exit is not a fast run
            assert (out / "gx_result.json").exists() and (out / "drift_report.html").exists(), (side, output)
            times[side].append(wall)
            cpu[side].append(seconds)
            rss[side].append(peak)
            if side == "shipml":
                result = json.loads((out / "result.json").read_text())
                drifted = [c["column"] for c in result["details"]["drift"]["columns"] if c["drifted"]]
                assert sorted(drifted) == ["c0", "n00", "n01"], (
                    drifted
                )  # the same checks found the same drift
                assert (out / "drift_report.html").stat().st_size > 0 and (out / "gx_result.json").exists()
    return {
        "rows": rows,
        "raw_s": min(times["raw"]),
        "shipml_s": min(times["shipml"]),
        "ratio": min(times["shipml"]) / min(times["raw"]),
        "raw_cpu": min(cpu["raw"]),
        "shipml_cpu": min(cpu["shipml"]),
        "cpu_ratio": min(cpu["shipml"]) / min(cpu["raw"]),
        "raw_rss": max(rss["raw"]),
        "shipml_rss": max(rss["shipml"]),
    }


def big_sampled(root: Path, rows: int, sample: int) -> dict[str, float]:
    folder = root / f"big-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    ref, cur = folder / "reference.parquet", folder / "current.parquet"
    suite = folder / "suite.json"
    if not (ref.exists() and cur.exists() and suite.exists()):
        reference = make_data(rows // 10, seed=1, shift=False)
        reference.to_parquet(ref, index=False)
        suite.write_text(json.dumps(suite_json(reference), indent=1))
        del reference
        make_data(rows, seed=2, shift=True).to_parquet(cur, index=False)
    work = Path(tempfile.mkdtemp(prefix="bench-big-", dir=root))
    (work / "shipml.yaml").write_text("project: bench\nvalidate:\n  fail_on: never\n")
    shipml = Path(sys.executable).with_name("shipml")
    cmd = [
        str(shipml), "validate", "--data", str(cur), "--reference", str(ref), "--sample-rows", str(sample),
        "--suite", str(suite),
        "--output-dir", str(work / "out"), "--result-file", str(work / "result.json"),
    ]  # fmt: skip
    wall, seconds, peak, _ = timed(cmd, work)
    details = json.loads((work / "result.json").read_text())["details"]
    drift = details["drift"]
    checked = details["expectations"]
    assert len(checked) == 40, len(checked)  # all 40 expectations ran (a few outliers may fail them)
    drifted = sorted(c["column"] for c in drift["columns"] if c["drifted"])
    assert drift["sampled_rows"] == sample and drifted == ["c0", "n00", "n01"], (
        drift["sampled_rows"],
        drifted,
    )
    return {
        "rows": rows,
        "reference_rows": rows // 10,
        "sample": sample,
        "shipml_s": wall,
        "shipml_cpu": seconds,
        "shipml_rss": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000", help="Comma-separated row counts to compare.")
    parser.add_argument("--repeats", type=int, default=2, help="Runs per side and size (best is kept).")
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--sample-rows", type=int, default=100_000)
    parser.add_argument("--no-big", action="store_true", help="Skip the 10M-row validate.")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "shipml-bench-validate"))
    args = parser.parse_args()
    root = Path(args.cache)
    root.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; best of {args.repeats} per side")
    print("rows       | wall raw / shipml (ratio)  | CPU raw / shipml (ratio)   | peak RSS raw / shipml")
    for rows in (int(s) for s in args.sizes.split(",") if s):
        r = compare(root, rows, args.repeats)
        verdict = "ok" if r["ratio"] <= 1.10 else "OVER 1.10"
        print(
            f"{rows:<10,} | {r['raw_s']:6.1f}s / {r['shipml_s']:6.1f}s ({r['ratio']:.2f}x) | "
            f"{r['raw_cpu']:6.1f}s / {r['shipml_cpu']:6.1f}s ({r['cpu_ratio']:.2f}x) | "
            f"{r['raw_rss']:,.0f} / {r['shipml_rss']:,.0f} MiB  wall {verdict}",
            flush=True,
        )
    if not args.no_big:
        b = big_sampled(root, args.big_rows, args.sample_rows)
        verdict = "ok" if b["shipml_s"] < 60 else "OVER 60 s"
        print(
            f"validate {b['rows']:,} rows: 40 expectations on all rows, drift against "
            f"{b['reference_rows']:,} "
            f"reference rows sampled to {b['sample']:,}: "
            f"{b['shipml_s']:.1f}s wall, {b['shipml_cpu']:.1f}s CPU, "
            f"peak RSS {b['shipml_rss']:,.0f} MiB  {verdict}"
        )


if __name__ == "__main__":
    main()
