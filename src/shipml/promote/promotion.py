"""Move ``champion`` to a gated version, or back to ``previous-champion``, so a re-run converges.

Every step is re-derived from the registry's current state inside the lock, and
writes are ordered so that a crash at any point leaves a state the next run
recognises: the intent tags first, then ``previous-champion``, then ``champion``
(the commit point), then the bookkeeping on the replaced version.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import runner
from ..contracts.promote import PromoteDetails
from ..errors import InputDataError, PolicyFailed
from . import decision as gate_decision
from .lock import registry_lock
from .registry import alias_version, version_tags

if TYPE_CHECKING:
    from mlflow import MlflowClient

PROMOTION = "shipml.promotion."
ROLLBACK = "shipml.rollback."
REPLACED_BY = PROMOTION + "replaced_by"


@dataclass(frozen=True)
class Aliases:
    champion: str
    previous: str


def who() -> str:
    actor = runner.run_context().actor
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _provenance(prefix: str, reason: str, **extra: str | None) -> dict[str, str]:
    ctx = runner.run_context()
    tags = {
        f"{prefix}by": who(),
        f"{prefix}at": gate_decision.now_iso(),
        f"{prefix}reason": reason[: gate_decision.MAX_TAG_VALUE],
        f"{prefix}run_url": ctx.run_url or "",
        f"{prefix}commit": ctx.commit or "",
        **{f"{prefix}{key}": value or "" for key, value in extra.items()},
    }
    return {key: value for key, value in tags.items() if value}


def _set_tags(client: MlflowClient, model: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        client.set_model_version_tag(model, version, key, value)


def promote(
    client: MlflowClient, decision: gate_decision.GateDecision, aliases: Aliases, *, reason: str | None = None
) -> PromoteDetails:
    """Make ``decision.version`` the champion iff the champion is still what the gate compared against."""
    model, target, expected = decision.registered_model, decision.version, decision.champion_version
    decision.require_passed()
    decision.require_not_stale(version_tags(client, model, target))
    with registry_lock(client, model):
        champion = alias_version(client, model, aliases.champion)
        previous = alias_version(client, model, aliases.previous)
        if champion == target:
            # Done before (possibly by a run that crashed right after the commit point): finish bookkeeping.
            if expected and expected != target and previous != expected:
                client.set_registered_model_alias(model, aliases.previous, expected)
                previous = expected
            return PromoteDetails(
                registered_model=model,
                action="noop",
                champion_version=target,
                previous_version=previous,
                alias=aliases.champion,
                message=f"version {target} is already '{aliases.champion}'",
            )
        if champion != expected:
            seen = f"version {expected}" if expected else "no champion"
            now = f"version {champion}" if champion else "unset"
            raise PolicyFailed(
                f"refusing to promote {model} version {target}: '{aliases.champion}' moved since the gate "
                f"({decision.source}) compared against {seen}; it is now {now}",
                hint="re-run the gate against the current champion, then promote",
            )
        why = reason or decision.summary or f"gate verdict {decision.verdict}"
        _set_tags(
            client,
            model,
            target,
            _provenance(
                PROMOTION, why, from_version=expected or gate_decision.NO_CHAMPION, gate=decision.source
            ),
        )
        if expected:
            client.set_registered_model_alias(model, aliases.previous, expected)
        client.set_registered_model_alias(model, aliases.champion, target)  # the commit point
        if expected:
            client.set_model_version_tag(model, expected, REPLACED_BY, target)
        return PromoteDetails(
            registered_model=model,
            action="promoted",
            champion_version=target,
            previous_version=expected or (previous if previous != target else None),
            alias=aliases.champion,
            message=f"'{aliases.champion}' moved from {f'version {expected}' if expected else 'nothing'} "
            f"to version {target}",
        )


def rollback(
    client: MlflowClient, model: str, aliases: Aliases, *, reason: str | None = None
) -> PromoteDetails:
    """Point ``champion`` back at ``previous-champion`` and drop the latter, so a re-run is a no-op."""
    with registry_lock(client, model):
        champion = alias_version(client, model, aliases.champion)
        previous = alias_version(client, model, aliases.previous)
        if previous is None:
            restored_from = (
                version_tags(client, model, champion).get(ROLLBACK + "from_version") if champion else None
            )
            if champion and restored_from:
                return PromoteDetails(
                    registered_model=model,
                    action="noop",
                    champion_version=champion,
                    previous_version=restored_from,
                    alias=aliases.champion,
                    message=f"already rolled back: version {champion} replaced version {restored_from}",
                )
            raise InputDataError(
                f"registered model '{model}' has no '{aliases.previous}' alias: nothing to roll back to",
                hint="promote sets it when it replaces a champion; set it by hand to roll back elsewhere",
            )
        if previous != champion:
            why = reason or f"rollback from version {champion or 'none'}"
            _set_tags(client, model, previous, _provenance(ROLLBACK, why, from_version=champion or "none"))
            if champion:
                client.set_model_version_tag(
                    model, champion, gate_decision.DEMOTED_AT, gate_decision.now_iso()
                )
            client.set_registered_model_alias(model, aliases.champion, previous)  # the commit point
            rolled_from = champion
        else:  # a previous run crashed after the commit point
            rolled_from = version_tags(client, model, previous).get(ROLLBACK + "from_version")
        client.delete_registered_model_alias(model, aliases.previous)
        return PromoteDetails(
            registered_model=model,
            action="rolled_back",
            champion_version=previous,
            previous_version=rolled_from,
            alias=aliases.champion,
            message=f"'{aliases.champion}' rolled back from version {rolled_from or 'none'} "
            f"to version {previous}",
        )
