"""Training runs a killed process left RUNNING, found and marked when the next training starts.

A ``shipml train`` killed with SIGKILL (a cancelled job, an OOM kill, a lost runner) cannot
end its MLflow run: the run stays RUNNING forever and a version it registered before the
alias moved stays in the registry looking like any other. Nothing is lost (the alias moves
last, so no alias points at such a version), but the registry says something false.

Each training records which process runs it (``shipml.process``: host, boot id, pid and the
pid's start time). The next training in the same experiment marks a RUNNING run abandoned
when that process is certainly gone:

* **same host and boot**: the pid no longer exists, or now belongs to a process started at
  another time (pid reuse). Immediate, and exact.
* **anywhere else**: the run started more than ``mlflow.abandoned_after_hours`` ago (24 by
  default; GitHub-hosted jobs are cancelled after 6 h). A run on another machine cannot be
  probed, so only age can say it is dead; a long training on a self-hosted runner needs a
  larger value.

Marking means: the run ends as KILLED with ``shipml.abandoned`` saying why, and every version it
registered that no alias points at gets the same tag. Failures to mark are warnings: the
training that noticed them still runs.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import runner
from ..errors import first_line

if TYPE_CHECKING:
    from mlflow import MlflowClient

PROCESS_TAG = "shipml.process"
ABANDONED_TAG = "shipml.abandoned"
MAX_RUNS = 200  # RUNNING runs looked at per training: more than any experiment should have


@dataclass(frozen=True)
class Process:
    host: str
    boot_id: str
    pid: int
    started: str
    """The pid's start time in clock ticks since boot (/proc/PID/stat field 22): tells pid reuse apart."""

    def tag(self) -> str:
        return f"{self.host}|{self.boot_id}|{self.pid}|{self.started}"

    @classmethod
    def parse(cls, tag: str) -> Process | None:
        parts = tag.split("|")
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]), parts[3])


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None  # field 22 overall; 3rd after the command


def this_process() -> Process:
    pid = os.getpid()
    return Process(socket.gethostname(), _boot_id(), pid, _start_time(pid) or "")


def gone_because(tag: str | None, started_ms: int, now_ms: int, after_hours: float) -> str | None:
    """Why the run's process is certainly gone, or None when it may still be running."""
    here = this_process()
    owner = Process.parse(tag or "")
    if owner is not None and owner.host == here.host and owner.boot_id and owner.boot_id == here.boot_id:
        if owner.pid == here.pid:
            return None
        current = _start_time(owner.pid)
        if current is None:
            return f"its process {owner.pid} on {owner.host} is gone"
        if owner.started and current != owner.started:
            return f"its process {owner.pid} on {owner.host} is gone (the pid was reused)"
        return None
    age_h = (now_ms - started_ms) / 3_600_000
    if age_h > after_hours:
        return f"RUNNING for {age_h:.1f} h, more than mlflow.abandoned_after_hours ({after_hours:g})"
    return None


@dataclass(frozen=True)
class Abandoned:
    run_id: str
    reason: str
    versions: tuple[str, ...]
    """``name vN`` of each unaliased version the run registered, now tagged."""


def sweep(client: MlflowClient, experiment_id: str, after_hours: float) -> list[Abandoned]:
    """Mark the experiment's abandoned RUNNING runs (and their unaliased versions); say so."""
    try:
        running = client.search_runs(
            [experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=MAX_RUNS
        )
    except Exception as exc:  # noticing is a courtesy: the training itself must not fail on it
        runner.warning(f"could not look for abandoned training runs: {first_line(exc)}")
        return []
    now_ms = int(time.time() * 1000)
    found: list[Abandoned] = []
    for run in running:
        reason = gone_because(
            run.data.tags.get(PROCESS_TAG), int(run.info.start_time or 0), now_ms, after_hours
        )
        if reason is None:
            continue
        note = f"abandoned: {reason}; marked by a later shipml train"
        try:
            versions = client.search_model_versions(f"run_id = '{run.info.run_id}'")
            marked = []
            for v in versions:
                if not getattr(v, "aliases", None):
                    client.set_model_version_tag(v.name, v.version, ABANDONED_TAG, note)
                    marked.append(f"{v.name} v{v.version}")
            client.set_tag(run.info.run_id, ABANDONED_TAG, note)
            client.set_terminated(run.info.run_id, "KILLED")
        except Exception as exc:
            runner.warning(f"could not mark abandoned run {run.info.run_id}: {first_line(exc)}")
            continue
        item = Abandoned(run.info.run_id, reason, tuple(marked))
        found.append(item)
        also = f"; its unaliased version(s) {', '.join(marked)} tagged {ABANDONED_TAG}" if marked else ""
        runner.warning(f"MLflow run {item.run_id} was left RUNNING ({reason}): marked KILLED{also}")
    return found
