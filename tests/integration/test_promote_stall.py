"""A lock holder stalled past its lease must not report success (issue 12), through the real CLI.

Two real ``shipml promote`` processes against a real MLflow server. Fault
injection wraps the real MlflowClient inside process A: at a chosen registry
write, every registry call of that process (the lease renewer's too) waits
until the test releases it, which is what a registry that stopped answering
one client for longer than the lease looks like. Process B, started while A is
stalled, breaks A's expired lock and promotes. Exactly one of them may exit 0,
and the status tags must agree with the final aliases.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from mlflow import MlflowClient

from shipml.contracts import tags as T
from shipml.contracts.tags import gate_tags
from shipml.mlflow_api.lock import lock_name
from shipml.mlflow_api.registry import alias_version, record_gate_decision, version_tags
from tests.integration.test_gate_support import unique_name

pytestmark = pytest.mark.integration
LEASE_S = 3.0

# Runs `shipml promote` with a short lease; with STALL_AT set, stalls this process's registry calls.
DRIVER = r"""
import os, sys, threading, time
from pathlib import Path
from mlflow import MlflowClient
from shipml.mlflow_api import lock

lock.LEASE_S = float(os.environ["LEASE_S"])
stall_at, signal, release = os.environ.get("STALL_AT"), os.environ.get("STALLED"), os.environ.get("RELEASE")
gate = threading.Lock()  # held while stalled: every registry call of this process waits on it
state = {"stalled": False}

def stall():
    if state["stalled"]:
        return
    state["stalled"] = True
    with gate:
        Path(signal).write_text("stalled")
        deadline = time.monotonic() + 300
        while not Path(release).exists() and time.monotonic() < deadline:
            time.sleep(0.05)

def wrap(name):
    original = getattr(MlflowClient, name)
    def call(self, *args, **kwargs):
        first = args[2] if name == "set_model_version_tag" else args[1] if len(args) > 1 else None
        intent = name == "set_model_version_tag" and first.startswith("shipml.promotion.")
        if stall_at == "before-move" and intent:
            stall()  # intent tags about to be written; champion not moved yet
        with gate:
            pass
        result = original(self, *args, **kwargs)
        if stall_at == "after-move" and name == "set_registered_model_alias" and first == "champion":
            stall()  # champion just moved; the check after the move has not run
        return result
    setattr(MlflowClient, name, call)

if stall_at:
    for name in ("set_model_version_tag", "set_registered_model_alias", "get_registered_model",
                 "set_registered_model_tag", "get_model_version_by_alias", "delete_registered_model"):
        wrap(name)

from shipml.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _version(client: MlflowClient, name: str, source: str, run_id: str) -> str:
    return str(client.create_model_version(name, source=source, run_id=run_id).version)


def _gate(client: MlflowClient, name: str, version: str, champion: str) -> None:
    tags = gate_tags(
        verdict="passed",
        champion_version=champion,
        primary_metric="roc_auc",
        primary_delta=0.01,
        summary="passed in test",
        run_url=None,
        commit=None,
    )
    record_gate_decision(client, name, version, tags)


def _promote(server: str, name: str, version: str, cwd: Path, **env: str) -> subprocess.Popen[str]:
    argv = ["--tracking-uri", server, "--registered-model", name, "--version", version]
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, "promote", *argv],
        cwd=cwd,
        env={**__import__("os").environ, "LEASE_S": str(LEASE_S), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the stalled promoter exited {proc.returncode} before stalling:\n{out}\n{err}")
        assert time.monotonic() < deadline, "the promoter never reached the stall point"
        time.sleep(0.1)


@pytest.mark.parametrize("stall_at", ["before-move", "after-move"])
def test_holder_stalled_past_its_lease_never_reports_success(
    mlflow_server: str, tmp_path: Path, stall_at: str
) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("stall")
    client.create_registered_model(name)
    run = client.create_run(client.create_experiment(f"stall-{uuid.uuid4().hex[:8]}"))
    source = f"{run.info.artifact_uri}/model"
    v1, v2, v3 = (_version(client, name, source, run.info.run_id) for _ in range(3))
    client.set_registered_model_alias(name, "champion", v1)
    _gate(client, name, v2, champion=v1)
    _gate(client, name, v3, champion=v1)
    stalled, release = tmp_path / "stalled", tmp_path / "release"

    a = _promote(
        mlflow_server, name, v2, tmp_path, STALL_AT=stall_at, STALLED=str(stalled), RELEASE=str(release)
    )
    try:
        _wait_for(stalled, a)
        b = _promote(mlflow_server, name, v3, tmp_path)
        b_out, b_err = b.communicate(timeout=300)
        release.write_text("go")
        a_out, a_err = a.communicate(timeout=300)
    finally:
        release.write_text("go")
        if a.poll() is None:
            a.kill()
    codes = {"A": a.returncode, "B": b.returncode}
    output = f"A ({stall_at}):\n{a_out}{a_err}\nB:\n{b_out}{b_err}"
    assert sorted(codes.values())[0] == 0 and sorted(codes.values())[1] in (1, 3), (codes, output)
    assert "Traceback" not in output, output

    champion = alias_version(client, name, "champion")
    winner = {"A": v2, "B": v3}[next(k for k, c in codes.items() if c == 0)]
    assert champion == winner, output
    if stall_at == "before-move":
        # A's lease lapsed before it moved anything: B broke the lock and promoted; A must refuse.
        assert codes == {"A": 1, "B": 0}, output
        assert "lost the promotion lock" in a_err, output
    else:
        # A moved champion, then its lease lapsed: B saw the move and refused; A confirmed it under
        # a fresh lock.
        assert codes == {"A": 0, "B": 1}, output
        assert "'champion' moved since the gate" in b_err, output
    # Status tags agree with the final aliases: only the champion claims "promoted".
    statuses = {v: version_tags(client, name, v).get(T.STATUS) for v in (v1, v2, v3)}
    assert statuses[winner] == "promoted", statuses
    assert all(s != "promoted" for v, s in statuses.items() if v != winner), statuses
    assert alias_version(client, name, "previous-champion") == v1
    assert not client.search_registered_models(filter_string=f"name = '{lock_name(name)}'")


def test_tags_that_disagree_with_the_aliases_are_repaired_by_the_next_promotion(mlflow_server: str) -> None:
    """What fencing cannot prevent is detected afterwards: a stale 'promoted' claim is corrected."""
    from shipml.promote import gate_decision
    from shipml.promote.promotion import Aliases, promote

    client = MlflowClient(mlflow_server)
    name = unique_name("repair")
    client.create_registered_model(name)
    run = client.create_run(client.create_experiment(f"repair-{uuid.uuid4().hex[:8]}"))
    source = f"{run.info.artifact_uri}/model"
    v1, v2, v3, v4 = (_version(client, name, source, run.info.run_id) for _ in range(4))
    client.set_registered_model_alias(name, "champion", v1)
    client.set_model_version_tag(name, v1, T.STATUS, "pending")  # moved, then crashed before commit
    client.set_model_version_tag(name, v2, T.STATUS, "promoted")  # a move that was overwritten
    client.set_model_version_tag(name, v3, T.STATUS, "promoted")  # replaced legitimately: left alone
    client.set_model_version_tag(name, v3, T.REPLACED_BY, v1)
    _gate(client, name, v4, champion=v1)
    decision = gate_decision.from_version_tags(name, v4, version_tags(client, name, v4))
    details = promote(client, decision, Aliases("champion", "previous-champion"))
    assert details.action == "promoted" and "repaired stale tags" in (details.message or "")
    statuses = {v: version_tags(client, name, v).get(T.STATUS) for v in (v1, v2, v3, v4)}
    # v1 was champion while pending (so its move stuck) and was then replaced by v4.
    assert statuses == {v1: "promoted", v2: "superseded", v3: "promoted", v4: "promoted"}
    assert version_tags(client, name, v1)[T.REPLACED_BY] == v4
