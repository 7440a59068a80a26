"""Rebuild time of the default server image when only the model changed (goal <= 5 s), one run.

A real dockerd and registry on loopback, the debootstrap base, a host-made
wheelhouse. The first build makes the dependency image (reported, not judged);
then each round saves a new model (another seed: different files, same
requirements) and times the whole ``shipml build DIR`` step, push to the registry
included, as a workflow step would run it.

    .venv/bin/python -m benchmarks.bench_image [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support import base_image, services, wheelhouse


def _save_model(path: Path, seed: int) -> Path:
    import mlflow.sklearn
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(500, 6))
    y = (x[:, 0] + rng.normal(scale=0.5, size=500) > 0).astype(int)
    model = LogisticRegression(C=0.5 + seed).fit(x, y)
    mlflow.sklearn.save_model(model, str(path), pip_requirements=_pins())
    return path


def _pins() -> list[str]:
    from importlib import metadata

    return [f"{p}=={metadata.version(p)}" for p in ("scikit-learn", "skops", "numpy", "scipy")]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.update({"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"})
    work = Path(tempfile.mkdtemp(prefix="bench-image-"))
    state = work / "services"
    daemon = services.start("dockerd", state)
    registry = services.start("registry", state)
    try:
        base_image.import_image(base_image.DEFAULT_TAG, daemon.url)
        first = _save_model(work / "model-0", 0)
        wheels = wheelhouse.for_model(first)
        host = registry.url.removeprefix("http://")
        (work / "shipml.yaml").write_text(
            f"project: bench\nimage:\n  base: {base_image.DEFAULT_TAG}\n  registry: {host}\n"
            f"  repository: bench/model\n  wheelhouse: {wheels}\n"
        )
        env = {**os.environ, "DOCKER_HOST": daemon.url, "SHIPML_HOME": str(work / ".shipml")}
        shipml = str(Path(sys.executable).with_name("shipml"))

        def build(model: Path) -> tuple[float, dict]:
            t0 = time.perf_counter()
            result = work / "build.json"
            argv = [shipml, "build", str(model), "--result-file", str(result)]
            subprocess.run(argv, cwd=work, env=env, check=True, capture_output=True)
            return time.perf_counter() - t0, json.loads(result.read_text())["details"]

        cold, details = build(first)
        print(
            f"first build (dependency image + server image + push): {cold:.1f}s, "
            f"{details['size_bytes'] / 1e6:.0f} MB"
        )
        times = []
        for i in range(1, args.rounds + 1):
            seconds, details = build(_save_model(work / f"model-{i}", i))
            times.append(seconds)
            print(
                f"  new model {i}: {seconds:.2f}s "
                f"(build {details['build_seconds']}s, push {details['push_seconds']}s)"
            )
        print(
            f"rebuild after a model change: median {statistics.median(times):.2f}s, "
            f"max {max(times):.2f}s (goal <= 5 s)"
        )
    finally:
        services.stop("registry", state)
        services.stop("dockerd", state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
