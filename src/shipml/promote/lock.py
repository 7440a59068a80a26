"""A registry-side mutex so that check-champion-then-move-it is atomic among shipml promoters.

MLflow aliases are plain upserts: two promotions that both read "champion = v1"
would both move it and both report success. Creating a registered model, however,
is atomic (its name is a primary key and a second create fails with
RESOURCE_ALREADY_EXISTS), so a short-lived model named after the real one serves
as the lock, in the same registry and with the same credentials as the aliases.
A lease tag lets the next promoter break a lock left behind by a crashed one.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import PolicyFailed

if TYPE_CHECKING:
    from mlflow import MlflowClient

OWNER = "shipml.lock.owner"
EXPIRES = "shipml.lock.expires"
SUFFIX = ".shipml-promotion-lock"


def lock_name(model: str) -> str:
    return f"{model}{SUFFIX}"


@dataclass(frozen=True)
class Holder:
    owner: str
    expires: float


def _holder(client: MlflowClient, name: str) -> Holder | None:
    from mlflow.exceptions import MlflowException

    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise
    tags = model.tags or {}
    try:
        expires = float(tags.get(EXPIRES, "0"))
    except ValueError:
        expires = 0.0
    return Holder(tags.get(OWNER, ""), expires)


def _delete_if_owned(client: MlflowClient, name: str, owner: str) -> None:
    from mlflow.exceptions import MlflowException

    holder = _holder(client, name)
    if holder is None or holder.owner != owner:
        return
    try:
        client.delete_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise


@contextmanager
def registry_lock(
    client: MlflowClient, model: str, *, lease_s: float = 30.0, wait_s: float = 60.0, poll_s: float = 0.2
) -> Iterator[str]:
    """Hold the promotion lock of ``model`` for the duration of the block; yield the owner token.

    Waits while another promoter holds it (their critical section takes well under a
    second); breaks a lock whose lease expired, which only a crash leaves behind.
    """
    from mlflow.exceptions import MlflowException

    name = lock_name(model)
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_s
    while True:
        try:
            client.create_registered_model(
                name,
                tags={OWNER: token, EXPIRES: f"{time.time() + lease_s:.3f}"},
                description=f"shipml promotion lock for '{model}'; held for under a second. "
                "Safe to delete when no `shipml promote` is running.",
            )
            break
        except MlflowException as exc:
            # The server answers a create that collided with an existing name by looking that
            # model up; if its holder deleted it in between, the answer is RESOURCE_DOES_NOT_EXIST.
            # Both mean "someone else had it a moment ago": nothing was created, try again.
            if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "RESOURCE_DOES_NOT_EXIST"):
                raise
        holder = _holder(client, name)
        if holder is not None and holder.expires < time.time():
            _delete_if_owned(client, name, holder.owner)  # a crashed promoter's stale lock
            continue
        if time.monotonic() > deadline:
            raise PolicyFailed(
                f"another promotion of '{model}' has held the lock '{name}' for over {wait_s:.0f}s",
                hint="wait for it to finish and re-run; delete that registered model only if no "
                "promotion runs",
            )
        time.sleep(poll_s * (0.5 + random.random()))
    try:
        yield token
    finally:
        _delete_if_owned(client, name, token)
