"""The GitHub side of the audit trail: a Deployment per deploy, its statuses, and who approved it.

A GitHub Deployment with ``in_progress`` then ``success``/``failure`` statuses is what
makes the repository's Environments page show what runs where; GitHub marks the
older successful deployments of the environment ``inactive`` by itself
(``auto_inactive``). The approver comes from the run's environment approvals
(``/actions/runs/{id}/approvals``): the person who clicked "Approve and deploy" for
this environment. Nothing is recorded outside Actions (no token, no repository):
a local deploy still writes the cluster-side annotations.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import runner
from ..github_api.client import Settings, api_url, calling, connect, token_from_env

if TYPE_CHECKING:
    from github.Deployment import Deployment
    from github.Repository import Repository


@dataclass
class GitHubRecord:
    """An open GitHub Deployment of this run, or a no-op when there is no GitHub to record to."""

    repo: Repository | None
    settings: Settings
    deployment: Deployment | None = None

    @property
    def enabled(self) -> bool:
        return self.repo is not None

    def approvers(self, run_id: str | None, environment: str) -> list[str]:
        """Logins that approved this run's deployment to ``environment`` (in order)."""
        if self.repo is None or not run_id:
            return []
        with calling(f"reading the approvals of run {run_id}", self.settings):
            _, data = self.repo._requester.requestJsonAndCheck(
                "GET", f"{self.repo.url}/actions/runs/{run_id}/approvals"
            )
        found: list[str] = []
        for approval in data if isinstance(data, list) else []:
            names = [str(e.get("name")) for e in approval.get("environments") or []]
            login = str((approval.get("user") or {}).get("login") or "")
            if approval.get("state") == "approved" and environment in names and login and login not in found:
                found.append(login)
        return found

    def start(
        self, *, ref: str, environment: str, description: str, payload: dict[str, Any], log_url: str | None
    ) -> int | None:
        if self.repo is None:
            return None
        with calling(f"creating a GitHub Deployment to {environment}", self.settings):
            self.deployment = self.repo.create_deployment(
                ref,
                environment=environment,
                required_contexts=[],
                auto_merge=False,
                payload=payload,
                description=description[:140],
                production_environment=environment == "production",
                transient_environment=False,
            )
            self._status("in_progress", description, log_url, None)
        return int(self.deployment.id)

    def finish(self, state: str, description: str, log_url: str | None, environment_url: str | None) -> None:
        """``success``, ``failure`` or ``error`` on this run's Deployment."""
        if self.deployment is None:
            return
        with calling(f"setting GitHub Deployment {self.deployment.id} to {state}", self.settings):
            self._status(state, description, log_url, environment_url)

    def _status(self, state: str, description: str, log_url: str | None, environment_url: str | None) -> None:
        assert self.deployment is not None
        kwargs: dict[str, Any] = {"description": description[:140], "auto_inactive": True}
        if log_url:
            kwargs["log_url"] = log_url
        if environment_url:
            kwargs["environment_url"] = environment_url
        self.deployment.create_status(state, **kwargs)


def open_record(api: str | None, retries: int, backoff: float) -> GitHubRecord:
    """A record for ``$GITHUB_REPOSITORY`` with ``$GITHUB_TOKEN``; disabled when either is missing."""
    settings = Settings(api_url=api_url(api), retries=retries, backoff=backoff)
    token = token_from_env()
    repository = runner.run_context().repository
    if not token or not repository or os.environ.get("SHIPML_DEPLOY_GITHUB", "") == "false":
        return GitHubRecord(None, settings)
    gh = connect(token, settings)
    with calling(f"reading repository {repository}", settings):
        repo = gh.get_repo(repository)
    return GitHubRecord(repo, settings)
