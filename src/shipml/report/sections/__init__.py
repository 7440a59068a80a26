"""One renderer per result type, shared by a step's job summary and the PR comment.

Each module ``shipml.report.sections.<command>`` has ``render(result) -> str``
(the step's job summary) and ``sections(result, ...)`` (the building blocks the
PR comment assembles); the first is the second rendered on its own, so the two
can never disagree. Commands without a module of their own (or a result whose
details cannot be read) go through :mod:`.generic`.

Section modules import only pydantic contracts and the report's vocabulary:
``shipml comment`` must not import the ML stack.
"""

from __future__ import annotations

import importlib
from typing import Protocol, cast

from ...results import Result


class SectionModule(Protocol):
    def render(self, result: Result) -> str: ...


def module_for(command: str) -> SectionModule:
    """The section declared for ``command`` in the command registry; generic for the others.

    Results of unknown or newer commands (written by another shipml) fall back to generic.
    """
    from ...commands import REGISTRY

    declared = REGISTRY.get(command)
    path = declared.section if declared is not None and declared.section else f"{__name__}.generic"
    return cast(SectionModule, importlib.import_module(path))


def render(result: Result) -> str:
    """The job-summary markdown of any result."""
    return module_for(result.command).render(result)


def summarised(result: Result) -> Result:
    """``result`` with its ``summary_md`` rendered by its section (what a command records)."""
    return result.model_copy(update={"summary_md": render(result)})
