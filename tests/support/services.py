#!/usr/bin/env python3
"""Start, wait for, and stop the real local services shipml is tested against.

One small pattern for every service (MLflow now; dockerd, registry and a
Kubernetes control plane later): a command line, a readiness probe, a pid file
and a log file under a state directory. A service that does not become ready in
time is an error with the tail of its log, never a silent skip.

    python -m tests.support.services start mlflow [--port 5055] [--workers 4] [--state-dir .shipml/services]
    python -m tests.support.services start dockerd      # then: export DOCKER_HOST=<printed url>
    python -m tests.support.services start registry     # plain HTTP on 127.0.0.1 (docker trusts loopback)
    python -m tests.support.services stop mlflow
    python -m tests.support.services status
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.k8s import cluster as k8s_cluster

DEFAULT_STATE = Path(os.environ.get("SHIPML_SERVICES_DIR", ".shipml/services"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    return probe


@dataclass
class Service:
    name: str
    argv: list[str]
    ready: Callable[[], bool]
    url: str
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 90.0
    port: int | None = None  # None: the port is the last ":N" of url


@dataclass
class Running:
    name: str
    pid: int
    url: str
    log: Path

    def stop(self, state_dir: Path = DEFAULT_STATE) -> None:
        stop(self.name, state_dir)


def mlflow_service(state_dir: Path, port: int | None = None, *, workers: int = 1) -> Service:
    """A real MLflow tracking server: sqlite backend, local artifact store, loopback only.

    ``workers`` is uvicorn's worker count: 1 reproduces a small server that stalls under
    concurrent promotions; more workers share the one sqlite file (and its write lock).
    """
    port = port or free_port()
    home = state_dir / "mlflow"
    home.mkdir(parents=True, exist_ok=True)
    db = (home / "mlflow.db").resolve()
    artifacts = (home / "artifacts").resolve()
    mlflow = str(Path(sys.executable).with_name("mlflow"))
    return Service(
        name="mlflow",
        argv=[
            mlflow,
            "server",
            "--backend-store-uri",
            f"sqlite:///{db}",
            "--artifacts-destination",
            str(artifacts),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        ready=http_ok(f"http://127.0.0.1:{port}/health"),
        url=f"http://127.0.0.1:{port}",
        env={"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"},
        timeout=180.0,  # ~10 s when idle; a loaded 2-core machine has taken over 90 s
    )


# -- docker engine and registry (issue 13) -----------------------------------------------------

DOCKERD = "/usr/sbin/dockerd"


def docker_socket(state_dir: Path) -> Path:
    return (state_dir / "docker" / "docker.sock").resolve()


def unix_http_ok(socket_path: Path, path: str = "/_ping") -> Callable[[], bool]:
    """Probe an HTTP API served on a unix socket (the docker engine's)."""

    def probe() -> bool:
        import http.client

        class Conn(http.client.HTTPConnection):
            def connect(self) -> None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(2)
                self.sock.connect(str(socket_path))

        try:
            conn = Conn("localhost", timeout=2)
            conn.request("GET", path)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    return probe


def dockerd_service(state_dir: Path, port: int | None = None) -> Service:
    """A private docker engine: own socket, data-root and exec-root, no iptables (see FACTS).

    Nothing of the machine's default engine (``/var/run/docker.sock``, ``/var/lib/docker``)
    is used, so a test session can never disturb another engine or be disturbed by one.
    """
    home = (state_dir / "docker").resolve()
    for sub in ("data", "exec"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    sock = docker_socket(state_dir)
    return Service(
        name="dockerd",
        argv=[
            DOCKERD,
            f"--host=unix://{sock}",
            f"--data-root={home / 'data'}",
            f"--exec-root={home / 'exec'}",
            f"--pidfile={home / 'dockerd.pid'}",
            "--storage-driver=overlay2",
            "--iptables=false",
            "--exec-opt",
            "native.cgroupdriver=cgroupfs",
        ],
        ready=unix_http_ok(sock),
        url=f"unix://{sock}",
        timeout=60.0,
        port=0,
    )


REGISTRY_USER = "shipml-test"


def http_status(url: str, accepted: set[int]) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status in accepted
        except urllib.error.HTTPError as exc:
            return exc.code in accepted
        except (urllib.error.URLError, OSError):
            return False

    return probe


def registry_password(state_dir: Path) -> str:
    """The authenticated registry's password: random per state dir, kept in a 0600 file."""
    path = state_dir / "registry-auth" / "password"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(16))
        path.chmod(0o600)
    return path.read_text().strip()


def _registry(state_dir: Path, port: int | None, name: str, auth: bool) -> Service:
    """Debian's ``docker-registry`` (distribution 2.x) on 127.0.0.1, filesystem storage."""
    port = port or free_port()
    home = (state_dir / name).resolve()
    (home / "storage").mkdir(parents=True, exist_ok=True)
    lines = [
        "version: 0.1",
        "log: {level: warn}",
        f"storage: {{filesystem: {{rootdirectory: {home / 'storage'}}}, delete: {{enabled: true}}}}",
        f"http: {{addr: 127.0.0.1:{port}}}",
    ]
    if auth:
        import bcrypt

        hashed = bcrypt.hashpw(registry_password(state_dir).encode(), bcrypt.gensalt(rounds=5)).decode()
        (home / "htpasswd").write_text(f"{REGISTRY_USER}:{hashed}\n")
        lines.append(f"auth: {{htpasswd: {{realm: shipml-test, path: {home / 'htpasswd'}}}}}")
    config = home / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    return Service(
        name=name,
        argv=["docker-registry", "serve", str(config)],
        ready=http_status(f"http://127.0.0.1:{port}/v2/", {401} if auth else {200}),
        url=f"http://127.0.0.1:{port}",
        timeout=30.0,
    )


def registry_service(state_dir: Path, port: int | None = None) -> Service:
    return _registry(state_dir, port, "registry", auth=False)


def registry_auth_service(state_dir: Path, port: int | None = None) -> Service:
    """The same registry behind htpasswd basic auth (user ``REGISTRY_USER``)."""
    return _registry(state_dir, port, "registry-auth", auth=True)


FACTORIES: dict[str, Callable[..., Service]] = {  # (state_dir, port, **options) -> Service
    "mlflow": mlflow_service,
    "dockerd": dockerd_service,
    "registry": registry_service,
    "registry-auth": registry_auth_service,
}
# Multi-process services with their own start/stop (same pid-file and log pattern); the CLI
# hands them the action and STATE/<name>.
COMPOSITE: dict[str, Callable[[str, Path], int]] = {"k8s": k8s_cluster.cli}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def start(name: str, state_dir: Path = DEFAULT_STATE, port: int | None = None, **options: int) -> Running:
    """Start ``name`` (options go to its factory, e.g. ``workers=4`` for mlflow), or reuse a running one."""
    state_dir.mkdir(parents=True, exist_ok=True)
    meta_path = state_dir / f"{name}.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        same = meta.get("options", {}) == options
        if same and _alive(meta["pid"]) and FACTORIES[name](state_dir, meta["port"], **options).ready():
            return Running(name, meta["pid"], meta["url"], Path(meta["log"]))
        if _alive(meta["pid"]):
            stop(name, state_dir)
        meta_path.unlink(missing_ok=True)
    service = FACTORIES[name](state_dir, port, **options)
    log = (state_dir / f"{name}.log").resolve()
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            service.argv,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, **service.env},
            start_new_session=True,  # stop() kills the whole group (mlflow forks workers)
        )
    deadline = time.monotonic() + service.timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{name} exited with {proc.returncode} before it was ready; log:\n{_tail(log)}"
            )
        if service.ready():
            port_used = service.port if service.port is not None else int(service.url.rsplit(":", 1)[1])
            meta = {
                "pid": proc.pid,
                "url": service.url,
                "log": str(log),
                "port": port_used,
                "options": options,
            }
            meta_path.write_text(json.dumps(meta))
            return Running(name, proc.pid, service.url, log)
        time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError(f"{name} was not ready after {service.timeout:.0f}s; log:\n{_tail(log)}")


def stop(name: str, state_dir: Path = DEFAULT_STATE) -> bool:
    meta_path = state_dir / f"{name}.json"
    if not meta_path.exists():
        return False
    pid = json.loads(meta_path.read_text())["pid"]
    meta_path.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return False
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    else:
        os.killpg(pid, signal.SIGKILL)
    return True


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("service", nargs="?", choices=sorted([*FACTORIES, *COMPOSITE]))
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--workers", type=int, default=None, help="mlflow: server worker processes")
    args = parser.parse_args()
    if args.service in COMPOSITE:
        return COMPOSITE[args.service](args.action, args.state_dir / args.service)
    names = [args.service] if args.service else sorted(FACTORIES)
    for name in names:
        if args.action == "start":
            options = {"workers": args.workers} if args.workers and name == "mlflow" else {}
            running = start(name, args.state_dir, args.port, **options)
            print(f"{name}: {running.url} (pid {running.pid}, log {running.log})")
        elif args.action == "stop":
            print(f"{name}: {'stopped' if stop(name, args.state_dir) else 'not running'}")
        else:
            meta_path = args.state_dir / f"{name}.json"
            if meta_path.exists() and _alive(json.loads(meta_path.read_text())["pid"]):
                print(f"{name}: running at {json.loads(meta_path.read_text())['url']}")
            else:
                print(f"{name}: not running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
