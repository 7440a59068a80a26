"""A registry-side mutex with a renewed, verifiable lease, so check-then-move is safe among promoters.

MLflow aliases are plain upserts: two promotions that both read "champion = v1"
would both move it and both report success. Creating a registered model,
however, is atomic (its name is a primary key; a second create fails with
RESOURCE_ALREADY_EXISTS), so a model named after the real one serves as the
lock, in the same registry and with the same credentials as the aliases.

The lease is what lets the next promoter break a lock a crashed one left
behind, and so also what can take the lock from a holder that is merely slow
(a registry that stopped answering for 30 s did exactly that under load). The
holder therefore renews the lease from a background thread while it works, and
calls :meth:`Lease.verify` right before and after its critical write: verify
extends the lease and reads the lock's owner back, and raises :class:`LockLost`
when the token is no longer ours. A holder that lost its lock must not report
success (see :mod:`shipml.promote.promotion`).

What remains (MLflow has no compare-and-set): the milliseconds between a
successful verify and the write that follows it, and the read-then-delete with
which a waiter breaks an expired lock. Both need a holder stalled for a whole
lease at exactly that point; the checks after the write detect what they let
through, and ``docs/promotion.md`` says how to size a server so leases do not
expire.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import runner
from ..errors import PolicyFailed, first_line
from .client import ALREADY_EXISTS, error_code, is_not_found

if TYPE_CHECKING:
    from mlflow import MlflowClient

OWNER = "shipml.lock.owner"
EXPIRES = "shipml.lock.expires"
SUFFIX = ".shipml-promotion-lock"
LEASE_S = 30.0  # read at call time (tests shorten it)
WAIT_S = 120.0
POLL_S = 0.2
MAX_POLL_S = 2.0


class LockLost(PolicyFailed):
    """Our token no longer owns the lock: someone broke it after our lease lapsed."""


def lock_name(model: str) -> str:
    return f"{model}{SUFFIX}"


@dataclass(frozen=True)
class Holder:
    owner: str
    expires: float


def _holder(client: MlflowClient, name: str) -> Holder | None:
    try:
        model = client.get_registered_model(name)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise
    tags = model.tags or {}
    try:
        expires = float(tags.get(EXPIRES, "0"))
    except ValueError:
        expires = 0.0
    return Holder(tags.get(OWNER, ""), expires)


def _delete(client: MlflowClient, name: str, owner: str, *, only_if_expired: bool) -> None:
    """Delete the lock if ``owner`` still holds it (and, to break it, if its lease is still over)."""
    holder = _holder(client, name)
    if holder is None or holder.owner != owner:
        return
    if only_if_expired and holder.expires >= time.time():
        return  # renewed since we looked: its holder is alive
    try:
        client.delete_registered_model(name)
    except Exception as exc:
        if not is_not_found(exc):
            raise


class Lease:
    """The lock we hold: renewed in the background, verified on demand."""

    def __init__(self, client: MlflowClient, model: str, token: str, lease_s: float, acquired: float) -> None:
        self.client = client
        self.model = model
        self.name = lock_name(model)
        self.token = token
        self.lease_s = lease_s
        self.valid_until = acquired + lease_s  # monotonic; conservative (set before the create was sent)
        self.lost: str | None = None
        self.renew_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_loop, name=f"lease-{self.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _renew(self) -> None:
        started = time.monotonic()
        holder = _holder(self.client, self.name)
        if holder is None or holder.owner != self.token:
            self.lost = "it was deleted" if holder is None else f"it is now held by {holder.owner}"
            raise LockLost(f"lost the promotion lock '{self.name}': {self.lost}")
        self.client.set_registered_model_tag(self.name, EXPIRES, f"{time.time() + self.lease_s:.3f}")
        self.valid_until = started + self.lease_s

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            try:
                self._renew()
                self.renew_error = None
            except LockLost:
                return
            except Exception as exc:  # overload: keep trying; verify() decides
                self.renew_error = first_line(exc)

    def verify(self, doing: str) -> None:
        """Prove we still own the lock right now (extending it), or raise :class:`LockLost`."""
        try:
            self._renew()
        except LockLost as exc:
            raise LockLost(
                f"{exc.message} before {doing}"
                + (f" (lease renewals failed: {self.renew_error})" if self.renew_error else ""),
                hint="the registry was too slow for the lease; see docs/promotion.md, then re-run",
            ) from None
        except Exception as exc:
            if is_not_found(exc):
                raise LockLost(
                    f"lost the promotion lock '{self.name}' before {doing}: it was deleted",
                    hint="the registry was too slow for the lease; see docs/promotion.md, then re-run",
                ) from None
            raise


@contextmanager
def registry_lock(
    client: MlflowClient,
    model: str,
    *,
    lease_s: float | None = None,
    wait_s: float | None = None,
    poll_s: float | None = None,
) -> Iterator[Lease]:
    """Hold the promotion lock of ``model`` for the duration of the block; yield the lease.

    Waits while another promoter holds it, with growing jittered pauses; breaks a
    lock whose lease expired (a crashed holder, or one stalled for a whole lease).
    """
    lease_s = LEASE_S if lease_s is None else lease_s
    wait_s = WAIT_S if wait_s is None else wait_s
    delay = POLL_S if poll_s is None else poll_s
    name = lock_name(model)
    token = f"{runner.run_context().run_url or 'local'}#{uuid.uuid4().hex}"
    deadline = time.monotonic() + wait_s
    while True:
        sent = time.monotonic()
        try:
            client.create_registered_model(
                name,
                tags={OWNER: token, EXPIRES: f"{time.time() + lease_s:.3f}"},
                description=f"shipml promotion lock for '{model}'; held for seconds. "
                "Safe to delete when no `shipml promote` is running.",
            )
            break
        except Exception as exc:
            # The server answers a create that collided with an existing name by looking that
            # model up; if its holder deleted it in between, the answer is RESOURCE_DOES_NOT_EXIST.
            # Both mean "someone else had it a moment ago": nothing was created, try again.
            if error_code(exc) != ALREADY_EXISTS and not is_not_found(exc):
                raise
        holder = _holder(client, name)
        if holder is not None and holder.owner == token:
            break  # our create went through on an attempt whose answer was lost (retried on overload)
        if holder is not None and holder.expires < time.time():
            _delete(client, name, holder.owner, only_if_expired=True)
            continue
        if time.monotonic() > deadline:
            raise PolicyFailed(
                f"another promotion of '{model}' has held the lock '{name}' for over {wait_s:.0f}s",
                hint="wait for it to finish and re-run; delete that registered model only if no "
                "promotion runs",
            )
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 1.5, MAX_POLL_S)
    lease = Lease(client, model, token, lease_s, sent)
    lease.start()
    try:
        yield lease
    finally:
        lease.stop()
        try:
            _delete(client, name, token, only_if_expired=False)
        except Exception as exc:  # the lease expires on its own; the outcome of the block stands
            runner.warning(f"could not release the promotion lock '{name}': {first_line(exc)}")
