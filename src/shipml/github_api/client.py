"""A PyGithub client that retries like GitHub asks, and errors that say what to do.

PyGithub's default retry retries 5xx immediately without backoff and never
retries PATCH, so a flaky edit of the sticky comment would fail the job. The
retry here backs off exponentially on 5xx and 429, honours ``Retry-After`` and
secondary rate limits (GitHub answers those with a 403), and covers every
method we send. Every exception PyGithub or requests can raise is turned into
one line with the right exit code; the token is masked and never printed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import __version__, runner
from ..errors import InfrastructureUnreachable, InputDataError, ShipmlError, UsageError, require

if TYPE_CHECKING:
    from github import Github

DEFAULT_API_URL = "https://api.github.com"
RETRIED_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"})
SECONDARY_RATE_WAIT = 60.0  # GitHub: wait at least a minute when no Retry-After is given
MAX_RATE_LIMIT_WAIT = 300.0

FORK_HINT = (
    "pull requests from forks get a read-only GITHUB_TOKEN, so post from a second workflow: the PR "
    "workflow uploads its result files and a pr-number file as an artifact, and an `on: workflow_run` "
    "workflow downloads it and runs `shipml comment --results DIR` (see `shipml comment --help`); for "
    "branches of this repository, grant `permissions: pull-requests: write` (and `statuses: write` for "
    "--status-context)"
)


@dataclass(frozen=True)
class Settings:
    api_url: str
    retries: int = 5
    backoff: float = 1.0
    timeout: int = 15
    write_interval: float = 1.0


def api_url(configured: str | None) -> str:
    return (configured or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def token_from_env() -> str | None:
    """``GITHUB_TOKEN`` (what the action passes), else ``GH_TOKEN`` (the gh CLI's name)."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def connect(token: str, settings: Settings, *, debug: bool = False) -> Github:
    """A client for ``settings.api_url``; PyGithub's INFO log (one line per retry) only with ``debug``."""
    require("github", "comment")
    import logging

    from github import Auth, Github, GithubRetry

    runner.mask(token)
    debug = (
        debug or os.environ.get("RUNNER_DEBUG") == "1" or os.environ.get("SHIPML_DEBUG", "") in ("1", "true")
    )
    logging.getLogger("github").setLevel(logging.INFO if debug else logging.WARNING)
    retry = GithubRetry(
        total=settings.retries,
        backoff_factor=settings.backoff,
        backoff_max=60,
        status_forcelist=[*range(500, 600), 429],
        allowed_methods=RETRIED_METHODS,
        secondary_rate_wait=SECONDARY_RATE_WAIT,
        max_rate_limit_wait=MAX_RATE_LIMIT_WAIT,
    )
    return Github(
        base_url=settings.api_url,
        auth=Auth.Token(token),
        retry=retry,
        timeout=settings.timeout,
        per_page=100,
        user_agent=f"shipml/{__version__}",
        seconds_between_requests=None,
        seconds_between_writes=settings.write_interval or None,
        lazy=True,
    )


def _message(exc: Any) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        text = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("message"):
            text = f"{text}: {errors[0]['message']}" if text else str(errors[0]["message"])
        if text:
            return " ".join(text.split())
    return str(getattr(exc, "message", None) or type(exc).__name__)


@contextmanager
def calling(what: str, settings: Settings, *, forbidden_hint: str = FORK_HINT) -> Iterator[None]:
    """Translate what PyGithub and requests raise while doing ``what`` into shipml errors.

    ``forbidden_hint`` is the fix for a 403: which permission the job lacks for this call.
    """
    import requests
    from github import GithubException
    from github.GithubException import BadCredentialsException, RateLimitExceededException

    attempts = settings.retries + 1
    try:
        yield
    except ShipmlError:
        raise
    except RateLimitExceededException as exc:
        raise InfrastructureUnreachable(
            f"GitHub rate limit hit while {what} ({_message(exc)}) and it did not clear within "
            f"{attempts} attempts",
            hint="re-run the job later; GitHub's secondary limits clear within minutes",
        ) from None
    except BadCredentialsException:
        raise UsageError(
            f"GitHub rejected the token while {what} (401 Bad credentials)",
            hint="pass a valid token (the action's `token` input, default github.token) in GITHUB_TOKEN",
        ) from None
    except GithubException as exc:
        status = exc.status
        if status == 403:
            raise InfrastructureUnreachable(
                f"GitHub refused {what} (403: {_message(exc)}): the token cannot write here",
                hint=forbidden_hint,
            ) from None
        if status >= 500:
            raise InfrastructureUnreachable(
                f"GitHub API at {settings.api_url} kept failing while {what} ({status}: {_message(exc)}) "
                f"after {attempts} attempts",
                hint="re-run the job; check https://www.githubstatus.com",
            ) from None
        if status == 404:
            raise InputDataError(
                f"GitHub answered 404 Not Found while {what}",
                hint="check --repo and --pr-number, and that the token can see the repository",
            ) from None
        raise InputDataError(
            f"GitHub refused {what} ({status}: {_message(exc)})", hint="see the message"
        ) from None
    except requests.exceptions.RequestException as exc:
        reason = str(getattr(exc, "__context__", None) or exc).split("(Caused by")[-1].strip(" ()")
        raise InfrastructureUnreachable(
            f"GitHub API at {settings.api_url} unreachable while {what} after {attempts} attempts "
            f"({type(exc).__name__}: {reason[:200]})",
            hint="check GITHUB_API_URL (comment.api_url) and the network; re-run when GitHub is back",
        ) from None
