"""Is there a Java runtime, and does the Spark master answer? Checked before a session starts.

Standard library only: ``shipml doctor`` runs these without pyspark installed, and
``validate`` runs them first so a missing JVM or a wrong master URL is one actionable
line (exit 3) instead of a Java stack trace or a minute of Spark retrying to register.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InfrastructureUnreachable

MIN_JAVA = 17  # pyspark 4.x needs Java 17 or 21
INSTALL_JAVA = (
    "install a Java 17+ runtime (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; "
    "GitHub Actions: actions/setup-java with java-version 17) and set JAVA_HOME or put java on PATH"
)


@dataclass(frozen=True)
class Probe:
    ok: bool
    detail: str


def java_binary() -> str | None:
    """The java Spark's launcher would use: $JAVA_HOME/bin/java when JAVA_HOME is set, else PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None
    return shutil.which("java")


def check_java() -> Probe:
    java = java_binary()
    if java is None:
        where = (
            f"JAVA_HOME={os.environ['JAVA_HOME']} has no bin/java"
            if os.environ.get("JAVA_HOME")
            else ("no java on PATH")
        )
        return Probe(False, f"Java not found ({where})")
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Probe(False, f"{java} -version failed ({exc})")
    text = proc.stderr + proc.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if proc.returncode != 0 or not match:
        return Probe(False, f"{java} -version failed: {text.strip().splitlines()[:1]}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" is Java 8
        major = int(match.group(2))
    if major < MIN_JAVA:
        return Probe(False, f"Java {major} at {java}; Spark 4 needs Java {MIN_JAVA}+")
    return Probe(True, f"Java {major} at {java}")


def master_endpoints(master: str) -> list[tuple[str, int]]:
    """host:port pairs to try for a master URL; empty when nothing can be probed (local, yarn)."""
    if master.startswith("spark://"):
        out = []
        for part in master[len("spark://") :].split(","):
            host, _, port = part.rpartition(":")
            out.append((host or part, int(port) if port.isdigit() else 7077))
        return out
    if master.startswith("k8s://"):
        url = urlsplit(
            master[len("k8s://") :] if "://" in master[len("k8s://") :] else "https://" + master[6:]
        )
        if url.hostname:
            return [(url.hostname, url.port or (443 if url.scheme == "https" else 80))]
    return []


def check_master(master: str, timeout: float = 3.0) -> Probe:
    endpoints = master_endpoints(master)
    if not endpoints:
        kind = "in-process" if master.startswith("local") else "not probed"
        return Probe(True, f"{master} ({kind})")
    errors = []
    for host, port in endpoints:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return Probe(True, f"{master} accepts connections")
        except OSError as exc:
            errors.append(f"{host}:{port}: {exc.strerror or exc}")
    return Probe(False, f"Spark master {master} unreachable ({'; '.join(errors)})")


def require(master: str) -> None:
    """Raise exit 3 when Java is missing or the master does not answer."""
    java = check_java()
    if not java.ok:
        raise InfrastructureUnreachable(f"validate.engine spark needs Java: {java.detail}", hint=INSTALL_JAVA)
    reach = check_master(master)
    if not reach.ok:
        raise InfrastructureUnreachable(
            reach.detail, hint="start the master or fix spark.master in shipml.yaml (SHIPML_SPARK__MASTER)"
        )
