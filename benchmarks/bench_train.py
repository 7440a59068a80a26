#!/usr/bin/env python3
"""Overhead of `shipml train` over the same fit + raw MLflow log/register calls, measured in one run.

Both sides train the bundled churn example (6000 rows, the HistGradientBoostingClassifier and params
from examples/churn/shipml.yaml, the same stratified seeded split and ColumnTransformer) and log +
register the same Pipeline to their own sqlite store with explicit pip requirements:

- raw:    a plain script: read_csv, split, fit, two test metrics, mlflow.start_run, log_params,
          log_metrics, mlflow.sklearn.log_model(registered_model_name=...), set alias.
- shipml: `shipml train --config ...` (checks, lineage, train/test metrics, evaluation artifact, tags).

Measured two ways, alternating the two sides on each round so machine load hits both alike:
1. end to end, each as its own process (what a CI step pays, imports included);
2. in one warm process (imports excluded), to show where the remaining difference is.

    .venv/bin/python -m benchmarks.bench_train [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "churn"


def raw_train(project: str, store: str, name: str) -> dict[str, float]:
    """The plain way: the same data, split, Pipeline and fit, then raw MLflow log/register calls."""
    from importlib import metadata

    import mlflow
    import mlflow.sklearn
    import pandas as pd
    import skops.io
    import yaml
    from mlflow.models import infer_signature
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cfg = yaml.safe_load(Path(project, "shipml.yaml").read_text())
    df = pd.read_csv(Path(project, cfg["data"]["train"]))
    target = cfg["data"]["target"]
    X = df.drop(columns=[target, *cfg["data"].get("ignore", [])])
    y = df[target]
    num = X.select_dtypes("number").columns.tolist()
    cat = [c for c in X.columns if c not in num]
    split = cfg["model"]["split"]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=split["test_size"], random_state=split["seed"], stratify=y
    )
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    prep = ColumnTransformer([("numeric", numeric, num), ("categorical", categorical, cat)])
    model = Pipeline(
        [("preprocess", prep), ("model", HistGradientBoostingClassifier(**cfg["model"]["params"]))]
    )
    model.fit(X_train, y_train)
    metrics = {
        "test_accuracy": float(accuracy_score(y_test, model.predict(X_test))),
        "test_roc_auc": float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])),
    }
    mlflow.set_tracking_uri(store)
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name("bench-raw")
    artifacts = Path(store[len("sqlite:///") :]).parent / "mlartifacts"
    exp_id = (
        exp.experiment_id if exp else client.create_experiment("bench-raw", artifact_location=str(artifacts))
    )
    pins = [f"{p}=={metadata.version(p)}" for p in ("scikit-learn", "skops", "numpy", "pandas", "scipy")]
    with mlflow.start_run(experiment_id=exp_id):
        mlflow.log_params(cfg["model"]["params"])
        mlflow.log_metrics(metrics)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=name,
            pip_requirements=pins,
            signature=infer_signature(X_train.head(200), model.predict(X_train.head(200))),
            input_example=X_train.head(5),
            skops_trusted_types=skops.io.get_untrusted_types(data=skops.io.dumps(model)),
        )
    client.set_registered_model_alias(name, "challenger", info.registered_model_version)
    return metrics


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "SHIPML_"))}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(
        {
            "SHIPML_HOME": str(home),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK": "true",
            "MLFLOW_LOGGING_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",  # the same thread count on both sides; steadier on shared cores
            # Bytecode like a normal install, cached privately (never written into the venv).
            "PYTHONDONTWRITEBYTECODE": "",
            "PYTHONPYCACHEPREFIX": str(home.parent / "pycache"),
        }
    )
    return env


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def end_to_end(work: Path, rounds: int) -> tuple[list[float], list[float]]:
    project = work / "churn"
    home = work / "home"
    env = _env(home)
    store = f"sqlite:///{(work / 'raw' / 'mlflow.db').resolve()}"
    (work / "raw").mkdir()
    shipml = [
        str(Path(sys.executable).with_name("shipml")),
        "train",
        "--config",
        str(project / "shipml.yaml"),
    ]
    raw = [sys.executable, __file__, "--raw", str(project), store, "bench-raw-model"]
    # Warm-up: creates both stores and the bytecode cache; not timed.
    _timed(raw, env, work)
    _timed(shipml, env, work)
    raw_times, shipml_times = [], []
    for _ in range(rounds):
        raw_times.append(_timed(raw, env, work))
        shipml_times.append(_timed(shipml, env, work))
    return raw_times, shipml_times


def in_process(work: Path, rounds: int) -> tuple[list[float], list[float]]:
    """Both sides in this (warm) process: the cost of what shipml does beyond the raw calls."""
    os.environ.update({k: v for k, v in _env(work / "home2").items() if k.startswith(("MLFLOW_", "SHIPML_"))})
    os.environ["OMP_NUM_THREADS"] = "1"
    from shipml.config import load_config
    from shipml.train.trainer import train

    project = work / "churn"
    store = f"sqlite:///{(work / 'raw2' / 'mlflow.db').resolve()}"
    (work / "raw2").mkdir()
    cfg = load_config(project / "shipml.yaml")
    raw_times, shipml_times = [], []
    # Both sides' progress and warnings would bury the figures; stderr goes nowhere here.
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        raw_train(str(project), store, "bench-raw-model")  # warm-up
        train(cfg)
        for _ in range(rounds):
            start = time.perf_counter()
            raw_train(str(project), store, "bench-raw-model")
            raw_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            train(cfg)
            shipml_times.append(time.perf_counter() - start)
    return raw_times, shipml_times


def report(label: str, raw: list[float], ours: list[float]) -> bool:
    r, s = statistics.median(raw), statistics.median(ours)
    ratio, extra = s / r, s - r
    ok = ratio <= 1.10 or extra <= 1.0
    print(label)
    for name, (median, times) in {
        "raw fit + MLflow log/register": (r, raw),
        "shipml train": (s, ours),
    }.items():
        print(f"  {name:<30}: median {median:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})")
    verdict = "within" if ok else "OVER"
    print(f"  ratio {ratio:.2f}x, overhead {extra:+.2f} s -> {verdict} target (<=1.10x or <=1 s)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--raw", nargs=3, metavar=("PROJECT", "STORE", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw:  # one raw run as its own process (the end-to-end comparison)
        raw_train(*args.raw)
        return 0
    work = Path(tempfile.mkdtemp(prefix="shipml-bench-train-"))
    try:
        shutil.copytree(EXAMPLE, work / "churn", ignore=shutil.ignore_patterns(".shipml", "__pycache__"))
        print(f"bench_train: churn example, 6000 rows, {args.rounds} alternating rounds, OMP_NUM_THREADS=1")
        ok = report("end to end (separate processes, imports included):", *end_to_end(work, args.rounds))
        ok &= report("in one warm process (imports excluded):", *in_process(work, args.rounds))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
