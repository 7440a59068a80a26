"""Start another workflow (``workflow_dispatch``), e.g. retraining when a scheduled check finds drift.

GitHub accepts the workflow's file name (``retrain.yml``) or its numeric id, and
runs it at ``ref`` only if that workflow declares ``on: workflow_dispatch``: the
422 it answers otherwise is passed on as one line. Needs ``actions: write``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UsageError
from .client import Settings, calling

if TYPE_CHECKING:
    from github.Repository import Repository

PERMISSION_HINT = "grant the job `permissions: actions: write` (needed to start another workflow)"


def workflow_name(value: str) -> str:
    """``retrain.yml``, ``.github/workflows/retrain.yml`` or an id -> what the API takes."""
    name = value.strip().rsplit("/", 1)[-1]
    if not name or not (name.isdigit() or name.endswith((".yml", ".yaml"))):
        raise UsageError(
            f"--dispatch {value!r} is not a workflow file name or id",
            hint="pass the file name of a workflow in .github/workflows/, e.g. --dispatch retrain.yml",
        )
    return name


def dispatch(
    repo: Repository, workflow: str, ref: str, inputs: dict[str, str], settings: Settings, *, where: str
) -> None:
    """Ask GitHub to run ``workflow`` at ``ref``; it answers 204 and queues the run."""
    from github import GithubException

    name = workflow_name(workflow)
    with calling(
        f"dispatching workflow {name} at {ref} in {where}", settings, forbidden_hint=PERMISSION_HINT
    ):
        try:
            # lazy client: no GET of the workflow, the POST itself answers 404 for a missing one
            repo.get_workflow(name).create_dispatch(ref, inputs, throw=True)
        except GithubException as exc:
            if exc.status == 404:
                raise UsageError(
                    f"no workflow {name!r} in {where} (404)",
                    hint="pass --dispatch the file name of a workflow in .github/workflows/ on the default "
                    "branch that has `on: workflow_dispatch`",
                ) from None
            raise
