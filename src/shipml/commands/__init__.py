"""Every shipml command, declared once: name, module, help, extra, action, contract, section.

This declaration is what the CLI lists, what ``python -m shipml.action`` maps
action inputs with, what the installer derives the extra from (``python -m
shipml.commands extra gate``) and what ``tests/unit/test_conformance.py`` holds
every other part against (action.yml, pyproject extras, doctor, contracts,
report sections). It is plain stdlib data so that listing commands imports none
of them (``--help`` and ``shipml comment`` stay fast) and so that the installer
can read it before shipml is installed.

A command is listed here only once its capability works end to end.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from ..results import Outcome


class CommandModule(Protocol):
    """What a command module provides; mypy checks every registered module against it (below)."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> Outcome: ...


# Secret action inputs reach the command as environment variables, never as argv
# (process lists and logs show argv). input name -> environment variable.
TRACKING_SECRETS: Mapping[str, str] = {
    "tracking-uri": "SHIPML_MLFLOW__TRACKING_URI",
    "tracking-token": "MLFLOW_TRACKING_TOKEN",
}
GITHUB_SECRETS: Mapping[str, str] = {"token": "GITHUB_TOKEN"}
# The variables image.username_env / image.password_env name by default.
REGISTRY_SECRETS: Mapping[str, str] = {
    "registry-username": "SHIPML_REGISTRY_USERNAME",
    "registry-password": "SHIPML_REGISTRY_PASSWORD",
}
# The kubeconfig travels as content in an env var; shipml writes it 0600 to a temp file.
DEPLOY_SECRETS: Mapping[str, str] = {**GITHUB_SECRETS, "kubeconfig": "SHIPML_KUBECONFIG_DATA"}
CANARY_SECRETS: Mapping[str, str] = {"kubeconfig": "SHIPML_KUBECONFIG_DATA"}
# The private key's PEM and its password, where cosign reads them (sign.key: env://COSIGN_PRIVATE_KEY).
SIGN_SECRETS: Mapping[str, str] = {
    "key": "COSIGN_PRIVATE_KEY",
    "password": "COSIGN_PASSWORD",
    **REGISTRY_SECRETS,
}


@dataclass(frozen=True)
class Command:
    """One command of the CLI and everything that belongs to it elsewhere in the repository.

    ``extra``: the pyproject extra its imports need (None: core only).
    ``action``: the folder under ``actions/`` that runs it (None: only through the root action).
    ``contract``: ``module:Class`` of the pydantic model of its result's ``details``.
    ``section``: the module whose ``render(result) -> str`` presents its result
    (None: the result is not a part of the PR report).
    ``secrets``: action inputs that go to environment variables only.
    """

    name: str
    module: str
    help: str
    extra: str | None
    action: str | None
    contract: str | None
    section: str | None
    secrets: Mapping[str, str] = field(default_factory=dict)

    def load(self) -> CommandModule:
        """Import the module on demand: only the chosen command pays for its imports."""
        return cast("CommandModule", importlib.import_module(self.module))


COMMANDS: tuple[Command, ...] = (
    Command(
        name="validate",
        module="shipml.commands.validate",
        help="Validate data against expectation suites and measure drift from the reference.",
        extra="validate",
        action="validate-data",
        contract="shipml.contracts.validate:ValidateDetails",
        section="shipml.report.sections.validate",
    ),
    Command(
        name="train",
        module="shipml.commands.train",
        help="Train, log to MLflow with lineage, register as challenger.",
        extra="train",
        action="train",
        contract="shipml.contracts.train:TrainDetails",
        section="shipml.report.sections.train",
        secrets=TRACKING_SECRETS,
    ),
    Command(
        name="gate",
        module="shipml.commands.gate",
        help="Compare challenger and champion on the same rows, paired statistics.",
        extra="gate",
        action="gate",
        contract="shipml.contracts.gate:GateDetails",
        section="shipml.report.sections.gate",
        secrets=TRACKING_SECRETS,
    ),
    Command(
        name="promote",
        module="shipml.commands.promote",
        help="Promote a gated challenger to champion, or --rollback to the previous one.",
        extra="gate",
        action="promote",
        contract="shipml.contracts.promote:PromoteDetails",
        section="shipml.report.sections.promote",
        secrets=TRACKING_SECRETS,
    ),
    Command(
        name="build",
        module="shipml.commands.build",
        help="Build the model image (default server or your Dockerfile), push it, output its digest.",
        extra="image",
        action="build-image",
        contract="shipml.contracts.build:BuildDetails",
        section="shipml.report.sections.build",
        secrets={**TRACKING_SECRETS, **REGISTRY_SECRETS},
    ),
    Command(
        name="scan",
        module="shipml.commands.scan",
        help="Scan an image with trivy (vulnerabilities, secrets, Dockerfile); fail on a severity policy.",
        extra="scan",
        action="scan-image",
        contract="shipml.contracts.scan:ScanDetails",
        section="shipml.report.sections.scan",
    ),
    Command(
        name="sign",
        module="shipml.commands.sign",
        help="Sign an image digest with cosign; attest its SBOM and scan verdict for deploy to verify.",
        extra=None,  # cosign is a Go binary (see the README), no Python package
        action="sign-image",
        contract="shipml.contracts.sign:SignDetails",
        section="shipml.report.sections.sign",
        secrets=SIGN_SECRETS,
    ),
    Command(
        name="comment",
        module="shipml.commands.comment",
        help="Post the results as one sticky PR comment, job summary or file.",
        extra="comment",
        action="pr-comment",
        contract="shipml.contracts.comment:CommentDetails",
        section=None,  # its result *is* the report
        secrets=GITHUB_SECRETS,
    ),
    Command(
        name="serve",
        module="shipml.commands.serve",
        help="Serve an MLflow model directory over HTTP (/health, /predict, /metrics) until SIGTERM.",
        extra="serve",
        action=None,  # a long-running server: run in an image or locally, not as a workflow step
        contract="shipml.contracts.serve:ServeDetails",
        section=None,  # not a part of the PR report
    ),
    Command(
        name="deploy",
        module="shipml.commands.deploy",
        help="Deploy an image digest to one environment; prove the rollout or roll it back.",
        extra="deploy",
        action="deploy",
        contract="shipml.contracts.deploy:DeployDetails",
        section="shipml.report.sections.deploy",
        secrets=DEPLOY_SECRETS,
    ),
    Command(
        name="canary",
        module="shipml.commands.canary",
        help="Shift traffic to a new image in steps, judge it against stable, promote or roll back.",
        extra="canary",
        action="canary",
        contract="shipml.contracts.canary:CanaryDetails",
        section="shipml.report.sections.canary",
        secrets=CANARY_SECRETS,
    ),
    Command(
        name="doctor",
        module="shipml.commands.doctor",
        help="Check Python, installed extras and reachability of services.",
        extra=None,
        action=None,  # run through the root action: `command: doctor`
        contract="shipml.contracts.doctor:DoctorDetails",
        section=None,  # a machine check, not a part of the PR report
    ),
)

REGISTRY: Mapping[str, Command] = {command.name: command for command in COMMANDS}


def find(name: str) -> Command | None:
    """A command by its own name or by the name of its action (``pr-comment`` -> comment)."""
    return REGISTRY.get(name) or next((c for c in COMMANDS if c.action == name), None)


if TYPE_CHECKING:
    # mypy checks each module against the protocol here (as cibuildwheel does for its
    # platform modules); at run time nothing is imported. The conformance test checks
    # that this tuple names exactly the registered modules.
    from . import build, canary, comment, deploy, doctor, gate, promote, scan, serve, sign, train, validate

    _CHECKED: tuple[CommandModule, ...] = (
        validate,
        train,
        gate,
        promote,
        build,
        scan,
        sign,
        comment,
        serve,
        deploy,
        canary,
        doctor,
    )
