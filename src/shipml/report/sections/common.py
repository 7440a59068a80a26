"""What every section module shares: reading details tolerantly and the job-summary frame."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from pydantic import ValidationError

from ...contracts._base import Contract
from ...results import Result
from .. import limits
from .. import markdown as md
from ..limits import Section

C = TypeVar("C", bound=Contract)


def parse(model: type[C], result: Result, warnings: list[str]) -> C | None:
    """The typed details, or None with a warning saying what could not be read."""
    try:
        return model.model_validate(result.details)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        warnings.append(
            f"could not read the details of `{result.command}` ({where}: {first['msg']}); "
            "showing its summary."
        )
        return None


def untrusted_lines(markdown: str) -> list[str]:
    """A command's own summary_md: keep it, but never let it carry a sticky-comment marker."""
    text = re.sub(r"<!--\s*shipml:", "<!-- quoted-shipml:", markdown.strip())
    return limits.balance(text.splitlines()) if text else []


def heading(result: Result, words: str | None = None) -> str:
    """``### shipml gate: ❌ failed``: the first line of every job summary."""
    status = f"{md.icon(result.status)} {words}" if words else md.status_text(result.status)
    return f"### shipml {result.command}: {status}"


def standalone(result: Result, sections: Sequence[Section], words: str | None = None) -> str:
    """Sections rendered whole under the heading: the step's job summary."""
    parts = [heading(result, words), *(s.render() for s in sections)]
    return "\n\n".join(parts) + "\n"


def suffix(index: int, count: int) -> str:
    """`` (2 of 3)`` after a title when a command ran several times."""
    return f" ({index + 1} of {count})" if count > 1 else ""


def store_note(store: str | None) -> str:
    """A sentence warning that the registry was job-local; empty for a real tracking server.

    A green step on a store that is deleted with the job kept nothing: the reader must see that.
    """
    if store and store.startswith("job-local"):
        what = md.cell(store)
        return f" {md.WARNING} The MLflow store was a {what}: nothing recorded here outlives the job."
    return ""
