#!/usr/bin/env python3
"""A real Spark standalone cluster on loopback: one master, one worker, from pyspark's own launch classes.

Same pattern as :mod:`tests.support.services` (a command line, a readiness probe, a pid
file and a log under a state directory; a part that does not come up is an error with
its log tail, never a skip), kept in its own module so the MLflow/docker services and
this one evolve independently.

    python -m tests.support.spark_cluster start [--state-dir .shipml/services]
    python -m tests.support.spark_cluster stop
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import DEFAULT_STATE, _alive, _tail, free_port


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


@dataclass
class Cluster:
    master_url: str
    master_pid: int
    worker_pid: int
    web_port: int
    state_dir: Path

    def workers_alive(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/json/", timeout=3) as response:
            data = json.load(response)
        return sum(1 for w in data.get("workers", []) if w.get("state") == "ALIVE")

    def kill_worker(self) -> None:
        """SIGKILL the worker and its executors (its process group): a machine lost mid-job."""
        os.killpg(self.worker_pid, signal.SIGKILL)


def _launch(argv: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _env(state_dir: Path) -> dict[str, str]:
    home = spark_home()
    return {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_WORKER_DIR": str((state_dir / "spark-work").resolve()),
        "PYSPARK_PYTHON": sys.executable,
    }


def start(
    state_dir: Path = DEFAULT_STATE, *, cores: int = 1, memory: str = "1g", timeout: float = 120
) -> Cluster:
    state_dir.mkdir(parents=True, exist_ok=True)
    meta_path = state_dir / "spark.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if _alive(meta["master_pid"]) and _alive(meta["worker_pid"]):
            return Cluster(
                meta["master_url"], meta["master_pid"], meta["worker_pid"], meta["web_port"], state_dir
            )
        stop(state_dir)
    env = _env(state_dir)
    spark_class = str(spark_home() / "bin" / "spark-class")
    port, web = free_port(), free_port()
    master_log = (state_dir / "spark-master.log").resolve()
    worker_log = (state_dir / "spark-worker.log").resolve()
    master = _launch(
        [
            spark_class,
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(web),
        ],
        master_log,
        env,
    )
    url = f"spark://127.0.0.1:{port}"
    worker = _launch(
        [
            spark_class,
            "org.apache.spark.deploy.worker.Worker",
            "--cores",
            str(cores),
            "--memory",
            memory,
            "--webui-port",
            str(free_port()),
            url,
        ],
        worker_log,
        env,
    )
    cluster = Cluster(url, master.pid, worker.pid, web, state_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc, log in (("master", master, master_log), ("worker", worker, worker_log)):
            if proc.poll() is not None:
                stop_pids(master.pid, worker.pid)
                raise RuntimeError(f"spark {name} exited with {proc.returncode}; log:\n{_tail(log)}")
        try:
            if cluster.workers_alive() >= 1:
                meta = {
                    "master_url": url,
                    "master_pid": master.pid,
                    "worker_pid": worker.pid,
                    "web_port": web,
                }
                meta_path.write_text(json.dumps(meta))
                return cluster
        except OSError:
            pass
        time.sleep(0.5)
    stop_pids(master.pid, worker.pid)
    raise RuntimeError(
        f"spark cluster not ready after {timeout:.0f}s; master log:\n{_tail(master_log)}\n"
        f"worker log:\n{_tail(worker_log)}"
    )


def stop_pids(*pids: int) -> None:
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            continue
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


def stop(state_dir: Path = DEFAULT_STATE) -> bool:
    meta_path = state_dir / "spark.json"
    if not meta_path.exists():
        return False
    meta = json.loads(meta_path.read_text())
    meta_path.unlink()
    stop_pids(meta["worker_pid"], meta["master_pid"])
    return True


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    args = parser.parse_args()
    if args.action == "start":
        cluster = start(args.state_dir)
        print(
            f"spark: {cluster.master_url} (master pid {cluster.master_pid}, worker pid {cluster.worker_pid})"
        )
    else:
        print(f"spark: {'stopped' if stop(args.state_dir) else 'not running'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
