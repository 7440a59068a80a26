"""The one place shipml talks to the GitHub Actions runner.

Outputs, step summaries, workflow commands and the event payload all go through
here, so commands never format ``::`` lines or touch ``$GITHUB_*`` files
themselves. Outside Actions every call degrades to something a person at a
terminal can read: annotations become ``error: file:line: message`` on stderr,
outputs and the summary land in files under ``./.shipml/`` (so a local run leaves
the same artefacts a CI run would).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple


def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def local_dir() -> Path:
    """Where local (non-Actions) runs keep outputs, results and stores."""
    return Path(os.environ.get("SHIPML_HOME", ".shipml"))


def work_dir() -> Path:
    """Scratch space for results: ``$RUNNER_TEMP/shipml`` on a runner, else ``./.shipml``."""
    temp = os.environ.get("RUNNER_TEMP")
    if in_actions() and temp:
        return Path(temp) / "shipml"
    return local_dir()


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as annotations need it: relative to the workspace (or cwd) when inside it.

    GitHub only links an annotation to a file given relative to the repository root.
    """
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        return str(path)


# -- workflow commands -------------------------------------------------------------------------


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _annotation(kind: str, message: str, file: str | None, line: int | None, title: str | None) -> None:
    if in_actions():
        props = []
        if file:
            props.append(f"file={_escape_property(file)}")
        if line:
            props.append(f"line={line}")
        if title:
            props.append(f"title={_escape_property(title)}")
        prop_text = (" " + ",".join(props)) if props else ""
        print(f"::{kind}{prop_text}::{_escape_data(message)}", flush=True)
        return
    where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
    label = {"error": "error", "warning": "warning", "notice": "note"}[kind]
    print(f"{label}: {where}{message}", file=sys.stderr, flush=True)


def error(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> None:
    _annotation("error", message, file, line, title)


def warning(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> None:
    _annotation("warning", message, file, line, title)


def notice(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> None:
    _annotation("notice", message, file, line, title)


def mask(secret: str) -> None:
    """Ask the runner to redact ``secret`` from all later log lines."""
    if secret and in_actions():
        for part in secret.splitlines():
            if part.strip():
                print(f"::add-mask::{_escape_data(part)}", flush=True)


@contextmanager
def group(title: str) -> Iterator[None]:
    """Fold everything printed inside into one collapsible group in the Actions log."""
    if in_actions():
        print(f"::group::{_escape_data(title)}", flush=True)
        try:
            yield
        finally:
            print("::endgroup::", flush=True)
    else:
        yield


# -- outputs and summary -----------------------------------------------------------------------


def _env_file(var: str, local_name: str) -> Path:
    target = os.environ.get(var)
    if target:
        return Path(target)
    path = local_dir() / local_name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def set_output(name: str, value: Any) -> None:
    """Write a step output; multi-line values use a random heredoc delimiter.

    A random delimiter (not a fixed ``EOF``) is what keeps a value that happens to
    contain the delimiter from injecting further outputs.
    """
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    path = _env_file("GITHUB_OUTPUT", "github_output")
    with path.open("a", encoding="utf-8") as fh:
        if "\n" in text or "\r" in text:
            import uuid

            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            fh.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")
        else:
            fh.write(f"{name}={text}\n")


def set_outputs(outputs: dict[str, Any]) -> None:
    for name, value in outputs.items():
        set_output(name, value)


def append_summary(markdown: str) -> Path:
    path = _env_file("GITHUB_STEP_SUMMARY", "step_summary.md")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown.rstrip("\n") + "\n\n")
    return path


# -- the event that started the run ------------------------------------------------------------


class RunContext(NamedTuple):
    """What shipml needs to know about the workflow run, wherever it is read from.

    A NamedTuple (no ``dataclasses`` import): ``shipml scan`` imports this module before it starts trivy.
    """

    repository: str | None
    sha: str | None
    ref: str | None
    event_name: str | None
    pr_number: int | None
    base_sha: str | None
    head_sha: str | None
    head_ref: str | None
    run_url: str | None
    server_url: str
    api_url: str
    actor: str | None

    @property
    def commit(self) -> str | None:
        """The commit a PR run is about: the PR head, not GitHub's synthetic merge commit."""
        return self.head_sha or self.sha


def event_payload() -> dict[str, Any]:
    """The raw ``$GITHUB_EVENT_PATH`` payload ({} outside Actions or when unreadable)."""
    return _read_event(os.environ.get("GITHUB_EVENT_PATH"))


def _read_event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_context() -> RunContext:
    env = os.environ
    event = event_payload()
    pr = event.get("pull_request") or {}
    number = pr.get("number") or (event.get("number") if pr else None)
    if number is None and isinstance(event.get("issue"), dict) and event["issue"].get("pull_request"):
        number = event["issue"].get("number")
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    repo = env.get("GITHUB_REPOSITORY") or (event.get("repository") or {}).get("full_name")
    run_id = env.get("GITHUB_RUN_ID")
    run_url = f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else None
    return RunContext(
        repository=repo,
        sha=env.get("GITHUB_SHA"),
        ref=env.get("GITHUB_REF"),
        event_name=env.get("GITHUB_EVENT_NAME"),
        pr_number=int(number) if number is not None else None,
        base_sha=(pr.get("base") or {}).get("sha"),
        head_sha=(pr.get("head") or {}).get("sha"),
        head_ref=(pr.get("head") or {}).get("ref") or env.get("GITHUB_HEAD_REF") or None,
        run_url=run_url,
        server_url=server,
        api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
        actor=env.get("GITHUB_ACTOR"),
    )
