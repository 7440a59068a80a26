"""``shipml scan`` with the real trivy binary, real images from a real dockerd, a generated DB.

Images are the debootstrap base plus planted Python package metadata (a
``dist-info`` directory is what trivy reads), so which CVEs exist is known from
``tests.support.trivy_db.DEFAULT_ADVISORIES`` and the tests can assert exact ids.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun, run_shipml

pytestmark = pytest.mark.integration

FAKE_KEY = "AKIA" + "Q4WZ7MBXR2KT6PLE"  # shaped like an AWS access key id; trivy's rule flags it


@dataclass(frozen=True)
class Images:
    baseline: Path  # base + requests 2.19.1
    candidate: Path  # baseline + pyyaml 5.3 + a file with an access key
    candidate_ref: str  # the candidate's tag in the session daemon


def _dist_info(root: Path, name: str, version: str) -> None:
    info = root / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def _build_and_save(client: object, context: Path, tag: str, out: Path) -> Path:
    import docker

    assert isinstance(client, docker.DockerClient)
    client.images.build(path=str(context), tag=tag, rm=True)
    with out.open("wb") as fh:
        for chunk in client.images.get(tag).save(named=True):
            fh.write(chunk)
    return out


@pytest.fixture(scope="module")
def images(docker_daemon: str, base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Images:
    import docker

    client = docker.DockerClient(base_url=docker_daemon)
    work = tmp_path_factory.mktemp("scan-images")
    site = "/usr/lib/python3/dist-packages"
    base_ctx = work / "baseline"
    _dist_info(base_ctx / "pkgs", "requests", "2.19.1")
    (base_ctx / "Dockerfile").write_text(f"FROM {base_image}\nCOPY pkgs {site}\n")
    cand_ctx = work / "candidate"
    _dist_info(cand_ctx / "pkgs", "requests", "2.19.1")
    _dist_info(cand_ctx / "pkgs", "PyYAML", "5.3")
    (cand_ctx / "app").mkdir()
    (cand_ctx / "app" / "deploy.env").write_text(f"AWS_ACCESS_KEY_ID={FAKE_KEY}\n")
    (cand_ctx / "Dockerfile").write_text(f"FROM {base_image}\nCOPY pkgs {site}\nCOPY app /app\n")
    baseline = _build_and_save(client, base_ctx, "scan-test/baseline:1", work / "baseline.tar")
    candidate = _build_and_save(client, cand_ctx, "scan-test/candidate:1", work / "candidate.tar")
    client.close()
    return Images(baseline, candidate, "scan-test/candidate:1")


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], Path]:
    """Writes a shipml.yaml with the given scan: section; returns the project dir."""

    def make(scan_yaml: str) -> Path:
        (tmp_path / "shipml.yaml").write_text("project: scan-test\n" + textwrap.dedent(scan_yaml))
        return tmp_path

    return make


def scan(cwd: Path, *args: str, trivy_db: Path, env: dict[str, str] | None = None) -> tuple[CliRun, dict]:
    result_file = cwd / "scan-result.json"
    run = run_shipml(
        "scan", *args, "--cache-dir", str(trivy_db), "--result-file", str(result_file), cwd=cwd, env=env
    )
    data = json.loads(result_file.read_text()) if result_file.exists() else {}
    return run, data


def ids(data: dict, **where: object) -> set[str]:
    return {
        f["id"]
        for f in data["details"]["findings"]
        if all(f.get(key) == value for key, value in where.items())
    }


def _trivy_sbom_vulns(sbom: Path, cache: Path, work: Path) -> set[tuple[str, str, str, str | None]]:
    """(id, package, installed, fixed) of every vulnerability the real ``trivy sbom`` finds in ``sbom``."""
    trivy = Path(sys.executable).with_name("trivy")
    out = work / "trivy-sbom.json"
    argv = [str(trivy), "sbom", "--cache-dir", str(cache), "--skip-db-update", "--skip-java-db-update"]
    argv += ["--format", "json", "--output", str(out), str(sbom)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        (v["VulnerabilityID"], v["PkgName"], v["InstalledVersion"], v.get("FixedVersion") or None)
        for result in json.loads(out.read_text())["Results"]
        for v in result.get("Vulnerabilities") or []
    }


def test_known_cves_found_counted_and_policy_fails(
    images: Images, trivy_db: Path, project: Callable[[str], Path]
) -> None:
    cwd = project("")
    run, data = scan(cwd, str(images.candidate), trivy_db=trivy_db)
    assert run.code == 1, run.output
    details = data["details"]
    vulns = {
        (f["id"], f["package"], f["installed"], f["fixed"])
        for f in details["findings"]
        if f["kind"] == "vulnerability"
    }
    assert ("CVE-2018-18074", "requests", "2.19.1", "2.20.0") in vulns
    assert ("CVE-2020-14343", "PyYAML", "5.3", "5.4") in vulns
    assert any(f[0] == "CVE-2099-0001" and f[3] is None for f in vulns)  # the unfixed Debian entry
    assert "aws-access-key-id" in ids(data, kind="secret")
    assert "DS-0002" in ids(data, kind="misconfiguration")  # runs as root
    # Counts are the findings, by severity; blocking ones are exactly the CRITICAL/HIGH ones.
    by_sev: dict[str, int] = {}
    for f in details["findings"]:
        by_sev[f["severity"]] = by_sev.get(f["severity"], 0) + 1
    assert {k: v for k, v in details["counts"].items() if v} == by_sev
    assert details["blocking"] == by_sev.get("CRITICAL", 0) + by_sev.get("HIGH", 0) > 0
    assert data["outputs"]["critical"] == str(by_sev.get("CRITICAL", 0))
    assert details["trivy_version"] and details["trivy_version"] in run.output + json.dumps(data)
    sarif = json.loads(Path(details["sarif"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert {"CVE-2018-18074", "CVE-2020-14343"} <= {r["ruleId"] for r in sarif["runs"][0]["results"]}
    sbom = json.loads(Path(details["sbom"]).read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    assert {"requests", "PyYAML"} <= {c["name"] for c in sbom["components"]}
    # The SBOM shipml writes itself is read by the real `trivy sbom`, which finds exactly the
    # vulnerabilities the image scan found (OS ones included: the OS component and the source
    # package names carry over).
    assert _trivy_sbom_vulns(Path(details["sbom"]), trivy_db, cwd) == vulns
    assert "| CRITICAL |" in data["summary_md"] and "CVE-2020-14343" in data["summary_md"]


def test_allow_list_passes_until_expiry_and_warns_with_line(
    images: Images, trivy_db: Path, project: Callable[[str], Path]
) -> None:
    future = (date.today() + timedelta(days=30)).isoformat()
    past = (date.today() - timedelta(days=1)).isoformat()
    allow_all = f"""\
        scan:
          allow:
            - {{id: CVE-2018-18074, reason: no redirect to http in our server, expires: {future}}}
            - {{id: CVE-2020-14343, reason: yaml only loads our own files, expires: {future}}}
            - {{id: aws-access-key-id, reason: revoked test key, expires: {future}}}
            - {{id: DS-0002, reason: tracked in issue 99, expires: {future}}}
        """
    run, data = scan(project(allow_all), str(images.candidate), trivy_db=trivy_db)
    assert run.code == 0, run.output
    assert data["details"]["blocking"] == 0
    assert ids(data, allowed="yaml only loads our own files") == {"CVE-2020-14343"}

    expired = allow_all.replace(
        f"CVE-2020-14343, reason: yaml only loads our own files, expires: {future}",
        f"CVE-2020-14343, reason: yaml only loads our own files, expires: {past}",
    )
    expired = expired.replace("- {id: DS-0002, reason: tracked in issue 99", "- {id: DS-0002, reason: ''")
    run, data = scan(project(expired), str(images.candidate), trivy_db=trivy_db)
    assert run.code == 1, run.output
    assert ids(data, blocking=True) == {"CVE-2020-14343", "DS-0002"}
    # The expired entry (line 5) and the malformed one (line 7) are warned about with file:line.
    assert "shipml.yaml:5: scan.allow[1] for CVE-2020-14343 expired" in run.stderr
    assert "shipml.yaml:7: scan.allow[3] is malformed (reason:" in run.stderr
    states = {n["index"]: n["state"] for n in data["details"]["allow"]}
    assert states == {0: "active", 1: "expired", 2: "active", 3: "malformed"}


def test_ignore_unfixed_and_fail_on(images: Images, trivy_db: Path, project: Callable[[str], Path]) -> None:
    cwd = project("scan:\n  scanners: [vuln]\n")
    run, data = scan(cwd, str(images.baseline), "--fail-on", "LOW", trivy_db=trivy_db)
    assert run.code == 1
    assert "CVE-2099-0001" in ids(data, blocking=True)
    run, data = scan(
        cwd, str(images.baseline), "--fail-on", "LOW,MEDIUM", "--ignore-unfixed", trivy_db=trivy_db
    )
    # requests' CVE is HIGH (not in fail_on) and the only LOW one has no fix: nothing blocks.
    assert run.code == 0, run.output
    assert data["details"]["counts"]["LOW"] >= 1 and data["details"]["blocking"] == 0


def test_trivyignore_drops_ids(images: Images, trivy_db: Path, project: Callable[[str], Path]) -> None:
    cwd = project("scan:\n  scanners: [vuln]\n")
    (cwd / ".trivyignore").write_text("CVE-2018-18074\n")
    run, data = scan(cwd, str(images.baseline), trivy_db=trivy_db)
    assert run.code == 0, run.output
    assert "CVE-2018-18074" not in ids(data)


def test_baseline_diff_shows_only_the_new_findings(
    images: Images, trivy_db: Path, project: Callable[[str], Path], tmp_path: Path
) -> None:
    cwd = project("scan:\n  fail_on: []\n")
    # The champion's scan result, its SBOM, and its tarball are all valid baselines.
    run, champion = scan(cwd, str(images.baseline), trivy_db=trivy_db)
    assert run.code == 0, run.output
    champion_result = tmp_path / "champion-scan.json"
    shutil.copy(cwd / "scan-result.json", champion_result)
    champion_sbom = tmp_path / "champion.cdx.json"
    shutil.copy(champion["details"]["sbom"], champion_sbom)
    for baseline in (str(champion_result), str(images.baseline), str(champion_sbom)):
        run, data = scan(cwd, str(images.candidate), "--baseline", baseline, trivy_db=trivy_db)
        assert run.code == 0, run.output
        new = ids(data, new=True)
        if baseline.endswith(".cdx.json"):
            assert new == {"CVE-2020-14343"}, baseline  # an SBOM speaks about packages only
        else:
            assert new == {"CVE-2020-14343", "aws-access-key-id"}, baseline
        assert "CVE-2018-18074" in ids(data, new=False)
        assert data["details"]["new_counts"]["CRITICAL"] == 1 + (0 if baseline.endswith(".cdx.json") else 1)
        assert data["outputs"]["new-critical"] == str(data["details"]["new_counts"]["CRITICAL"])
        assert "New versus the baseline" in data["summary_md"]


def test_scan_by_reference_and_digest_requirement(
    images: Images, trivy_db: Path, project: Callable[[str], Path], docker_daemon: str
) -> None:
    cwd = project("scan:\n  scanners: [vuln]\n")
    run, data = scan(cwd, images.candidate_ref, trivy_db=trivy_db, env={"DOCKER_HOST": docker_daemon})
    assert run.code == 1, run.output
    assert "CVE-2020-14343" in ids(data)
    run, _ = scan(cwd, images.candidate_ref, "--require-digest", trivy_db=trivy_db)
    assert run.code == 2
    assert "is a tag" in run.stderr and "@sha256:" in run.stderr


def test_bad_inputs(trivy_db: Path, project: Callable[[str], Path], tmp_path: Path, images: Images) -> None:
    cwd = project("")
    run, _ = scan(cwd, str(tmp_path / "missing.tar"), trivy_db=trivy_db)
    assert run.code == 2 and "not found" in run.stderr
    run, _ = scan(cwd, str(images.baseline), "--trivy", str(tmp_path / "no-trivy"), trivy_db=trivy_db)
    assert run.code == 2 and "no-trivy" in run.stderr
    assert "Traceback" not in run.output


def test_db_unavailable_is_exit_3_with_offline_hint(
    images: Images, project: Callable[[str], Path], tmp_path: Path
) -> None:
    cwd = project(
        "scan:\n  scanners: [vuln]\n  db_repository: 127.0.0.1:9/nowhere/trivy-db\n  timeout: 120\n"
    )
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    run, data = scan(cwd, str(images.baseline), trivy_db=empty)
    assert run.code == 3, run.output
    assert "could not download its vulnerability DB" in run.stderr
    assert "db/trivy.db" in run.stderr and "db_repository" in run.stderr
    assert data["status"] == "error"


def test_trivy_crash_is_exit_3_with_stderr_tail(
    images: Images, trivy_db: Path, project: Callable[[str], Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken-cache"
    shutil.copytree(trivy_db, broken)
    (broken / "db" / "trivy.db").write_bytes(os.urandom(8192))  # fresh metadata, corrupt DB
    cwd = project("scan:\n  scanners: [vuln]\n")
    run, _ = scan(cwd, str(images.baseline), trivy_db=broken)
    assert run.code == 3, run.output
    assert "trivy exited with" in run.stderr
    assert "Traceback" not in run.output


# -- trivy started from the raw config, before the config models are built (shipml.scan.early) --

# Runs shipml as the console script does; when pydantic is first imported, writes the PIDs of the
# process's children at that moment (the kernel's own list).
PYDANTIC_CHILDREN = """
import os, sys
class _Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "pydantic" and "pydantic" not in sys.modules and not os.path.exists(out):
            pid = os.getpid()
            with open(f"/proc/{pid}/task/{pid}/children") as fh, open(out, "w") as fw:
                fw.write(fh.read())
        return None
out = sys.argv.pop(1)
sys.meta_path.insert(0, _Watch())
from shipml.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _logging_trivy(tmp_path: Path) -> tuple[Path, Path]:
    """A trivy that logs ``PID EPOCH`` and then becomes the real one (exec: a kill reaches trivy itself)."""
    real = Path(sys.executable).with_name("trivy")
    log = tmp_path / "trivy-starts.log"
    wrapper = tmp_path / "trivy-logged"
    wrapper.write_text(f'#!/bin/bash\necho "$$ $EPOCHREALTIME $*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


@dataclass(frozen=True)
class ProbedScan:
    starts: list[str]  # one "PID EPOCH ARGV" line per trivy start
    children: list[str]  # the PIDs of the process's children when the watched module was imported
    details: dict[str, Any]


def _probed_scan(probe: str, cwd: Path, images: Images, trivy_db: Path, tmp_path: Path) -> ProbedScan:
    """``shipml scan`` of the candidate through ``probe``, with a logging trivy; it must pass."""
    wrapper, log = _logging_trivy(tmp_path)
    children = tmp_path / "children-at-import"
    result_file = cwd / "scan-result.json"
    argv = ["scan", str(images.candidate), "--cache-dir", str(trivy_db), "--trivy", str(wrapper)]
    done = subprocess.run(
        [sys.executable, "-c", probe, str(children), *argv, "--result-file", str(result_file)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return ProbedScan(
        log.read_text().splitlines(),
        children.read_text().split(),
        json.loads(result_file.read_text())["details"],
    )


def test_trivy_starts_before_pydantic_is_imported_and_runs_once(
    images: Images, trivy_db: Path, project: Callable[[str], Path], tmp_path: Path
) -> None:
    cwd = project("scan:\n  fail_on: []\n")
    probed = _probed_scan(PYDANTIC_CHILDREN, cwd, images, trivy_db, tmp_path)
    assert len(probed.starts) == 1, probed.starts  # the early process was taken over, not run again
    assert probed.starts[0].split()[0] in probed.children  # trivy ran before pydantic was imported
    assert "CVE-2018-18074" in {f["id"] for f in probed.details["findings"]}  # its report is judged


def test_a_config_error_found_while_trivy_runs_stops_it(
    images: Images, trivy_db: Path, project: Callable[[str], Path], tmp_path: Path
) -> None:
    cwd = project("scan:\n  timeout: 5\n")  # plainly typed, so trivy starts; validation rejects it
    wrapper, log = _logging_trivy(tmp_path)
    run, _ = scan(cwd, str(images.candidate), "--trivy", str(wrapper), trivy_db=trivy_db)
    assert run.code == 2, run.output
    assert "shipml.yaml:3: scan.timeout: Input should be greater than or equal to 10" in run.output
    (start,) = log.read_text().splitlines()
    with pytest.raises(ProcessLookupError):
        os.kill(int(start.split()[0]), 0)  # killed and reaped before shipml exited


# -- trivy started by the console script before the CLI is imported (shipml.scan.head_start) --

# Runs shipml exactly as the console script does (shipml.entry); when argparse (the CLI's first
# import) is first imported, writes the PIDs of the process's children at that moment.
ARGPARSE_CHILDREN = PYDANTIC_CHILDREN.replace('"pydantic"', '"argparse"').replace(
    "from shipml.cli import main", "from shipml.entry import main"
)


def test_head_start_runs_trivy_before_the_cli_is_imported_and_only_once(
    images: Images, trivy_db: Path, project: Callable[[str], Path], tmp_path: Path
) -> None:
    cwd = project("scan:\n  fail_on: []\n")  # no key that shapes trivy's command
    probed = _probed_scan(ARGPARSE_CHILDREN, cwd, images, trivy_db, tmp_path)
    assert len(probed.starts) == 1, probed.starts  # claimed by the scan, not run a second time
    assert probed.starts[0].split()[0] in probed.children  # running before argparse was imported
    assert "CVE-2018-18074" in {f["id"] for f in probed.details["findings"]}
    assert probed.details["blocking"] == 0  # the file's empty fail_on judged it (the default fails it)


def test_a_head_start_the_config_contradicts_is_stopped_and_the_right_scan_runs(
    images: Images, trivy_db: Path, project: Callable[[str], Path], tmp_path: Path
) -> None:
    # The key is written with a YAML escape, so the text never says "timeout": the head start
    # guesses the default command (900 s), and the merged config asks for 600 s.
    cwd = project('scan:\n  "\\u0074imeout": 600\n')
    wrapper, log = _logging_trivy(tmp_path)
    run, data = scan(cwd, str(images.candidate), "--trivy", str(wrapper), trivy_db=trivy_db)
    assert run.code == 1, run.output  # the candidate has HIGH findings: the policy's usual verdict
    first, second = log.read_text().splitlines()
    assert "--timeout 900s" in first and "--timeout 600s" in second
    with pytest.raises(ProcessLookupError):
        os.kill(int(first.split()[0]), 0)  # the guess was stopped and reaped
    assert "CVE-2018-18074" in ids(data)


def test_an_unclaimed_head_start_is_stopped_when_the_command_fails_before_scanning(
    images: Images, trivy_db: Path, project: Callable[[str], Path], tmp_path: Path
) -> None:
    cwd = project("scan:\n  fail_on: []\n")
    wrapper, log = _logging_trivy(tmp_path)
    not_a_file = tmp_path / "a-directory"
    not_a_file.mkdir()
    argv = ["scan", str(images.candidate), "--cache-dir", str(trivy_db), "--trivy", str(wrapper)]
    run = run_shipml(*argv, "--result-file", str(not_a_file), cwd=cwd)
    assert run.code == 2 and "cannot write the result file" in run.output, run.output
    (start,) = log.read_text().splitlines()  # the head start did begin ...
    with pytest.raises(ProcessLookupError):
        os.kill(int(start.split()[0]), 0)  # ... and was stopped and reaped before shipml exited


def test_head_start_reads_scan_options_as_the_cli_declares_them() -> None:
    import argparse

    from shipml.cli import command_parser
    from shipml.commands import REGISTRY
    from shipml.scan import head_start

    parser = argparse.ArgumentParser()
    command_parser(REGISTRY["scan"], parser)
    declared = {
        option: action.nargs != 0
        for action in parser._actions
        for option in action.option_strings
        if option not in ("-h", "--help")
    }
    assert declared == head_start.OPTIONS
