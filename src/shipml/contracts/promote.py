"""``details`` of a promote result: which version the champion alias points at now, and what it replaced.

Written by ``shipml promote`` (:mod:`shipml.promote.promotion`); read by ``shipml
comment``. Add fields, never rename them.
"""

from __future__ import annotations

from pydantic import Field

from ._base import Contract


class PromoteDetails(Contract):
    registered_model: str
    action: str = Field(description='"promoted", "rolled_back" or "noop"; readers show others generically.')
    champion_version: str | None
    previous_version: str | None
    alias: str
    # Always written by shipml promote; optional so files without it (hand-written ones) still render.
    message: str | None = None
    store: str | None = Field(
        default=None,
        description="Where the registry lives, without the server's address, e.g. 'MLflow tracking server' "
        "or 'job-local sqlite store, discarded at job end'.",
    )
