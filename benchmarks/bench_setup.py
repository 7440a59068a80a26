#!/usr/bin/env python3
"""What every job pays before shipml does anything: venv install per extra, and CLI start-up.

Cold = empty package cache (what a fresh runner pays); warm = the cache filled (what a
cached runner or the second job pays). The same install with plain pip is the raw baseline
the ratios are against. `shipml --help` start-up is the median of several runs.

    python benchmarks/bench_setup.py [--extras comment,train] [--pip comment] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXTRAS = ["core", "comment", "validate", "train", "gate", "image", "deploy", "all"]


def uv() -> str:
    found = shutil.which("uv")
    if not found:
        sys.exit("uv is not on PATH (pip install uv)")
    return found


def spec(extra: str) -> str:
    return str(REPO) if extra == "core" else f"{REPO}[{extra}]"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def uv_install(extra: str, cache: Path, work: Path) -> float:
    venv = work / f"venv-{extra}-{time.monotonic_ns()}"
    env = {"UV_CACHE_DIR": str(cache), "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True, env={**os.environ, **env}
    )
    elapsed = timed(
        [uv(), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), spec(extra)], env
    )
    shutil.rmtree(venv)
    return elapsed


def pip_install(extra: str, cache: Path, work: Path) -> float:
    venv = work / f"pipvenv-{extra}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {"PIP_CACHE_DIR": str(cache), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    elapsed = timed([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", spec(extra)], env)
    shutil.rmtree(venv)
    return elapsed


def startup(runs: int) -> tuple[float, float]:
    exe = Path(sys.executable).with_name("shipml")
    shipml = []
    python = []
    for _ in range(runs):
        shipml.append(timed([str(exe), "--help"], {}))
        python.append(timed([sys.executable, "-c", "pass"], {}))
    return statistics.median(shipml), statistics.median(python)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extras", default=",".join(EXTRAS))
    parser.add_argument("--pip", default="comment", help="Extras also installed with pip for the ratio.")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shipml-bench-setup-") as tmp:
        work = Path(tmp)
        print(f"{'extra':<10} {'uv cold s':>10} {'uv warm s':>10} {'pip cold s':>11} {'pip/uv cold':>12}")
        for extra in [e for e in args.extras.split(",") if e]:
            cache = work / f"uv-cache-{extra}"
            cold = uv_install(extra, cache, work)
            warm = uv_install(extra, cache, work)
            shutil.rmtree(cache)
            pip_text, ratio = "-", "-"
            if extra in args.pip.split(","):
                pip_cold = pip_install(extra, work / f"pip-cache-{extra}", work)
                pip_text, ratio = f"{pip_cold:.1f}", f"{pip_cold / cold:.1f}x"
            print(f"{extra:<10} {cold:>10.1f} {warm:>10.1f} {pip_text:>11} {ratio:>12}", flush=True)
    help_s, python_s = startup(args.runs)
    print(
        f"shipml --help: {help_s * 1000:.0f} ms (bare python start: {python_s * 1000:.0f} ms, "
        f"ratio {help_s / python_s:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
