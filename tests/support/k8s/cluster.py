"""A real Kubernetes control plane on loopback, with kwok simulating the node and its pods.

Why: shipml's deploy path (server-side apply, rollout wait, rollback) must be tested against
the real apiserver and controllers, whose semantics (resourceVersion, field managers,
ReplicaSet revisions, ``ProgressDeadlineExceeded``) no HTTP fake reproduces. Only the kubelet
and container runtime are simulated: kwok marks pods Running/Ready, no container runs and
Services carry no traffic (anything needing real HTTP runs real processes beside the cluster).

Processes, in start order, each with a pid file and a log under the state directory, like
``tests/support/services.py``: etcd, kube-apiserver, kube-controller-manager, kube-scheduler
(kwok does not schedule) and kwok, plus one fake node ``kwok-node-0``. Certificates are made
with openssl; the kubeconfig for tests (admin, group ``system:masters``) is
``STATE/kubeconfig``. Ready means ``/readyz`` ok, the node Ready and the ``default``
ServiceAccount present. A part that does not come up stops everything started and fails with
the tail of its log: never a half-started cluster, never a skip.

Binaries come from ``build.sh`` (cache ``$SHIPML_CACHE/k8s``, default ``/var/cache/shipml``);
``start`` runs it when they are missing (cold: 8-20 minutes).

Which simulated pods become Ready, and how a test keeps a pod Running but never Ready (an
image containing ``never-ready``, or the ``shipml.test/never-ready: "true"`` label or
annotation): ``stages.py``.

    python -m tests.support.k8s.cluster start [--state-dir DIR]   # prints the kubeconfig path
    python -m tests.support.k8s.cluster stop|status|env [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.k8s.pki import PkiError, make_pki, ssl_context, write_kubeconfig
from tests.support.k8s.stages import kwok_stages

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "build.sh"
DEFAULT_STATE = Path(os.environ.get("SHIPML_SERVICES_DIR", ".shipml/services")) / "k8s"
NODE_NAME = "kwok-node-0"
SERVICE_CIDR = "10.96.0.0/16"
#: Pods the fake node accepts (a real kubelet defaults to 110).
NODE_PODS = 10000
#: The order processes start in; stop goes in reverse.
PROCESSES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


class ClusterError(RuntimeError):
    """The control plane could not be built or started; the message carries the log tail."""


def versions() -> dict[str, str]:
    """The pinned versions, from versions.env (shared with build.sh)."""
    out: dict[str, str] = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def cache_root() -> Path:
    return Path(os.environ.get("SHIPML_CACHE", "/var/cache/shipml")) / "k8s"


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    kubectl: Path
    etcd: Path
    kwok: Path
    stages: Path

    @classmethod
    def in_cache(cls, root: Path | None = None) -> Binaries:
        root = root or cache_root()
        v = versions()
        k8s = root / f"kubernetes-v{v['K8S_VERSION']}"
        etcd = root / f"etcd-v{v['ETCD_VERSION']}"
        kwok = root / f"kwok-v{v['KWOK_VERSION']}"
        return cls(
            kube_apiserver=k8s / "bin" / "kube-apiserver",
            kube_controller_manager=k8s / "bin" / "kube-controller-manager",
            kube_scheduler=k8s / "bin" / "kube-scheduler",
            kubectl=k8s / "bin" / "kubectl",
            etcd=etcd / "bin" / "etcd",
            kwok=kwok / "bin" / "kwok",
            stages=kwok / "stages",
        )

    def complete(self) -> bool:
        """A component counts only once build.sh stamped it (.complete), never a partial build."""
        dirs = {self.kube_apiserver.parents[1], self.etcd.parents[1], self.kwok.parents[1]}
        return all((d / ".complete").is_file() for d in dirs)


def ensure_built(log: Path | None = None) -> Binaries:
    """Build the binaries into the cache if missing (nice 19: the machine is shared)."""
    binaries = Binaries.in_cache()
    if binaries.complete():
        return binaries
    log = log or Path(os.environ.get("TMPDIR", "/tmp")) / "shipml-k8s-build.log"
    with log.open("ab") as fh:
        proc = subprocess.run(
            ["nice", "-n", "19", "bash", str(BUILD_SCRIPT)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if proc.returncode != 0 or not binaries.complete():
        raise ClusterError(
            f"building the control plane failed (exit {proc.returncode}); log {log}:\n{_tail(log)}"
        )
    return binaries


@dataclass(frozen=True)
class Cluster:
    """A running control plane: what tests and shipml need to reach it."""

    state_dir: Path
    api_url: str
    kubeconfig: Path
    kubectl: Path

    @property
    def pki(self) -> Path:
        return self.state_dir / "pki"

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One admin request to the apiserver (JSON in, JSON out); no client library needed."""
        return _request(self.api_url, self.pki, method, path, body)

    def new_namespace(self, prefix: str = "t") -> str:
        """A fresh namespace, ready for pods (its ``default`` ServiceAccount exists).

        Namespace deletion takes 10-43 s here, so tests take a new one instead of cleaning
        up and waiting; the cluster's state dir is wiped on the next start anyway.
        """
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        code, answer = self.request(
            "POST",
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        )
        if code != 201:
            raise ClusterError(f"creating namespace {name} answered {code}: {answer}")
        path = f"/api/v1/namespaces/{name}/serviceaccounts/default"
        _wait(f"serviceaccount {name}/default", 60, lambda: self.request("GET", path)[0] == 200)
        return name


def _request(api_url: str, pki: Path, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(api_url + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5, context=ssl_context(pki)) as response:
            raw = response.read()
            status = int(response.status)
    except urllib.error.HTTPError as err:
        raw, status = err.read(), err.code
    except (urllib.error.URLError, OSError) as err:
        return 0, str(err)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie (exited child not yet reaped) is not alive.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait(
    desc: str, timeout: float, probe: Callable[[], bool], proc: str = "", state: Path | None = None
) -> None:
    """Poll ``probe``; fail early with the log tail when ``proc`` died, or at the timeout."""
    log = state / "logs" / f"{proc}.log" if proc and state is not None else None
    deadline = time.monotonic() + timeout
    while not probe():
        if log is not None and state is not None and not _pid_alive(state, proc):
            raise ClusterError(f"{proc} exited while waiting for {desc}; {log}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            where = f"; {log}:\n{_tail(log)}" if log is not None else ""
            raise ClusterError(f"timed out after {timeout:.0f}s waiting for {desc}{where}")
        time.sleep(0.2)


def _pid_alive(state: Path, name: str) -> bool:
    pid_file = state / "pids" / f"{name}.pid"
    try:
        return _alive(int(pid_file.read_text()))
    except (OSError, ValueError):
        return False


def _spawn(state: Path, name: str, argv: list[str]) -> None:
    log = state / "logs" / f"{name}.log"
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            argv, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    (state / "pids" / f"{name}.pid").write_text(str(proc.pid))


def _load_meta(state: Path) -> dict[str, Any] | None:
    try:
        meta: dict[str, Any] = json.loads((state / "cluster.json").read_text())
    except (OSError, ValueError):
        return None
    return meta


def _cluster(state: Path, meta: dict[str, Any]) -> Cluster:
    kubectl = Binaries.in_cache(Path(meta["cache"])).kubectl
    return Cluster(state, meta["api_url"], state / "kubeconfig", kubectl)


def running(state_dir: Path = DEFAULT_STATE) -> Cluster | None:
    """The cluster already running in ``state_dir`` (every process alive, /readyz ok), if any."""
    state = state_dir.resolve()
    meta = _load_meta(state)
    if meta is None or not all(_pid_alive(state, p) for p in PROCESSES):
        return None
    if _request(meta["api_url"], state / "pki", "GET", "/readyz")[0] != 200:
        return None
    return _cluster(state, meta)


def start(state_dir: Path = DEFAULT_STATE, build: bool = True) -> Cluster:
    """Start (or reuse) the control plane in ``state_dir``; ready when this returns.

    A fresh start wipes the previous etcd data: every session begins with an empty cluster.
    """
    state = state_dir.resolve()
    found = running(state)
    if found is not None:
        return found
    stop(state)
    binaries = ensure_built() if build else Binaries.in_cache()
    if not binaries.complete():
        raise ClusterError(
            f"control plane binaries missing in {cache_root()}: run `nice -n 19 bash {BUILD_SCRIPT}`"
        )
    for sub in ("logs", "pids"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    for stale in ("etcd", "apiserver-certs"):
        shutil.rmtree(state / stale, ignore_errors=True)
    pki = state / "pki"
    try:
        make_pki(pki)
    except PkiError as err:
        raise ClusterError(str(err)) from err
    ports = {name: _free_port() for name in ("etcd", "etcd_peer", "api", "kwok")}
    api_url = f"https://127.0.0.1:{ports['api']}"
    # The cache is recorded: a later lookup must not depend on this process's environment.
    meta = {"api_url": api_url, "ports": ports, "versions": versions(), "cache": str(cache_root())}
    kubeconfig = state / "kubeconfig"
    write_kubeconfig(kubeconfig, api_url, pki)
    kwok_config = state / "kwok.yaml"
    kwok_config.write_text(yaml.safe_dump_all(kwok_stages(binaries.stages), sort_keys=False))
    cluster = _cluster(state, meta)
    try:
        _start_processes(state, binaries, ports, kubeconfig, kwok_config, cluster)
    except BaseException:
        stop(state)
        raise
    (state / "cluster.json").write_text(json.dumps(meta, indent=2))
    return cluster


def _start_processes(
    state: Path, b: Binaries, ports: dict[str, int], kubeconfig: Path, kwok_config: Path, cluster: Cluster
) -> None:
    pki = state / "pki"
    etcd_url = f"http://127.0.0.1:{ports['etcd']}"
    peer_url = f"http://127.0.0.1:{ports['etcd_peer']}"
    _spawn(state, "etcd", [
        str(b.etcd), "--name", "shipml", "--data-dir", str(state / "etcd"),
        "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
        "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
        "--initial-cluster", f"shipml={peer_url}",
        # Test data is disposable: skip fsync (the disk is shared with 7 other builds).
        "--unsafe-no-fsync", "--quota-backend-bytes", str(1 << 30), "--log-level", "warn",
    ])  # fmt: skip

    def etcd_healthy() -> bool:
        try:
            with urllib.request.urlopen(f"{etcd_url}/health", timeout=2) as response:
                return bool(json.loads(response.read()).get("health") == "true")
        except (urllib.error.URLError, OSError, ValueError):
            return False

    _wait("etcd /health", 30, etcd_healthy, "etcd", state)
    _spawn(state, "kube-apiserver", [
        str(b.kube_apiserver), "--etcd-servers", etcd_url,
        "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
        "--secure-port", str(ports["api"]), "--cert-dir", str(state / "apiserver-certs"),
        "--tls-cert-file", str(pki / "apiserver.crt"), "--tls-private-key-file", str(pki / "apiserver.key"),
        "--client-ca-file", str(pki / "ca.crt"),
        "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file", str(pki / "sa.pub"),
        "--service-account-signing-key-file", str(pki / "sa.key"),
        "--service-cluster-ip-range", SERVICE_CIDR,
        # Else it exits: 127.0.0.1 "may not be in the loopback range" for the endpoints reconciler.
        "--endpoint-reconciler-type", "none",
        "--authorization-mode", "Node,RBAC", "--allow-privileged=true",
    ])  # fmt: skip
    _wait(
        "kube-apiserver /readyz",
        120,
        lambda: cluster.request("GET", "/readyz")[0] == 200,
        "kube-apiserver",
        state,
    )
    _spawn(state, "kube-controller-manager", [
        str(b.kube_controller_manager), "--kubeconfig", str(kubeconfig),
        "--leader-elect=false", "--secure-port", "0",
        "--service-account-private-key-file", str(pki / "sa.key"), "--root-ca-file", str(pki / "ca.crt"),
        "--cluster-signing-cert-file", str(pki / "ca.crt"), "--cluster-signing-key-file", str(pki / "ca.key"),
        "--use-service-account-credentials=false", "--controllers", "*",
    ])  # fmt: skip
    # kwok does not schedule: without a scheduler pods stay Pending.
    _spawn(state, "kube-scheduler", [
        str(b.kube_scheduler), "--kubeconfig", str(kubeconfig), "--leader-elect=false", "--secure-port", "0",
    ])  # fmt: skip
    _spawn(state, "kwok", [
        str(b.kwok), "--kubeconfig", str(kubeconfig), "--config", str(kwok_config),
        "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
        "--node-ip", "127.0.0.1", "--node-port", str(ports["kwok"]),
        "--server-address", f"127.0.0.1:{ports['kwok']}",
        "--tls-cert-file", str(pki / "admin.crt"), "--tls-private-key-file", str(pki / "admin.key"),
        "--node-lease-duration-seconds", "40",
    ])  # fmt: skip
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "type": "kwok",
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            },
        },
        # Room for every pod a whole test session leaves behind: tests take fresh namespaces
        # and never wait for deletion, and with a kubelet-like 110 the scheduler left the
        # session's later pods Pending ("Too many pods") and every later rollout timed out.
        "status": {
            "allocatable": {"cpu": "1000", "memory": "4Ti", "pods": str(NODE_PODS)},
            "capacity": {"cpu": "1000", "memory": "4Ti", "pods": str(NODE_PODS)},
        },
    }
    code, answer = cluster.request("POST", "/api/v1/nodes", node)
    if code != 201:
        raise ClusterError(f"registering node {NODE_NAME} answered {code}: {answer}")

    def node_ready() -> bool:
        code, body = cluster.request("GET", f"/api/v1/nodes/{NODE_NAME}")
        conditions = body.get("status", {}).get("conditions", []) if code == 200 else []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    _wait(f"node {NODE_NAME} Ready", 60, node_ready, "kwok", state)
    sa = "/api/v1/namespaces/default/serviceaccounts/default"
    _wait(
        "serviceaccount default/default",
        60,
        lambda: cluster.request("GET", sa)[0] == 200,
        "kube-controller-manager",
        state,
    )
    for name in PROCESSES:  # a process that died after its own probe passed
        if not _pid_alive(state, name):
            log = state / "logs" / f"{name}.log"
            raise ClusterError(f"{name} exited during start; {log}:\n{_tail(log)}")


# Stop in waves: clients first, then the apiserver while etcd still answers (an apiserver
# whose etcd went away first hangs in shutdown for 20 s and more), then etcd.
STOP_WAVES = (("kwok", "kube-scheduler", "kube-controller-manager"), ("kube-apiserver",), ("etcd",))


def stop(state_dir: Path = DEFAULT_STATE, grace: float = 10.0) -> list[str]:
    """SIGTERM every process started here (by pid file, in waves); SIGKILL after ``grace``."""
    state = state_dir.resolve()
    stopped: list[str] = []
    for wave in STOP_WAVES:
        signalled: list[int] = []
        for name in wave:
            pid_file = state / "pids" / f"{name}.pid"
            try:
                pid = int(pid_file.read_text())
            except (OSError, ValueError):
                continue
            pid_file.unlink()
            if _alive(pid):
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGTERM)
                    signalled.append(pid)
                    stopped.append(name)
        deadline = time.monotonic() + grace
        while any(_alive(pid) for pid in signalled) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in signalled:
            if _alive(pid):
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
    (state / "cluster.json").unlink(missing_ok=True)
    return stopped


def resident_kib(state_dir: Path = DEFAULT_STATE) -> dict[str, int]:
    """VmRSS of each running process, for the figures in docs/testing-k8s.md."""
    state = state_dir.resolve()
    out: dict[str, int] = {}
    for name in PROCESSES:
        try:
            pid = int((state / "pids" / f"{name}.pid").read_text())
            status = Path(f"/proc/{pid}/status").read_text()
        except (OSError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                out[name] = int(line.split()[1])
    return out


ACTIONS = ("build", "start", "stop", "status", "env")


def cli(action: str, state_dir: Path = DEFAULT_STATE) -> int:
    """One CLI action; also what ``python -m tests.support.services ACTION k8s`` runs."""
    try:
        if action == "build":
            print(ensure_built().kube_apiserver.parents[2])
        elif action == "start":
            t0 = time.monotonic()
            cluster = start(state_dir)
            print(
                f"k8s: {cluster.api_url} ready in {time.monotonic() - t0:.1f}s;"
                f" KUBECONFIG={cluster.kubeconfig}"
            )
        elif action == "stop":
            print(f"k8s: stopped {', '.join(stop(state_dir)) or 'nothing'}")
        elif action == "env":
            print(f"export KUBECONFIG={(state_dir / 'kubeconfig').resolve()}")
        else:
            found = running(state_dir)
            if found is None:
                print("k8s: not running")
                return 1
            rss = resident_kib(state_dir)
            print(f"k8s: running at {found.api_url}; KUBECONFIG={found.kubeconfig}")
            for name, kib in rss.items():
                print(f"  {name:<24} {kib / 1024:7.1f} MiB")
            print(f"  {'total':<24} {sum(rss.values()) / 1024:7.1f} MiB")
    except ClusterError as err:
        print(f"k8s: {err}", file=sys.stderr)
        return 3
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    args = parser.parse_args()
    return cli(args.action, args.state_dir)


if __name__ == "__main__":
    sys.exit(main())
