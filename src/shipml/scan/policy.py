"""Which findings fail the step: severities, unfixed ones, and an allow-list that expires.

An allow-list entry is a decision someone made for a while ("no fix upstream yet,
not reachable from our code") and must be revisited: each entry carries a reason
and an expiry date. An expired entry stops allowing (the finding blocks again) and
a malformed one never allows anything; both are reported as warnings pointing at
their line in shipml.yaml rather than as config errors, so the scan still runs
and the report shows everything, but nothing is let through by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import runner
from ..contracts.scan import AllowNote, Finding
from ..runner import display_path

if TYPE_CHECKING:
    from ..config import ShipmlConfig


class AllowEntry(BaseModel):
    """One accepted finding (``scan.allow[i]``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    expires: date
    package: str | None = None

    @field_validator("reason")
    @classmethod
    def _reason_says_something(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give a reason")
        return value.strip()

    def matches(self, finding: Finding) -> bool:
        return finding.id == self.id and (self.package is None or finding.package == self.package)


@dataclass(frozen=True)
class Policy:
    fail_on: frozenset[str]
    ignore_unfixed: bool
    allow: tuple[AllowEntry, ...]


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "entry"
    return f"{key}: {err['msg']}"


def load_allow_list(
    cfg: ShipmlConfig, today: date | None = None
) -> tuple[tuple[AllowEntry, ...], list[AllowNote]]:
    """The active entries, and a note (warned with file:line) for every entry."""
    today = today or datetime.now(timezone.utc).date()
    active: list[AllowEntry] = []
    notes: list[AllowNote] = []
    source = display_path(cfg.source) if cfg.source else None
    for index, raw in enumerate(cfg.scan.allow):
        line = cfg.line_of("scan", "allow", index)
        raw_id = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else None
        try:
            entry = AllowEntry.model_validate(raw)
        except ValidationError as exc:
            message = (
                f"scan.allow[{index}] is malformed ({_describe(exc)}) and allows nothing; "
                "write {id, reason, expires: YYYY-MM-DD}"
            )
            runner.warning(message, file=source, line=line, title="shipml scan: allow-list")
            notes.append(AllowNote(index=index, id=raw_id, state="malformed", message=message, line=line))
            continue
        if entry.expires < today:
            message = (
                f"scan.allow[{index}] for {entry.id} expired on {entry.expires.isoformat()} and no longer "
                f"allows it; fix the finding or renew the entry with a new reason"
            )
            runner.warning(message, file=source, line=line, title="shipml scan: allow-list")
            notes.append(AllowNote(index=index, id=entry.id, state="expired", message=message, line=line))
            continue
        active.append(entry)
        notes.append(
            AllowNote(
                index=index,
                id=entry.id,
                state="active",
                message=f"until {entry.expires.isoformat()}: {entry.reason}",
                line=line,
            )
        )
    return tuple(active), notes


def apply(findings: list[Finding], policy: Policy) -> list[Finding]:
    """Copies of ``findings`` with ``blocking`` and ``allowed`` decided."""
    decided = []
    for finding in findings:
        blocking = finding.severity in policy.fail_on
        allowed = None
        if blocking and policy.ignore_unfixed and finding.kind == "vulnerability" and not finding.fixed:
            blocking = False
        if blocking:
            for entry in policy.allow:
                if entry.matches(finding):
                    blocking, allowed = False, entry.reason
                    break
        decided.append(finding.model_copy(update={"blocking": blocking, "allowed": allowed}))
    return decided
