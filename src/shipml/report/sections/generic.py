"""Results without a section of their own: a newer command, an error, details this version cannot read.

A newer pipeline still shows up through the ``summary_md`` its command wrote
(sanitised); an errored command says that it could not finish, and a failed one
says so with its reason (a refused promotion is a decision, not a crash).
"""

from __future__ import annotations

from ...results import Result
from .. import markdown as md
from ..limits import Section
from .common import heading, untrusted_lines


def status_line(result: Result) -> str:
    """``❌ `promote` failed: <reason>``, from the typed status and the one-line summary."""
    words = md.STATUS_WORDS.get(result.status, result.status)
    line = f"{md.icon(result.status)} `{md.cell(result.command)}` {words}"
    if result.status == "error":
        return f"{line}: {md.cell(result.summary or 'no summary', 300)}"
    return line + (f": {md.cell(result.summary, 300)}" if result.summary else "")


def lines(result: Result) -> list[str]:
    """The command's own markdown when it wrote some (and did not crash), else its status line."""
    if result.status != "error":
        own = untrusted_lines(result.summary_md)
        if own:
            return own
    return [status_line(result)]


def sections(result: Result, title: str) -> list[Section]:
    return [Section(title, lines(result))]


def render(result: Result) -> str:
    if result.summary_md and result.status != "error":
        return result.summary_md if result.summary_md.endswith("\n") else result.summary_md + "\n"
    return heading(result) + "\n\n" + status_line(result) + "\n"
