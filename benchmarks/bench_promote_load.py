"""Promotion under load: many concurrent ``shipml promote`` processes against one real MLflow server.

Issue 12's scenario, bounded and on loopback: ``--promoters`` processes over
``--models`` registered models (each model has a champion v1 and one gated
challenger per promoter, every gate compared against v1), all launched at once,
``--runs`` times on a server with each ``--workers`` count. Each process is the
real CLI; a tiny driver records when its imports are done, so start-up (50
Pythons importing MLflow on a small machine) is separated from registry time.

Invariants asserted (exit 1 when broken): exactly one process per model exits 0,
none exits 2 (overload is never "bad input"), the champion is the version whose
promoter succeeded, and only the champion carries ``shipml.promotion.status=promoted``.

    .venv/bin/python -m benchmarks.bench_promote_load [--runs 3] [--workers 1,4]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.support import services

# Import what `shipml promote` imports, note the time, then run the real CLI.
DRIVER = r"""
import sys, time
import mlflow, shipml.cli, shipml.commands.promote, shipml.promote.promotion, shipml.mlflow_api.client
print(f"SHIPML_READY {time.time():.6f}", file=sys.stderr, flush=True)
sys.exit(shipml.cli.main(sys.argv[1:]))
"""


@dataclass
class Attempt:
    model: str
    version: str
    code: int
    launched: float
    ready: float
    ended: float
    last_line: str

    @property
    def startup(self) -> float:
        return self.ready - self.launched

    @property
    def registry(self) -> float:
        return self.ended - self.ready

    @property
    def wall(self) -> float:
        return self.ended - self.launched


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _setup(url: str, models: int, per_model: int) -> list[tuple[str, str]]:
    from mlflow import MlflowClient

    from shipml.contracts.tags import gate_tags
    from shipml.mlflow_api.registry import record_gate_decision

    client = MlflowClient(url)
    run = client.create_run(client.create_experiment(f"load-{uuid.uuid4().hex[:8]}"))
    source = f"{run.info.artifact_uri}/model"
    jobs = []
    for m in range(models):
        name = f"load-{m}-{uuid.uuid4().hex[:6]}"
        client.create_registered_model(name)
        versions = [
            str(client.create_model_version(name, source=source, run_id=run.info.run_id).version)
            for _ in range(per_model + 1)
        ]
        client.set_registered_model_alias(name, "champion", versions[0])
        for v in versions[1:]:
            tags = gate_tags(
                verdict="passed",
                champion_version=versions[0],
                primary_metric="roc_auc",
                primary_delta=0.01,
                summary="bench",
                run_url=None,
                commit=None,
            )
            record_gate_decision(client, name, v, tags)
            jobs.append((name, v))
    return jobs


def _launch(url: str, jobs: list[tuple[str, str]], cwd: Path) -> list[Attempt]:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    running = []
    for i, (name, version) in enumerate(jobs):
        argv = ["promote", "--tracking-uri", url, "--registered-model", name, "--version", version]
        log = cwd / f"promoter-{i}.err"
        with log.open("w") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", DRIVER, *argv],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        running.append((name, version, time.time(), proc, log))
    ended: dict[int, float] = {}
    deadline = time.monotonic() + 900
    while len(ended) < len(running):
        for i, (*_, proc, _log) in enumerate(running):
            if i not in ended and proc.poll() is not None:
                ended[i] = time.time()
        if time.monotonic() > deadline:
            for i, (*_, proc, _log) in enumerate(running):
                if i not in ended:
                    proc.kill()
                    proc.wait()
                    ended[i] = time.time()
        time.sleep(0.05)
    attempts = []
    for i, (name, version, launched, proc, log) in enumerate(running):
        lines = log.read_text(errors="replace").splitlines()
        ready = next((float(line.split()[1]) for line in lines if line.startswith("SHIPML_READY")), ended[i])
        said = [line for line in lines if line.strip() and not line.startswith("SHIPML_READY")]
        attempts.append(
            Attempt(name, version, proc.returncode, launched, ready, ended[i], said[-1] if said else "")
        )
    return attempts


def _check(url: str, attempts: list[Attempt]) -> list[str]:
    from mlflow import MlflowClient

    from shipml.contracts import tags as T
    from shipml.mlflow_api.registry import alias_version, all_versions

    client = MlflowClient(url)
    problems = []
    for model in sorted({a.model for a in attempts}):
        mine = [a for a in attempts if a.model == model]
        winners = [a for a in mine if a.code == 0]
        champion = alias_version(client, model, "champion")
        if len(winners) != 1:
            problems.append(f"{model}: {len(winners)} processes exited 0 (champion {champion})")
        elif winners[0].version != champion:
            problems.append(f"{model}: v{winners[0].version} said promoted but champion is v{champion}")
        claimed = [
            str(mv.version)
            for mv in all_versions(client, model)
            if (mv.tags or {}).get(T.STATUS) == "promoted" and str(mv.version) != champion
        ]
        if claimed:
            problems.append(f"{model}: versions {claimed} tagged promoted but champion is v{champion}")
    problems += [f"{a.model} v{a.version} exited 2: {a.last_line}" for a in attempts if a.code == 2]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--promoters", type=int, default=50)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--workers", default="1,4", help="comma-separated server worker counts")
    args = parser.parse_args()
    os.environ.update(
        {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "MLFLOW_LOGGING_LEVEL": "WARNING"}
    )
    per_model = args.promoters // args.models
    failures: list[str] = []
    for workers in [int(w) for w in args.workers.split(",")]:
        state = Path(tempfile.mkdtemp(prefix=f"bench-load-{workers}w-"))
        server = services.start("mlflow", state, workers=workers)
        try:
            for run in range(1, args.runs + 1):
                jobs = _setup(server.url, args.models, per_model)
                started = time.time()
                attempts = _launch(server.url, jobs, state)
                total = time.time() - started
                problems = _check(server.url, attempts)
                codes = Counter(a.code for a in attempts)
                print(
                    f"{workers}-worker server, run {run}: {len(attempts)} promoters over {args.models} "
                    f"models in {total:.1f}s; exit codes {dict(sorted(codes.items()))}"
                )
                for label, values in (
                    ("wall", [a.wall for a in attempts]),
                    ("start-up (imports)", [a.startup for a in attempts]),
                    ("registry (after imports)", [a.registry for a in attempts]),
                ):
                    print(
                        f"  {label:<25} p50 {statistics.median(values):6.1f}s  p99 {_pct(values, 0.99):6.1f}s"
                        f"  max {max(values):6.1f}s"
                    )
                reasons = Counter(
                    re.sub(r"\S+ version \d+|version \d+", "M vN", a.last_line.split(": ", 1)[-1])[:90]
                    for a in attempts
                    if a.code != 0
                )
                for reason, count in reasons.most_common(4):
                    print(f"  {count:3d} x {reason}")
                print(f"  invariants: {'OK' if not problems else f'{len(problems)} broken'}")
                for problem in problems:
                    print(f"    {problem}")
                failures += [f"{workers}w run {run}: {p}" for p in problems]
        finally:
            services.stop("mlflow", state)
    if failures:
        print(f"FAILED: {len(failures)} invariant(s) broken", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
