"""Move ``champion`` to a gated version, or back to ``previous-champion``, so that "promoted" is true.

Every step is re-derived from the registry's current state inside the promotion
lock (:mod:`shipml.mlflow_api.lock`), and writes are ordered so that a crash at
any point leaves a state the next run recognises: the intent tags first
(``shipml.promotion.status=pending``), then ``previous-champion``, then
``champion`` (the commit point), then ``status=promoted`` and the bookkeeping
on the replaced version.

Fencing. The lock's lease can lapse while its holder is stalled (a registry
that stops answering for longer than the lease), and a waiter then breaks it.
So immediately before the commit point the holder proves it still owns the lock
and that ``champion`` is still the version the gate compared against, and
immediately after it proves both again (and that ``champion`` is its version).
Any failure is reported as a failure (exit 1, or 3 when the registry could not
be reached), never as success, and the version's status tag says what happened
(``superseded``: the move did not stick; ``unconfirmed``: it moved, but the
lock was lost, so a re-run must confirm it).

What cannot be prevented: MLflow has no compare-and-set on aliases, so a holder
that stalls for a whole lease in the milliseconds between its last check and
its alias write can still overwrite a newer champion. The check after the
write catches a move that was overwritten; :func:`reconcile`, run by every
promotion and rollback inside the lock, repairs status tags that disagree with
the aliases afterwards. See ``docs/promotion.md``.
"""

from __future__ import annotations

import contextlib
import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import runner
from ..contracts import tags as T
from ..contracts.promote import PromoteDetails
from ..errors import InputDataError, PolicyFailed, first_line
from ..mlflow_api.lock import Lease, LockLost, registry_lock
from ..mlflow_api.registry import alias_version, all_versions, set_tags, version_tags
from .gate_decision import GateDecision

if TYPE_CHECKING:
    from mlflow import MlflowClient


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
        f"{prefix}at": T.now_iso(),
        f"{prefix}reason": reason[: T.MAX_TAG_VALUE],
        f"{prefix}run_url": ctx.run_url or "",
        f"{prefix}commit": ctx.commit or "",
        **{f"{prefix}{key}": value or "" for key, value in extra.items()},
    }
    return {key: value for key, value in tags.items() if value}


def _mark(client: MlflowClient, model: str, version: str, status: T.PromotionStatus) -> None:
    """Best effort: the registry may be the thing that failed, and the original error matters more."""
    with contextlib.suppress(Exception):
        client.set_model_version_tag(model, version, T.STATUS, status)


def reconcile(client: MlflowClient, model: str, champion: str | None) -> list[str]:
    """Make the status tags agree with the champion alias; say what was repaired.

    A version tagged ``promoted`` that is not champion, was never replaced by a
    later promotion and never rolled back claims a move that did not stick; a
    ``pending``/``unconfirmed`` version that *is* champion did stick.
    """
    repaired = []
    for mv in all_versions(client, model):
        version, tags = str(mv.version), dict(mv.tags or {})
        status = tags.get(T.STATUS)
        if status is None:
            continue
        if version == champion and status in ("pending", "unconfirmed"):
            client.set_model_version_tag(model, version, T.STATUS, "promoted")
            repaired.append(f"version {version} is champion: status {status} -> promoted")
        elif (
            version != champion
            and status in ("promoted", "pending", "unconfirmed")
            and T.REPLACED_BY not in tags
            and T.DEMOTED_AT not in tags
        ):
            client.set_model_version_tag(model, version, T.STATUS, "superseded")
            repaired.append(f"version {version} is not champion: status {status} -> superseded")
    for line in repaired:
        runner.warning(f"{model}: registry tags disagreed with the aliases; repaired: {line}")
    return repaired


def _fence(lease: Lease, client: MlflowClient, alias: str, want: str | None, doing: str) -> None:
    """We still hold the lock and ``alias`` still points at ``want``, or raise."""
    lease.verify(doing)
    now = alias_version(client, lease.model, alias)
    if now != want:
        raise PolicyFailed(
            f"'{alias}' of {lease.model} moved under the promotion lock before {doing}: "
            f"it is version {now or 'unset'}, expected {want or 'unset'}",
            hint="another promoter broke the lock after its lease ran out; re-run the gate and promote",
        )


def promote(
    client: MlflowClient, decision: GateDecision, aliases: Aliases, *, reason: str | None = None
) -> PromoteDetails:
    """Make ``decision.version`` the champion iff the champion is still what the gate compared against."""
    model, target, expected = decision.registered_model, decision.version, decision.champion_version
    decision.require_passed()
    decision.require_not_stale(version_tags(client, model, target))
    with registry_lock(client, model) as lease:
        champion = alias_version(client, model, aliases.champion)
        previous = alias_version(client, model, aliases.previous)
        repaired = reconcile(client, model, champion)
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
                message=f"version {target} is already '{aliases.champion}'" + _note(repaired),
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
        intent = _provenance(T.PROMOTION, why, from_version=expected or T.NO_CHAMPION, gate=decision.source)
        set_tags(client, model, target, {**intent, T.STATUS: "pending"})
        try:
            _fence(lease, client, aliases.champion, expected, f"moving '{aliases.champion}'")
        except BaseException:
            _mark(client, model, target, "superseded")
            raise
        if expected:
            client.set_registered_model_alias(model, aliases.previous, expected)
        client.set_registered_model_alias(model, aliases.champion, target)  # the commit point
        confirmed = ""
        try:
            _fence(lease, client, aliases.champion, target, "confirming the move")
        except LockLost as exc:
            _mark(client, model, target, "unconfirmed")
            _confirm_under_fresh_lock(client, model, target, aliases.champion, exc)
            confirmed = "; confirmed under a fresh lock after the first one was lost"
        except BaseException:
            _mark(client, model, target, "superseded")
            raise
        client.set_model_version_tag(model, target, T.STATUS, "promoted")
        if expected:
            client.set_model_version_tag(model, expected, T.REPLACED_BY, target)
        return PromoteDetails(
            registered_model=model,
            action="promoted",
            champion_version=target,
            previous_version=expected or (previous if previous != target else None),
            alias=aliases.champion,
            message=f"'{aliases.champion}' moved from {f'version {expected}' if expected else 'nothing'} "
            f"to version {target}" + confirmed + _note(repaired),
        )


def _confirm_under_fresh_lock(
    client: MlflowClient, model: str, target: str, alias: str, lost: LockLost
) -> None:
    """After a move made while our lock was being broken: did it stick? Ask again under the lock.

    Whoever took the lock either finished (and refused, since ``alias`` had moved, or
    moved it again) or is fenced out by our new lock; so ``alias`` still pointing at
    ``target`` now means the move stuck.
    """
    with registry_lock(client, model):
        now = alias_version(client, model, alias)
        if now != target:
            _mark(client, model, target, "superseded")
            raise PolicyFailed(
                f"promotion of {model} version {target} did not stick: {lost.message}, and "
                f"'{alias}' is now version {now or 'unset'}",
                hint="another promoter moved it after this one's lease ran out; re-run the gate against "
                "the current champion if this version should still replace it",
            )


def _note(repaired: list[str]) -> str:
    return f" (repaired stale tags: {'; '.join(repaired)})" if repaired else ""


def rollback(
    client: MlflowClient,
    model: str,
    aliases: Aliases,
    *,
    reason: str | None = None,
    version: str | None = None,
) -> PromoteDetails:
    """Point ``champion`` back at ``previous-champion`` and drop the latter, so a re-run is a no-op.

    With ``version`` (a release rolling back *its own* promotion) nothing happens unless that
    version is still champion: a later release's champion is never undone by an earlier one's
    failure. It also allows undoing a first promotion (no champion before it): the alias is
    withdrawn, which is the registry's state before that release. Without ``version`` that
    stays an error, so a hand-typed rollback never leaves a model without a champion.
    """
    with registry_lock(client, model) as lease:
        champion = alias_version(client, model, aliases.champion)
        previous = alias_version(client, model, aliases.previous)
        repaired = reconcile(client, model, champion)
        if version is not None and champion != version:
            return _not_champion(client, model, aliases, version, champion)
        if (
            previous is None
            and version is not None
            and champion is not None
            and version_tags(client, model, champion).get(T.FROM_VERSION) == T.NO_CHAMPION
        ):  # the registry is read only when a first champion is what could be rolled back
            return _withdraw_first(client, lease, model, aliases, champion, reason, repaired)
        if previous is None:
            restored_from = version_tags(client, model, champion).get(T.ROLLBACK_FROM) if champion else None
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
                hint="promote sets it when it replaces a champion; set it by hand to roll back elsewhere "
                "(to withdraw a first champion, name it: --rollback --version N)",
            )
        if previous != champion:
            why = reason or f"rollback from version {champion or 'none'}"
            set_tags(client, model, previous, _provenance(T.ROLLBACK, why, from_version=champion or "none"))
            if champion:
                client.set_model_version_tag(model, champion, T.DEMOTED_AT, T.now_iso())
            _fence(lease, client, aliases.champion, champion, f"rolling '{aliases.champion}' back")
            client.set_registered_model_alias(model, aliases.champion, previous)  # the commit point
            rolled_from = champion
        else:  # a previous run crashed after the commit point
            rolled_from = version_tags(client, model, previous).get(T.ROLLBACK_FROM)
        client.delete_registered_model_alias(model, aliases.previous)
        try:
            client.set_model_version_tag(model, previous, T.STATUS, "promoted")
        except Exception as exc:
            runner.warning(f"could not tag {model} version {previous} as champion: {first_line(exc)}")
        return PromoteDetails(
            registered_model=model,
            action="rolled_back",
            champion_version=previous,
            previous_version=rolled_from,
            alias=aliases.champion,
            message=f"'{aliases.champion}' rolled back from version {rolled_from or 'none'} "
            f"to version {previous}" + _note(repaired),
        )


def _not_champion(
    client: MlflowClient, model: str, aliases: Aliases, version: str, champion: str | None
) -> PromoteDetails:
    """The version to roll back is no longer champion: already rolled back, or replaced since."""
    tags = version_tags(client, model, version)
    if T.DEMOTED_AT in tags:
        why = f"already rolled back: version {version} was demoted at {tags[T.DEMOTED_AT]}"
    else:
        now = f"version {champion}" if champion else "unset"
        why = f"version {version} is not '{aliases.champion}' (that is {now})"
        runner.warning(f"{model}: {why}; nothing rolled back, '{aliases.champion}' left as it is")
    return PromoteDetails(
        registered_model=model,
        action="noop",
        champion_version=champion,
        previous_version=alias_version(client, model, aliases.previous),
        alias=aliases.champion,
        message=why,
    )


def _withdraw_first(
    client: MlflowClient,
    lease: Lease,
    model: str,
    aliases: Aliases,
    champion: str,
    reason: str | None,
    repaired: list[str],
) -> PromoteDetails:
    """Undo a first promotion: before it no version was champion, so none is after the rollback."""
    why = reason or f"rollback of the first champion, version {champion}"
    set_tags(client, model, champion, _provenance(T.ROLLBACK, why, from_version=champion))
    client.set_model_version_tag(model, champion, T.DEMOTED_AT, T.now_iso())
    _fence(lease, client, aliases.champion, champion, f"withdrawing '{aliases.champion}'")
    client.delete_registered_model_alias(model, aliases.champion)  # the commit point
    return PromoteDetails(
        registered_model=model,
        action="rolled_back",
        champion_version=None,
        previous_version=champion,
        alias=aliases.champion,
        message=f"'{aliases.champion}' withdrawn from version {champion}, the first champion: as before "
        "its promotion, no version is champion" + _note(repaired),
    )
