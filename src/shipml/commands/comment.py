"""``shipml comment``: one sticky PR comment (and job summary) from the pipeline's result files.

Thin: collecting and composing live in :mod:`shipml.report`, GitHub calls in
:mod:`shipml.github_api`. Imports stay light (no MLflow, pandas, GX, Evidently):
PyGithub is imported only when posting.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import runner
from ..config import load_config
from ..errors import InputDataError, UsageError
from ..results import Outcome

if TYPE_CHECKING:
    from ..config import ShipmlConfig
    from ..github_api.client import Settings
    from ..report.collect import Collected
    from ..report.compose import Report

DESCRIPTION = """\
Compose the result files written by validate, train, gate, promote (and build, scan,
deploy, canary) into one markdown report: a verdict line (ship / don't ship / needs a
look) for the commit, then model metrics, data validation, drift, image & scan and
deployment. The report goes to the job summary, to --output FILE if given, and, when
posting, to one comment on the pull request that later runs edit in place (found by a
hidden marker, `comment.marker`, so several pipelines can each keep their own).

Posting happens by default inside GitHub Actions (--no-post to skip) and only with
--post elsewhere. It needs a token in GITHUB_TOKEN (or GH_TOKEN), the repository
(GITHUB_REPOSITORY or --repo) and the PR number: --pr-number, else the pull_request
event, else a `pr-number` file among the results, else the results' own pr_number.

Pull requests from forks (the fork-safe two-workflow pattern):
  A fork's pull_request run gets a read-only token and cannot comment (exit 3). Split it:
  1. `on: pull_request` runs the pipeline (no secrets, read-only token), writes the PR
     number next to the results and uploads them:
       env: PR_NUMBER: ${{ github.event.pull_request.number }}   (never ${{ }} inside run:)
       run: printf '%s' "$PR_NUMBER" > "$RUNNER_TEMP/shipml/results/pr-number"
       actions/upload-artifact  path: ${{ runner.temp }}/shipml/results  name: shipml-results
  2. `on: workflow_run` (workflows: [that one], types: [completed]) with
     `permissions: pull-requests: write` downloads the artifact of the triggering run
     (actions/download-artifact with run-id: ${{ github.event.workflow_run.id }}) and runs
       shipml comment --results DIR
     It never checks out or runs the PR's code. The PR number from the artifact is
     checked against the triggering run's head commit before anything is posted.

Scheduled checks (an issue instead of a PR comment):
  --issue TITLE files the report as ONE issue, found again by a hidden marker (--marker,
  else derived from the title) among the open issues opened by --issue-author (default
  github-actions[bot], what GITHUB_TOKEN acts as; an issue a person opened with the
  marker is never touched). When the verdict is not "ship" (drift or failed
  expectations), the issue is opened, or its body replaced with the new report; when it
  is "ship" again, the open issue is updated to say so and closed, and without one
  nothing happens. A later problem opens a new issue. --dispatch WORKFLOW (e.g.
  retrain.yml, at --dispatch-ref, default the run's branch) starts that workflow once
  per episode: when the issue is opened, not on every run while the problem lasts.
  Needs `permissions: issues: write` (and `actions: write` for --dispatch).

Exit codes: 0 posted/written, 2 bad input (no results, malformed file, no token,
unknown PR number), 3 GitHub unreachable after retries or refused (403).
"""

DEFAULT_ISSUE_AUTHOR = "github-actions[bot]"  # = github_api.issue.DEFAULT_AUTHOR, kept import-free
VERDICT_TEXT = {"ship": "ship", "dont-ship": "don't ship", "needs-a-look": "needs a look"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--results",
        nargs="*",
        action="extend",
        default=[],
        metavar="PATH",
        help="Result files, directories or globs (newline/comma lists too). "
        "Default: $RUNNER_TEMP/shipml/results or ./.shipml/results.",
    )
    parser.add_argument(
        "--output", default="", metavar="FILE", help="Also write the full report here ('-': stdout)."
    )
    parser.add_argument("--pr-number", default="", help="Pull request to comment on (default: see above).")
    parser.add_argument(
        "--repo", default="", metavar="OWNER/NAME", help="Repository (default: $GITHUB_REPOSITORY)."
    )
    parser.add_argument("--marker", default="", help="Sticky comment key (comment.marker, default 'report').")
    parser.add_argument(
        "--mode",
        default="",
        help="update (edit in place), recreate (delete the old) or hide (minimize the old).",
    )
    parser.add_argument("--status-context", default="", help="Also set a commit status with this context.")
    parser.add_argument(
        "--api-url", default="", help="GitHub API URL (comment.api_url, default $GITHUB_API_URL)."
    )
    parser.add_argument(
        "--issue",
        default="",
        metavar="TITLE",
        help="File the report as one issue with this title instead of a PR comment (see above).",
    )
    parser.add_argument(
        "--issue-label",
        default="",
        metavar="LABELS",
        help="Labels for the issue (comma separated), e.g. data-drift.",
    )
    parser.add_argument(
        "--issue-author",
        default="",
        metavar="LOGIN",
        help=f"Who opens the issue: only its issues are updated (default {DEFAULT_ISSUE_AUTHOR}).",
    )
    parser.add_argument(
        "--dispatch",
        default="",
        metavar="WORKFLOW",
        help="With --issue: start this workflow (file name, e.g. retrain.yml) when the issue is opened.",
    )
    parser.add_argument(
        "--dispatch-ref",
        default="",
        metavar="REF",
        help="Branch or tag to run --dispatch on (default: the run's branch, else the default branch).",
    )
    parser.add_argument(
        "--post",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Post to the PR (default: yes inside GitHub Actions, no elsewhere).",
    )


def run(args: argparse.Namespace) -> Outcome:
    from ..report import collect, compose, limits

    cfg = load_config(
        args.config,
        overrides={
            ("comment", "marker"): args.marker,
            ("comment", "mode"): args.mode,
            ("comment", "status_context"): args.status_context,
            ("comment", "api_url"): args.api_url,
        },
    )
    specs = collect.split_specs(args.results) or [str(runner.work_dir() / "results")]
    found = collect.collect(specs)
    if not found.results:
        raise InputDataError(
            "no shipml result files found; looked in: " + "; ".join(found.searched),
            hint="pass --results with the files or directories shipml commands wrote (--result-file), "
            "e.g. the downloaded artifact directory",
        )
    ctx = runner.run_context()
    event = runner.event_payload()
    workflow_run = event.get("workflow_run") if isinstance(event.get("workflow_run"), dict) else None
    commit = _commit(found, ctx, workflow_run)
    report = compose.compose(
        found.results,
        compose.ReportContext(
            project=cfg.project if cfg.source is not None else None,
            commit=commit,
            repository=args.repo or ctx.repository,
            server_url=ctx.server_url,
            run_url=ctx.run_url,
            warnings=found.warnings,
        ),
    )
    full = report.markdown()
    verdict = report.verdict
    output_path = _write_output(args.output, full)
    post = args.post if args.post is not None else runner.in_actions()
    if not post and not args.output and not runner.in_actions():
        sys.stdout.write(full)
    outputs: dict[str, Any] = {
        "verdict": verdict.key,
        "comment-url": "",
        "comment-id": "",
        "report-file": str(output_path) if output_path else "",
    }
    details: dict[str, Any] = {
        "verdict": verdict.key,
        "reasons": verdict.reasons,
        "results": [str(lr.path) for lr in found.results],
        "commit": commit,
        "report_chars": limits.size(full),
    }
    summary = f"{VERDICT_TEXT[verdict.key]} ({len(found.results)} result files)"
    if output_path:
        summary += f"; report written to {output_path}"
    if args.dispatch and not args.issue:
        raise UsageError(
            "--dispatch needs --issue: a workflow is started when a scheduled check opens its issue",
            hint="add --issue TITLE (the action's issue input), or drop --dispatch",
        )
    outputs.update({"issue-url": "", "issue-number": "", "dispatched": ""})
    if post and args.issue:
        try:
            filed = _file_issue(args, cfg, report, ctx)
        except Exception:
            runner.append_summary(full)
            raise
        details.update(filed)
        if filed.get("issue_number"):
            outputs["issue-url"] = filed["issue_url"]
            outputs["issue-number"] = str(filed["issue_number"])
            summary += f"; issue {filed['issue_action']}: {filed['issue_url']}"
        else:
            summary += "; no open issue to resolve"
        if filed.get("dispatched"):
            outputs["dispatched"] = filed["dispatched"]
            summary += f"; started {filed['dispatched']}"
    elif post:
        try:
            posted = _post(args, cfg, report, found, ctx, workflow_run, commit)
        except Exception:
            runner.append_summary(full)  # the report is not lost when GitHub is
            raise
        details.update(posted)
        if posted.get("comment_url"):
            outputs["comment-url"] = posted["comment_url"]
            outputs["comment-id"] = str(posted["comment_id"])
            summary += f"; comment {posted['action']}: {posted['comment_url']}"
        elif posted.get("skipped"):
            summary += f"; not posted: {posted['skipped']}"
    # The verdict (even don't ship) is reported, not enforced: this step itself passed.
    return Outcome("passed", summary=summary, summary_md=full, details=details, outputs=outputs)


def _commit(found: Collected, ctx: runner.RunContext, workflow_run: dict[str, Any] | None) -> str | None:
    """The commit the results are about: trusted event data first, the results' own claim last."""
    if workflow_run and isinstance(workflow_run.get("head_sha"), str):
        return str(workflow_run["head_sha"])
    if ctx.head_sha:
        return ctx.head_sha
    claimed = Counter(lr.result.commit for lr in found.results if lr.result.commit)
    if claimed:
        return str(claimed.most_common(1)[0][0])
    return ctx.sha


def _write_output(target: str, markdown: str) -> Path | None:
    if not target:
        return None
    if target == "-":
        sys.stdout.write(markdown)
        return None
    path = Path(target).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
    except OSError as exc:
        raise InputDataError(
            f"cannot write --output {path}: {exc.strerror or exc}", hint="pick a writable path"
        ) from None
    return path.resolve()


def _repo_name(args: argparse.Namespace, ctx: runner.RunContext, missing: str) -> str:
    repo_name: str | None = args.repo or ctx.repository
    if not repo_name or "/" not in repo_name:
        raise UsageError(
            missing, hint="run inside GitHub Actions (GITHUB_REPOSITORY) or pass --repo OWNER/NAME"
        )
    return repo_name


def _open_repo(args: argparse.Namespace, cfg: ShipmlConfig, repo_name: str) -> tuple[Settings, Any]:
    """The API settings and the repository object, for the comment and the issue alike."""
    from ..github_api import client

    token = client.token_from_env()
    if not token:
        raise UsageError(
            "no GitHub token: GITHUB_TOKEN (or GH_TOKEN) is not set",
            hint="pass the action's `token` input (default github.token) or export GITHUB_TOKEN; "
            "--no-post skips posting",
        )
    c = cfg.comment
    settings = client.Settings(client.api_url(c.api_url), c.retries, c.backoff, c.timeout, c.write_interval)
    gh = client.connect(token, settings, debug=bool(args.debug))
    return settings, gh.get_repo(repo_name)


def _pr_number(
    args: argparse.Namespace, found: Collected, ctx: runner.RunContext, workflow_run: dict[str, Any] | None
) -> tuple[int, bool]:
    """The PR to comment on, and whether it came from untrusted files (so must be verified)."""
    if args.pr_number:
        text = str(args.pr_number).strip().lstrip("#")
        if not text.isdigit() or int(text) <= 0:
            raise UsageError(
                f"--pr-number {args.pr_number!r} is not a pull request number",
                hint="pass e.g. --pr-number 42",
            )
        return int(text), False
    if ctx.pr_number:
        return ctx.pr_number, False
    if workflow_run:
        prs = [p for p in workflow_run.get("pull_requests") or [] if isinstance(p, dict) and p.get("number")]
        if len(prs) == 1:
            return int(prs[0]["number"]), False
    if found.pr_number:
        return int(found.pr_number), True
    claimed = {lr.result.pr_number for lr in found.results if lr.result.pr_number}
    if len(claimed) == 1:
        return int(claimed.pop()), True
    event = ctx.event_name or "local run"
    raise UsageError(
        f"no pull request number: this is a '{event}' event, not a pull_request, and the results name none"
        + (f" ({len(claimed)} different ones)" if claimed else ""),
        hint="pass --pr-number N (the action's pr-number input); in a workflow_run workflow, put a pr-number "
        "file in the results artifact (see shipml comment --help) or pass --no-post to skip the comment",
    )


def _post(
    args: argparse.Namespace,
    cfg: ShipmlConfig,
    report: Report,
    found: Collected,
    ctx: runner.RunContext,
    workflow_run: dict[str, Any] | None,
    commit: str | None,
) -> dict[str, Any]:
    from ..github_api import client, status, sticky
    from ..report import limits

    repo_name = _repo_name(args, ctx, "no repository to comment on")
    number, untrusted = _pr_number(args, found, ctx, workflow_run)
    c = cfg.comment
    settings, repo = _open_repo(args, cfg, repo_name)
    where = f"{repo_name}#{number}"
    head_sha = workflow_run.get("head_sha") if workflow_run else None
    if untrusted and isinstance(head_sha, str):
        with client.calling(f"reading pull request {where}", settings):
            pr_head = repo.get_pull(number).head.sha
        if pr_head != head_sha:
            message = (
                f"PR {where} is at {pr_head[:7]}, not {head_sha[:7]} "
                "(the commit of the run whose results these are); "
                "not posting results that are stale or name another pull request"
            )
            runner.warning(message)
            return {"skipped": message, "pr_number": number}
    marker = sticky.marker(c.marker)
    budget = limits.GITHUB_BODY_LIMIT - limits.size(marker) - 1
    run_url = ctx.run_url
    note = (
        "Details were cut to fit GitHub's 65,536-character comment limit; "
        "the full report is in the job summary" + (f" of [this run]({run_url})." if run_url else ".")
    )
    body, truncated = report.fitted(budget, note)
    if truncated:
        runner.notice(
            "the PR comment was cut to fit GitHub's comment limit; the job summary has the full report"
        )
    issue = repo.get_issue(number)
    posted = sticky.upsert(issue, c.marker, body, c.mode, settings, where=where)
    outcome: dict[str, Any] = {
        "pr_number": number,
        "comment_id": posted.id,
        "comment_url": posted.url,
        "action": posted.action,
        "deleted_comments": posted.deleted,
        "hidden_comments": posted.hidden,
        "truncated": truncated,
        "marker": c.marker,
    }
    if c.status_context:
        if not commit:
            raise UsageError(
                "no commit to set a status on", hint="run on a pull_request or workflow_run event"
            )
        errored = any(lr.result.status == "error" for lr in found.results)
        undecided = any(lr.result.status == "inconclusive" for lr in found.results)
        state = status.state_for(
            report.verdict.key, errored=errored, undecided=undecided, on_undecided=c.inconclusive_status
        )
        reason = report.verdict.reasons[0] if report.verdict.reasons else ""
        description = f"{VERDICT_TEXT[report.verdict.key]}: {reason}"
        status.set_status(
            repo,
            commit,
            context=c.status_context,
            state=state,
            description=description.replace("`", ""),
            target_url=posted.url or run_url,
            settings=settings,
        )
        outcome["status"] = {"context": c.status_context, "state": state, "sha": commit}
    return outcome


def _issue_key(args: argparse.Namespace) -> str:
    """--marker, else one derived from the title, so two checks (two models) keep two issues."""
    if args.marker:
        return str(args.marker)
    slug = "".join(ch if ch.isalnum() else "-" for ch in str(args.issue).lower())
    return "issue:" + "-".join(filter(None, slug.split("-")))[:80]


def _file_issue(
    args: argparse.Namespace, cfg: ShipmlConfig, report: Report, ctx: runner.RunContext
) -> dict[str, Any]:
    """Open, update or resolve the one issue of a scheduled check; start --dispatch when it opens."""
    from ..github_api import dispatch, issue, sticky
    from ..report import limits

    title = " ".join(str(args.issue).split())
    if not title:
        raise UsageError("--issue is empty", hint="pass the issue's title, e.g. --issue 'Data drift: churn'")
    if args.dispatch:
        dispatch.workflow_name(args.dispatch)  # a typo fails before anything is posted
    repo_name = _repo_name(args, ctx, "no repository to open the issue in")
    settings, repo = _open_repo(args, cfg, repo_name)
    key = _issue_key(args)
    author = args.issue_author or DEFAULT_ISSUE_AUTHOR
    run_url = ctx.run_url
    run_link = f"[this run]({run_url})" if run_url else "the latest run"
    note = (
        "Details were cut to fit GitHub's 65,536-character issue limit; the full report is in the job "
        f"summary of {run_link}."
    )
    outcome: dict[str, Any] = {"marker": key, "issue_title": title}
    if report.verdict.key == "ship":
        head = (
            f"> ✅ **Back within policy** as of {run_link}: shipml closed this issue. "
            "A new issue opens if the problem returns.\n\n"
        )
        budget = limits.GITHUB_BODY_LIMIT - limits.size(sticky.marker(key)) - limits.size(head) - 1
        body, truncated = report.fitted(budget, note)
        filed = issue.resolve(repo, key, head + body, settings, author=author, where=repo_name)
    else:
        budget = limits.GITHUB_BODY_LIMIT - limits.size(sticky.marker(key)) - 1
        body, truncated = report.fitted(budget, note)
        labels = [name.strip() for name in str(args.issue_label).split(",") if name.strip()]
        filed = issue.upsert(repo, key, title, body, settings, labels=labels, author=author, where=repo_name)
    outcome.update(
        issue_number=filed.number,
        issue_url=filed.url or None,
        issue_action=filed.action,
        closed_duplicates=filed.closed_duplicates,
        truncated=truncated,
    )
    if args.dispatch and filed.action == "created":
        ref = args.dispatch_ref or _branch(ctx.ref) or repo.default_branch
        dispatch.dispatch(repo, args.dispatch, ref, {}, settings, where=repo_name)
        outcome["dispatched"] = f"{dispatch.workflow_name(args.dispatch)}@{ref}"
    return outcome


def _branch(ref: str | None) -> str | None:
    """``refs/heads/main`` -> ``main``; a tag or PR ref is no place to start a retraining run."""
    prefix = "refs/heads/"
    return ref[len(prefix) :] if ref and ref.startswith(prefix) else None
