"""Every registered command has all its parts, and they agree with each other.

A command is declared once (:mod:`shipml.commands`); its action, its extra (in
pyproject, doctor and the installer), its details contract, its report section
and its action's inputs live elsewhere. These tests fail when one of them is
missing or has drifted, and they are shown to fail on deliberately broken copies.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomllib
import yaml

from shipml.action import command_options, env_name
from shipml.commands import COMMANDS, REGISTRY, Command
from shipml.commands.doctor import EXTRAS as DOCTOR_EXTRAS
from shipml.contracts._base import Contract
from tests.conftest import REPO

WITH_ACTION = [c for c in COMMANDS if c.action]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PYPROJECT_EXTRAS = set(PYPROJECT["project"]["optional-dependencies"]) - {"all", "dev"}

# Inputs an action has that are no option of its command.
ACTION_ONLY_INPUTS = {"working-directory"}  # the step's working directory, applied by the runner
# Options a command has that its action deliberately does not expose, and why.
CLI_ONLY_OPTIONS: dict[str, set[str]] = {
    "*": {"result-file", "debug"},  # the action's result-file output / the runner's debug logging
    "validate": {"init", "force"},  # writing a starter suite is a local, one-off task
    "train": {"target"},  # data.target in shipml.yaml; a workflow has no reason to vary it
    "comment": {"output", "repo", "api-url", "post"},  # the action posts to the run's own repository
}


def _action_doc(command: Command) -> dict[str, Any]:
    assert command.action
    path = REPO / "actions" / command.action / "action.yml"
    assert path.is_file(), f"{command.name}: no {path.relative_to(REPO)}"
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc


def input_mismatches(command: Command, action: dict[str, Any]) -> list[str]:
    """What differs between an action's inputs and its command's options (empty: they agree)."""
    inputs = set(action.get("inputs") or {})
    problems: list[str] = []
    options = command_options(command)
    skip = CLI_ONLY_OPTIONS["*"] | CLI_ONLY_OPTIONS.get(command.name, set())
    names = {name for option in options for name in option.names}
    for dest in dict.fromkeys(o.dest for o in options):
        group = [n for o in options if o.dest == dest for n in o.names]
        if set(group) & skip:
            continue
        matched = [n for n in group if n in inputs]
        if not matched:
            problems.append(f"option --{group[0]} has no input")
        elif len(matched) > 1:
            problems.append(f"inputs {matched} are spellings of the same option")
    for name in sorted(inputs - ACTION_ONLY_INPUTS):
        if name not in names and name not in command.secrets:
            problems.append(f"input '{name}' is no option of shipml {command.name}")
        if name in skip:
            problems.append(f"input '{name}' is declared CLI-only")
    for name in command.secrets:
        if name not in inputs:
            problems.append(f"secret input '{name}' is missing")
    return problems


def run_step_mismatches(command: Command, action: dict[str, Any]) -> list[str]:
    """The action's steps are the installer and one `python -m shipml.action` with every input in env."""
    steps = action["runs"]["steps"]
    problems: list[str] = []
    if action["runs"].get("using") != "composite" or len(steps) != 2:
        return ["expected a composite action with two steps: setup, run"]
    setup, run = steps
    if setup.get("run") != f'"$ACTION_PATH/../setup/install.sh" {command.name} >/dev/null':
        problems.append(f"setup step runs {setup.get('run')!r}")
    if run.get("run") != f'"$SHIPML_PY" -P -m shipml.action {command.name}':
        problems.append(f"run step runs {run.get('run')!r}")
    env = run.get("env") or {}
    expected = {
        env_name(n): f"${{{{ inputs.{n} }}}}" for n in action["inputs"] if n not in ACTION_ONLY_INPUTS
    }
    expected["SHIPML_PY"] = "${{ steps.setup.outputs.python }}"
    if env != expected:
        extra, missing = set(env) - set(expected), set(expected) - set(env)
        wrong = {k for k in set(env) & set(expected) if env[k] != expected[k]}
        problems.append(
            f"run env: unexpected {sorted(extra)}, missing {sorted(missing)}, wrong {sorted(wrong)}"
        )
    if run.get("working-directory") != "${{ inputs.working-directory }}":
        problems.append("run step ignores the working-directory input")
    return problems


# -- the registry itself -----------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_command_module_provides_the_protocol(command: Command) -> None:
    module = command.load()
    assert isinstance(module, ModuleType)
    assert callable(getattr(module, "add_arguments", None)) and callable(getattr(module, "run", None))
    assert not hasattr(module, "HELP"), "the one-line help lives in the registry"


def test_mypy_checks_every_registered_module_against_the_protocol() -> None:
    """The TYPE_CHECKING tuple in shipml.commands must name exactly the registered modules."""
    source = (REPO / "src" / "shipml" / "commands" / "__init__.py").read_text(encoding="utf-8")
    checked: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_CHECKED":
            assert isinstance(node.value, ast.Tuple)
            checked = {f"shipml.commands.{elt.id}" for elt in node.value.elts if isinstance(elt, ast.Name)}
    assert checked == {c.module for c in COMMANDS}


def test_action_folders_are_exactly_the_commands_actions() -> None:
    folders = {p.parent.name for p in (REPO / "actions").glob("*/action.yml")}
    assert folders - {"setup"} == {c.action for c in WITH_ACTION}
    # doctor runs via the root action; serve is a long-running server (in an image), not a step
    assert [c.name for c in COMMANDS if not c.action] == ["serve", "doctor"]


# -- extras: pyproject, doctor, installer ------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_extra_exists_in_pyproject_and_doctor(command: Command) -> None:
    if command.extra is None:
        return
    assert command.extra in PYPROJECT_EXTRAS
    assert command.extra in DOCTOR_EXTRAS


def test_doctor_knows_every_pyproject_extra() -> None:
    assert set(DOCTOR_EXTRAS) == PYPROJECT_EXTRAS


@pytest.mark.parametrize("name", [*REGISTRY, *(c.action for c in WITH_ACTION), "core", "all", "train,gate"])
def test_installer_takes_the_extra_from_the_registry(name: str) -> None:
    """What install.sh runs, before shipml is installed: the source tree, stdlib only."""
    proc = subprocess.run(
        [sys.executable, "-P", "-S", "-m", "shipml.commands", "extra", name],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO / "src")},
    )
    command = REGISTRY.get(name) or next((c for c in COMMANDS if c.action == name), None)
    expected = "" if name == "core" else (command.extra or "") if command else name
    assert proc.stdout.strip() == expected


def test_installer_refuses_python_3_10_with_one_line(tmp_path: Path) -> None:
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    pythons = sorted(Path(root, "versions").glob("3.10*/bin/python3"))
    assert pythons, f"a Python 3.10 is needed for this test under {root}/versions"
    proc = subprocess.run(
        ["bash", str(REPO / "actions" / "setup" / "install.sh"), "gate"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "SHIPML_PYTHON": str(pythons[0]), "SHIPML_VENV_ROOT": str(tmp_path)},
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Python 3.10 is not supported" in lines[0] and "3.11" in lines[0]
    assert not any(tmp_path.iterdir()), "nothing installed"


# -- contracts and report sections -------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_details_contract_exists(command: Command) -> None:
    assert command.contract, f"{command.name}: no contract for its details"
    module, _, name = command.contract.partition(":")
    assert module.startswith("shipml.contracts.")
    model = getattr(importlib.import_module(module), name)
    assert issubclass(model, Contract)


SECTIONLESS = {"comment", "doctor", "serve"}  # comment is the report; doctor checks a machine; serve serves


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_section_path_is_declared(command: Command) -> None:
    if command.name in SECTIONLESS:
        assert command.section is None
        return
    assert command.section == f"shipml.report.sections.{command.name}"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.section], ids=lambda c: c.name)
def test_section_module_renders(command: Command) -> None:
    """The presentation layer provides ``render(result) -> str`` for each declared section."""
    assert command.section
    assert importlib.util.find_spec(command.section) is not None, f"{command.section} does not exist"
    assert callable(getattr(importlib.import_module(command.section), "render", None))


# -- action inputs vs command options ----------------------------------------------------------


@pytest.mark.parametrize("command", WITH_ACTION, ids=lambda c: c.name)
def test_action_inputs_match_command_options(command: Command) -> None:
    assert input_mismatches(command, _action_doc(command)) == []


@pytest.mark.parametrize("command", WITH_ACTION, ids=lambda c: c.name)
def test_action_runs_only_the_installer_and_shipml_action(command: Command) -> None:
    assert run_step_mismatches(command, _action_doc(command)) == []


def test_checkers_fail_on_a_broken_copy(tmp_path: Path) -> None:
    gate = REGISTRY["gate"]
    broken_file = tmp_path / "action.yml"
    broken_file.write_text((REPO / "actions" / "gate" / "action.yml").read_text(encoding="utf-8"))
    doc = yaml.safe_load(broken_file.read_text(encoding="utf-8"))
    del doc["inputs"]["confidence"]
    doc["inputs"]["seeds"] = {"description": "typo", "required": False, "default": ""}
    del doc["inputs"]["tracking-token"]
    broken_file.write_text(yaml.safe_dump(doc))
    broken = yaml.safe_load(broken_file.read_text(encoding="utf-8"))
    problems = input_mismatches(gate, broken)
    assert "option --confidence has no input" in problems
    assert "input 'seeds' is no option of shipml gate" in problems
    assert "secret input 'tracking-token' is missing" in problems
    # the run step no longer passes what the inputs say, and a flag built in bash is refused
    steps = run_step_mismatches(gate, broken)
    assert any("unexpected ['INPUT_CONFIDENCE', 'INPUT_TRACKING_TOKEN']" in p for p in steps), steps
    broken["runs"]["steps"][1]["run"] = '"$SHIPML_PY" -P -m shipml.action gate --no-budgets'
    assert any("run step runs" in p for p in run_step_mismatches(gate, broken))


def test_template_workflow_inputs_exist_in_root_action() -> None:
    root = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert set(root["inputs"]) == {"command", "args", "config", "extras", "working-directory"}
    assert root["runs"]["steps"][1]["run"] == '"$SHIPML_PY" -P -m shipml.action'


# -- reproducible installs ---------------------------------------------------------------------


def _lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shipml_lock", REPO / "scripts" / "lock.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_constraints_are_current_for_every_supported_python() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "lock.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    lock = _lock_module()
    classifiers = PYPROJECT["project"]["requires-python"]
    assert classifiers.startswith(">=3.11"), "the constraints cover 3.11-3.13"
    for python in lock.PYTHONS:
        text = lock.path_for(python).read_text(encoding="utf-8")
        pins = re.findall(r"^([a-z0-9._-]+)==", text, flags=re.M)
        assert {"mlflow", "pygithub", "scikit-learn", "pandas"} <= set(pins)
        assert "--hash=sha256:" in text


def test_constraints_check_fails_when_pyproject_changes(tmp_path: Path) -> None:
    lock = _lock_module()
    changed = tmp_path / "pyproject.toml"
    changed.write_text(
        (REPO / "pyproject.toml")
        .read_text(encoding="utf-8")
        .replace('"PyGithub==2.10.0"', '"PyGithub==2.9.0"')
    )
    digest = lock.dependency_hash(changed)
    assert digest != lock.dependency_hash()
    assert "other pyproject.toml dependencies" in (lock.stale("3.11", digest) or "")
    # a change outside the dependency tables (a tool setting) does not make them stale
    cosmetic = tmp_path / "cosmetic.toml"
    cosmetic.write_text((REPO / "pyproject.toml").read_text(encoding="utf-8") + "\n# note\n")
    assert lock.dependency_hash(cosmetic) == lock.dependency_hash()
