"""``shipml doctor``'s details: what this machine can do."""

from __future__ import annotations

from pydantic import Field

from ._base import Contract


class Check(Contract):
    name: str
    ok: bool
    detail: str = ""


class DoctorDetails(Contract):
    checks: list[Check] = Field(default_factory=list)
    extras: list[str] = Field(default_factory=list)
