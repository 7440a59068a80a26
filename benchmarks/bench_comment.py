"""Benchmark ``shipml comment`` against raw PyGithub making the same API calls.

Both run as fresh processes (as a workflow step does) against tests/fake_github.py,
a FAKE of GitHub's REST API on 127.0.0.1, so network time is near zero and the
figures are the tools' own cost: interpreter start, imports, reading results,
composing the report, and PyGithub's requests (list comments, edit, set status).
The raw script posts the same pre-rendered body. Bytecode is cached under a temp
prefix (a runner writes .pyc on first use; this sandbox sets PYTHONDONTWRITEBYTECODE).

    .venv/bin/python -m benchmarks.bench_comment [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.fake_github import FakeGitHub

REPO_ROOT = Path(__file__).resolve().parents[1]

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "results"
SHA = "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b"
TOKEN = "bench-token"

RAW = """
import sys
from github import Auth, Github
api, token, body_file, sha = sys.argv[1:5]
body = "<!-- shipml:report -->\\n" + open(body_file, encoding="utf-8").read()
gh = Github(base_url=api, auth=Auth.Token(token), per_page=100, lazy=True,
            seconds_between_requests=None, seconds_between_writes=None)
repo = gh.get_repo("acme/churn")
issue = repo.get_issue(42)
mine = [c for c in issue.get_comments() if (c.body or "").startswith("<!-- shipml:report -->")]
if mine:
    if mine[0].body != body:
        mine[0].edit(body)
else:
    issue.create_comment(body)
repo.get_commit(sha).create_status("failure", description="don't ship", context="shipml/gate")
"""


def timed(cmds: list[list[str]], env: dict[str, str], runs: int) -> list[float]:
    """Run the commands in turn (alternating inputs make every post a real edit)."""
    times = []
    for i in range(runs + 1):
        cmd = cmds[i % len(cmds)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        if i:  # the first run warms the bytecode cache
            times.append(elapsed)
    return times


def line(label: str, times: list[float]) -> str:
    return f"{label:<44} median {statistics.median(times) * 1000:7.0f} ms   best {min(times) * 1000:7.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    shipml = str(Path(py).with_name("shipml"))
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as fake:
        fake.add_token(TOKEN)
        fake.add_pull("acme/churn", 42, SHA)
        for i in range(150):  # a busy PR: the sticky comment is on page 2
            fake.add_comment("acme/churn", 42, f"review comment {i}")
        env = {
            **os.environ,
            "PYTHONDONTWRITEBYTECODE": "",
            "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache"),
            "SHIPML_HOME": str(Path(tmp) / "home"),
            "GITHUB_TOKEN": TOKEN,
            "SHIPML_COMMENT__WRITE_INTERVAL": "0",
        }
        reports = {name: Path(tmp) / f"{name}.md" for name in ("fail", "pass")}
        render = {
            name: [shipml, "comment", "--results", str(FIXTURES / name), "--output", str(path)]
            for name, path in reports.items()
        }
        post_args = ["--post", "--repo", "acme/churn", "--pr-number", "42", "--api-url", fake.url]
        post_args += ["--status-context", "shipml/gate"]
        raw_script = Path(tmp) / "raw.py"
        raw_script.write_text(RAW)

        python_start = timed([[py, "-c", "pass"]], env, args.runs)
        import_github = timed([[py, "-c", "import github"]], env, args.runs)
        help_ = timed([[shipml, "comment", "--help"]], env, args.runs)
        rendered = timed(list(render.values()), env, args.runs)
        posted = timed([cmd + post_args for cmd in render.values()], env, args.runs)
        raw_cmds = [[py, str(raw_script), fake.url, TOKEN, str(path), SHA] for path in reports.values()]
        raw = timed(raw_cmds, env, args.runs)
        assert len([c for c in fake.comments("acme/churn", 42) if c["body"].startswith("<!-- shipml:")]) == 1
        assert len(fake.seen("PATCH")) >= 2 * args.runs, "every post should have been a real edit"

        from shipml.report.collect import collect
        from shipml.report.compose import ReportContext, compose

        start = time.perf_counter()
        for _ in range(50):
            compose(collect([str(FIXTURES / "fail")]).results, ReportContext()).markdown()
        compose_ms = (time.perf_counter() - start) / 50 * 1000

    print(f"shipml comment benchmark ({args.runs} runs each, fresh processes, fake GitHub on loopback)")
    print(line("python -c pass", python_start))
    print(line("python -c 'import github' (PyGithub import)", import_github))
    print(line("shipml comment --help (start-up)", help_))
    print(line("shipml comment: render to --output", rendered))
    print(line("shipml comment: render + post + status", posted))
    print(line("raw PyGithub: same calls, same body", raw))
    print(f"{'collect + compose in process':<44} {compose_ms:7.1f} ms")
    ratio = statistics.median(posted) / statistics.median(raw)
    overhead = (statistics.median(posted) - statistics.median(raw)) * 1000
    print(f"ratio shipml/raw PyGithub (render+post): {ratio:.2f}x ({overhead:+.0f} ms)")


if __name__ == "__main__":
    main()
