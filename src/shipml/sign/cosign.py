"""The one adapter to cosign: sign a pushed digest, attest its SBOM and scan verdict, verify both.

Key mode (a key pair, the private half in a secret), as a release pipeline on private
images wants it: nothing goes to the public Rekor log unless ``sign.tlog_upload`` asks,
because an entry there publishes the image's name and digest. Verification then checks
the key's signature without the log (``--insecure-ignore-tlog``, which is what it says:
trust rests on the key alone).

cosign's failures are sorted into shipml's exit codes from its stderr: a wrong key
password or a missing key is the user's input (2), a registry that refuses or cannot be
reached is infrastructure (3), and "no signatures found" is not an error at all but the
answer a deploy refuses on (:func:`verify` returns it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .. import proc
from ..errors import ConfigError, InfrastructureUnreachable, InputDataError, ShipmlError

COSIGN_VERSION = "v2.6.5"
INSTALL_HINT = (
    f"install cosign: go install github.com/sigstore/cosign/v2/cmd/cosign@{COSIGN_VERSION} "
    "(or sigstore/cosign-installer in a workflow), or set sign.cosign to its path"
)
SBOM_TYPE = "cyclonedx"
SCAN_TYPE = "https://shipml.dev/attestations/scan/v1"
# What `--type` names, by the word shipml.yaml uses.
ATTESTATION_TYPES: Mapping[str, str] = {"sbom": SBOM_TYPE, "scan": SCAN_TYPE}

_UNREACHABLE = ("connection refused", "no such host", "i/o timeout", "dial tcp", "tls: ", "deadline exceeded")
_DENIED = ("unauthorized", "authentication required", "denied", "forbidden")
_NOT_SIGNED = ("no signatures found", "no matching signatures", "no matching attestations")


class Cosign(NamedTuple):
    """One configured cosign: binary, registry transport, time limit, registry login."""

    path: str
    allow_http_registry: bool
    timeout: float
    registry_env: Mapping[str, str] = {}

    def _registry_flags(self) -> list[str]:
        return ["--allow-http-registry", "--allow-insecure-registry"] if self.allow_http_registry else []

    def _run(self, argv: list[str], what: str, env: Mapping[str, str] | None = None) -> proc.Completed:
        done = proc.run(
            [self.path, *argv],
            what="cosign",
            timeout=self.timeout,
            env={**self.registry_env, **(env or {})},
            check=False,
        )
        if done.returncode != 0:
            raise failure(done, what)
        return done

    def require_image(self, ref: str) -> None:
        """Fail (exit 2) unless the registry holds ``ref``: cosign would sign a digest that is not there."""
        self._run(["tree", *self._registry_flags(), ref], f"looking up {ref}")

    def sign(self, ref: str, key: str, *, tlog_upload: bool) -> None:
        """Sign ``ref`` (a digest) with the private ``key``; the signature is pushed beside it."""
        argv = ["sign", "--key", key, "--yes", f"--tlog-upload={str(tlog_upload).lower()}"]
        self._run([*argv, *self._registry_flags(), ref], f"signing {ref}", env=_password_env())

    def attest(self, ref: str, key: str, predicate: Path, kind: str, *, tlog_upload: bool) -> None:
        """Attach ``predicate`` as a signed in-toto attestation of ``kind`` (a type cosign knows or a URI)."""
        argv = ["attest", "--key", key, "--yes", f"--tlog-upload={str(tlog_upload).lower()}"]
        argv += ["--type", kind, "--predicate", str(predicate)]
        self._run([*argv, *self._registry_flags(), ref], f"attesting {kind} for {ref}", env=_password_env())

    def verify(self, ref: str, public_key: str) -> bool:
        """Whether ``ref`` carries a signature the public key verifies (False: none does)."""
        argv = ["verify", "--key", public_key, "--insecure-ignore-tlog=true", "--output", "json"]
        try:
            self._run([*argv, *self._registry_flags(), ref], f"verifying the signature of {ref}")
        except NotSigned:
            return False
        return True

    def verified_predicates(self, ref: str, public_key: str, kind: str) -> list[dict[str, Any]]:
        """The predicates of ``kind`` attached to ``ref`` whose signature the key verifies ([]: none)."""
        argv = ["verify-attestation", "--key", public_key, "--insecure-ignore-tlog=true", "--type", kind]
        try:
            done = self._run(
                [*argv, *self._registry_flags(), ref], f"verifying the {kind} attestation of {ref}"
            )
        except NotSigned:
            return []
        predicates = []
        for line in done.stdout.splitlines():  # one DSSE envelope per line
            with contextlib.suppress(ValueError, KeyError, TypeError):
                envelope = json.loads(line)
                statement = json.loads(base64.b64decode(envelope["payload"]))
                predicates.append({"subject": statement.get("subject"), "predicate": statement["predicate"]})
        return predicates


class NotSigned(ShipmlError):
    """cosign found no signature or attestation the key verifies: an answer, not a failure."""


def failure(done: proc.Completed, what: str) -> ShipmlError:
    """The exit-coded error for a failed cosign run, from what it said."""
    text = (done.stderr + done.stdout).lower()
    last = (done.stderr_tail or ["no output"])[-1].strip()[:300]
    if any(s in text for s in _NOT_SIGNED):
        return NotSigned(f"{what}: {last}")
    if "decrypt" in text or "incorrect passphrase" in text:
        return ConfigError(
            f"{what}: cosign could not decrypt the private key ({last})",
            hint="pass the key's password as COSIGN_PASSWORD (action input `password`)",
        )
    if "reading key" in text or "pem type" in text or "loading public key" in text or "pem to public" in text:
        return ConfigError(
            f"{what}: cosign cannot use the key ({last})",
            hint="pass what `cosign generate-key-pair` wrote: cosign.key to sign, cosign.pub to verify",
        )
    if any(s in text for s in _DENIED):
        return InfrastructureUnreachable(
            f"{what}: the registry refused cosign ({last})",
            hint="check the registry login (image.username_env / image.password_env) and its push rights",
        )
    if any(s in text for s in ("manifest_unknown", "manifest unknown", "name_unknown", "entity not found")):
        return InputDataError(
            f"{what}: the registry has no such image ({last})",
            hint="sign the digest `shipml build` pushed (output `digest`)",
        )
    if any(s in text for s in _UNREACHABLE):
        return InfrastructureUnreachable(
            f"{what}: cannot reach the registry ({last})",
            hint="check the registry address; a plain-HTTP registry needs sign.allow_http_registry: true",
        )
    return proc.failure(done, "cosign", hint="see cosign's last lines above; re-run with --debug")


def _password_env() -> dict[str, str]:
    # Never a prompt: without a terminal cosign would fail on one. An unencrypted key has "".
    return {"COSIGN_PASSWORD": os.environ.get("COSIGN_PASSWORD", "")}


def binary(explicit: str | None = None) -> str:
    return proc.find("cosign", explicit=explicit, install_hint=INSTALL_HINT)


def version(path: str) -> str | None:
    """cosign's own version (``v2.6.5``), recorded with what it signed; None if it will not say."""
    try:
        done = proc.run([path, "version", "--json"], what="cosign", timeout=30, check=False)
        value = json.loads(done.stdout).get("gitVersion")
    except (ShipmlError, ValueError, AttributeError):
        return None
    return str(value) if value else None


def check_key(key: str, root: Path, *, private: bool) -> str:
    """The key reference cosign gets: ``env://VAR`` set, a file that exists, or a KMS URI as given.

    A PEM key (in the variable or the file) must be the right half: a public key given to
    sign, or the private key given to verify, is refused here, before anything is signed.
    """
    which = "private key" if private else "public key"
    if key.startswith("env://"):
        name = key[len("env://") :]
        text = os.environ.get(name, "")
        if not text.strip():
            raise ConfigError(
                f"the cosign {which} variable {name} is empty or not set",
                hint=f"pass the {which} secret as `{name}` (action input `key`), "
                "or point the setting at a key file",
            )
        _check_pem(text, f"variable {name}", private=private)
        return key
    if "://" in key:
        return key  # awskms://, gcpkms://, azurekms://, hashivault://, k8s://: cosign resolves it
    path = Path(key).expanduser()
    path = path if path.is_absolute() else root / path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigError(
            f"cosign {which} file {path} not found or not readable",
            hint="fix the path (relative to shipml.yaml), or use env://VAR with the key in a secret",
        ) from None
    _check_pem(text, f"file {path}", private=private)
    return str(path)


def _check_pem(text: str, where: str, *, private: bool) -> None:
    kinds = [
        line[len("-----BEGIN ") : -len("-----")]
        for line in text.splitlines()
        if line.startswith("-----BEGIN ")
    ]
    if not kinds:
        return  # not PEM (a key format cosign may still read): cosign judges it
    if private != any("PRIVATE KEY" in kind for kind in kinds):
        wanted = "a private key" if private else "a public key"
        raise ConfigError(
            f"the cosign key in {where} is not {wanted} (its PEM block: {kinds[0]})",
            hint="sign with cosign.key (sign.key / input `key`), verify with cosign.pub "
            "(sign.public_key, deploy.verify_key)",
        )


@contextlib.contextmanager
def registry_login(registry: str, username: str | None, password: str | None) -> Iterator[dict[str, str]]:
    """A private ``DOCKER_CONFIG`` holding this one login, for cosign's registry calls.

    Why a file: cosign reads registry credentials from the docker config, and a password
    in its argv would show in process lists. The file is 0600 in a temporary folder
    removed afterwards. Without both values, cosign uses the caller's own docker login.
    """
    if not (username and password):
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="shipml-cosign-") as folder:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        config = Path(folder) / "config.json"
        config.touch(mode=0o600)
        config.write_text(json.dumps({"auths": {registry: {"auth": token}}}), encoding="utf-8")
        yield {"DOCKER_CONFIG": folder}
