"""When a RUNNING training run's process is certainly gone (shipml.train.abandoned.gone_because)."""

from __future__ import annotations

import os
import subprocess

from shipml.train.abandoned import Process, gone_because, this_process

HOUR_MS = 3_600_000


def test_a_live_process_on_this_machine_is_never_abandoned_however_old() -> None:
    me = this_process()
    assert gone_because(me.tag(), 0, 1000 * HOUR_MS, 24) is None
    parent = Process(me.host, me.boot_id, os.getppid(), "")
    assert gone_because(parent.tag(), 0, 1000 * HOUR_MS, 24) is None


def test_an_exited_process_on_this_machine_is_abandoned_at_once() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    me = this_process()
    dead = Process(me.host, me.boot_id, child.pid, "123")
    reason = gone_because(dead.tag(), 0, 1, 24)
    assert reason is not None and f"process {child.pid}" in reason


def test_a_reused_pid_is_told_apart_by_its_start_time() -> None:
    me = this_process()
    reused = Process(me.host, me.boot_id, os.getppid(), "1")  # the pid is alive, but started at another time
    reason = gone_because(reused.tag(), 0, 1, 24)
    assert reason is not None and "reused" in reason


def test_another_machine_is_judged_by_age_only() -> None:
    other = Process("elsewhere", "boot-x", 1, "5").tag()
    assert gone_because(other, 0, 23 * HOUR_MS, 24) is None
    reason = gone_because(other, 0, 25 * HOUR_MS, 24)
    assert reason is not None and "25.0 h" in reason
    # a run without the tag (an older shipml, another tool) too
    assert gone_because(None, 0, 23 * HOUR_MS, 24) is None
    assert gone_because(None, 0, 25 * HOUR_MS, 24) is not None
    # another boot of this machine: the pid means nothing any more
    me = this_process()
    rebooted = Process(me.host, "another-boot", me.pid, me.started).tag()
    assert gone_because(rebooted, 0, 1, 24) is None
