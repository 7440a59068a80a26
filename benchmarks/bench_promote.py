"""What safe promotion costs over a raw alias move, in one run against a real MLflow server.

Raw: ``MlflowClient.set_registered_model_alias(name, "champion", v)``, the one call
a script moving the alias would make. shipml: :func:`shipml.promote.promotion.promote`,
i.e. take the registry lock (create/read/delete a lock model), re-read the champion
and previous aliases, write the provenance tags, move previous-champion and champion,
tag the replaced version. Both run in-process on the same server, alternating, so
the figure is the price of the safety, not of process start-up.

    .venv/bin/python -m benchmarks.bench_promote [--rounds 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tests.support import services

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    os.environ.update({"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"})
    from mlflow import MlflowClient

    from shipml.promote.gate_decision import GateDecision
    from shipml.promote.promotion import Aliases, promote

    state = Path(tempfile.mkdtemp(prefix="bench-promote-"))
    server = services.start("mlflow", state)
    try:
        client = MlflowClient(server.url)
        raw_name, safe_name = f"raw-{uuid.uuid4().hex[:8]}", f"safe-{uuid.uuid4().hex[:8]}"
        # Versions need a source inside a run's artifacts; no files are needed to move aliases.
        run = client.create_run(client.create_experiment(f"bench-{uuid.uuid4().hex[:8]}"))
        source = f"{run.info.artifact_uri}/model"
        versions: dict[str, list[str]] = {}
        for name in (raw_name, safe_name):
            client.create_registered_model(name)
            versions[name] = [
                str(client.create_model_version(name, source=source, run_id=run.info.run_id).version)
                for _ in range(args.rounds + 1)
            ]
        client.set_registered_model_alias(safe_name, "champion", versions[safe_name][0])
        aliases = Aliases("champion", "previous-champion")
        raw_ms: list[float] = []
        safe_ms: list[float] = []
        for i in range(1, args.rounds + 1):
            start = time.perf_counter()
            client.set_registered_model_alias(raw_name, "champion", versions[raw_name][i])
            raw_ms.append((time.perf_counter() - start) * 1e3)
            decision = GateDecision(
                registered_model=safe_name,
                version=versions[safe_name][i],
                verdict="passed",
                champion_version=versions[safe_name][i - 1],
                gated_at=None,
                summary="bench",
                source="bench",
            )
            start = time.perf_counter()
            details = promote(client, decision, aliases)
            safe_ms.append((time.perf_counter() - start) * 1e3)
            assert details.action == "promoted", details
        raw, safe = statistics.median(raw_ms), statistics.median(safe_ms)
        print(f"alias move, median of {args.rounds} on {server.url} (sqlite backend, one worker):")
        print(f"  raw set_registered_model_alias : {raw:7.1f} ms")
        print(f"  shipml promote (lock+checks+tags): {safe:7.1f} ms  = {safe / raw:.1f}x raw")
        print(
            f"  p95: raw {sorted(raw_ms)[int(0.95 * len(raw_ms)) - 1]:.1f} ms, "
            f"shipml {sorted(safe_ms)[int(0.95 * len(safe_ms)) - 1]:.1f} ms"
        )
    finally:
        services.stop("mlflow", state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
