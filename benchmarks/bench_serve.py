"""Benchmark the default model server against ``mlflow models serve`` on the same model.

Both serve the same MLflow model directory (the churn pipeline, fitted with the
example's estimator settings, saved by ``mlflow.sklearn.save_model``), one
uvicorn worker each, on loopback, one server at a time, in alternating rounds so
background load hits both alike. Per server and round:

- start-up: process start to the first ``200`` from ``/health``;
- load: a fixed number of single-row predictions from a few concurrent
  keep-alive clients (bounded: it stops by itself), after a short warm-up;
  requests/s, p50 and p99 latency as the clients see them.

Every answer is checked (status 200, same predicted label from both servers).

    .venv/bin/python -m benchmarks.bench_serve [--requests 2000] [--clients 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.services import free_port
from tests.unit.test_serve_model import churn_frame, make_model_dir

ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK": "true",
    "PYTHONPYCACHEPREFIX": os.environ.get(
        "PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "shipml-bench-pycache")
    ),
}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


@dataclass
class Figures:
    startup_s: float
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class Target:
    name: str
    argv: list[str]
    body: Any  # row -> request body

    def payload(self, row: dict[str, Any]) -> bytes:
        return json.dumps(self.body(row)).encode()


def targets(model_dir: Path, port: int) -> list[Target]:
    bindir = Path(sys.executable).parent
    return [
        Target(
            "shipml",
            [str(bindir / "shipml"), "serve", "--model-dir", str(model_dir), "--port", str(port)],
            lambda row: row,
        ),
        Target(
            "mlflow",
            [
                str(bindir / "mlflow"),
                "models",
                "serve",
                "-m",
                str(model_dir),
                "--env-manager",
                "local",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-w",
                "1",
            ],
            lambda row: {"dataframe_records": [row]},
        ),
    ]


def label(name: str, answer: dict[str, Any]) -> Any:
    return answer["prediction"] if name == "shipml" else answer["predictions"][0]


def wait_health(url: str, proc: subprocess.Popen[bytes], timeout: float = 600) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} not ready after {timeout}s")


def load(
    port: int, target: Target, rows: list[dict[str, Any]], total: int, clients: int
) -> tuple[float, list[float], list[Any]]:
    """``total`` requests split over ``clients`` keep-alive connections; latencies in seconds."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    labels: list[list[Any]] = [[] for _ in range(clients)]
    errors: list[str] = []
    payloads = [target.payload(r) for r in rows]

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json"}
        try:
            for i in range(k, total, clients):
                body = payloads[i % len(payloads)]
                t = time.perf_counter()
                conn.request("POST", "/invocations" if target.name == "mlflow" else "/predict", body, headers)
                response = conn.getresponse()
                data = response.read()
                latencies[k].append(time.perf_counter() - t)
                if response.status != 200:
                    errors.append(f"{response.status}: {data[:200]!r}")
                    return
                if i < len(payloads):
                    labels[k].append((i, label(target.name, json.loads(data))))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{target.name}: request failed: {errors[0]}")
    ordered = [lab for _, lab in sorted(x for per in labels for x in per)]
    return elapsed, [x for per in latencies for x in per], ordered


def measure(
    target: Target, port: int, rows: list[dict[str, Any]], total: int, clients: int
) -> tuple[Figures, list[Any]]:
    with tempfile.TemporaryFile() as log:
        # Own session: mlflow's CLI runs uvicorn as a child; the whole group is stopped.
        proc = subprocess.Popen(
            target.argv, stdout=log, stderr=subprocess.STDOUT, env=ENV, start_new_session=True
        )
        try:
            startup = wait_health(f"http://127.0.0.1:{port}", proc)
            load(port, target, rows, min(100, total), clients)  # warm-up
            elapsed, latencies, labels = load(port, target, rows, total, clients)
        except BaseException:
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return Figures(startup, total / elapsed, p(0.5), p(0.99)), labels


def show(f: Figures) -> str:
    return f"start {f.startup_s:6.2f}s  {f.rps:7.1f} req/s  p50 {f.p50_ms:6.2f} ms  p99 {f.p99_ms:6.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--model-dir", type=Path, default=None, help="Serve this model instead of fitting one."
    )
    args = parser.parse_args(argv)

    from sklearn.ensemble import HistGradientBoostingClassifier

    with tempfile.TemporaryDirectory(prefix="shipml-bench-serve-") as tmp:
        model_dir = args.model_dir or make_model_dir(
            Path(tmp) / "model",
            # the example's estimator settings (examples/churn/shipml.yaml)
            estimator=HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, random_state=0),
        )
        frame = churn_frame("new.csv").head(200).drop(columns=["churned", "customer_id"])
        rows = json.loads(frame.to_json(orient="records"))
        results: dict[str, list[Figures]] = {"shipml": [], "mlflow": []}
        answers: dict[str, list[Any]] = {}
        for r in range(args.rounds):
            for k in (0, 1) if r % 2 == 0 else (1, 0):
                port = free_port()
                target = targets(model_dir, port)[k]
                figures, labels = measure(target, port, rows, args.requests, args.clients)
                results[target.name].append(figures)
                answers.setdefault(target.name, labels)
                print(f"round {r + 1} {target.name:7s} {show(figures)}", flush=True)
        if answers["shipml"] != answers["mlflow"]:
            raise SystemExit("the two servers predicted different labels for the same rows")

    def med(name: str, field: str) -> float:
        return statistics.median(getattr(f, field) for f in results[name])

    summary = {
        name: Figures(*(med(name, f) for f in ("startup_s", "rps", "p50_ms", "p99_ms"))) for name in results
    }
    print(
        f"\n{args.requests} single-row /predict requests, {args.clients} clients, "
        f"median of {args.rounds} rounds"
    )
    for name, figures in summary.items():
        print(f"{name:7s} {show(figures)}")
    ours, theirs = summary["shipml"], summary["mlflow"]
    print(
        f"ratios shipml/mlflow: throughput {ours.rps / theirs.rps:.2f}x (goal >= 2x), "
        f"p99 {ours.p99_ms / theirs.p99_ms:.2f}x (goal < 1), "
        f"start-up to /health {ours.startup_s / theirs.startup_s:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
