"""Certificates and the kubeconfig for the local control plane, made with openssl.

One CA signs the apiserver's serving certificate (SANs for 127.0.0.1 and the in-cluster
names) and a single admin client certificate in group ``system:masters`` that every
component and test uses: this cluster is a disposable test fixture, not a security boundary.
Built in ``pki.tmp`` and renamed, so an interrupted run never leaves half a PKI.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import yaml

SERVICE_IP = "10.96.0.1"


class PkiError(RuntimeError):
    """openssl failed; the message carries its stderr."""


def _openssl(pki: Path, *args: str) -> None:
    proc = subprocess.run(["openssl", *args], cwd=pki, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PkiError(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def make_pki(pki: Path) -> None:
    """CA, apiserver serving cert, one admin client cert (system:masters), SA signing keys."""
    if (pki / "admin.crt").is_file():
        return
    tmp = pki.with_name("pki.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    days = ["-days", "3650"]
    _openssl(
        tmp,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        *days,
        "-subj",
        "/CN=shipml-test-ca",
    )
    (tmp / "apiserver.ext").write_text(
        f"subjectAltName=IP:127.0.0.1,IP:{SERVICE_IP},DNS:localhost,DNS:kubernetes,"
        "DNS:kubernetes.default,DNS:kubernetes.default.svc\n"
        "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
    )
    (tmp / "client.ext").write_text(
        "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
    )
    for name, subject, ext in (
        ("apiserver", "/CN=kube-apiserver", "apiserver.ext"),
        ("admin", "/O=system:masters/CN=admin", "client.ext"),
    ):
        _openssl(
            tmp,
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            subject,
        )
        _openssl(
            tmp,
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.crt",
            *days,
            "-extfile",
            ext,
        )
    _openssl(tmp, "genrsa", "-out", "sa.key", "2048")
    _openssl(tmp, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub")
    tmp.rename(pki)


def write_kubeconfig(path: Path, api_url: str, pki: Path) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "shipml-test",
                "cluster": {"server": api_url, "certificate-authority": str(pki / "ca.crt")},
            }
        ],
        "users": [
            {
                "name": "admin",
                "user": {"client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key")},
            }
        ],
        "contexts": [{"name": "shipml-test", "context": {"cluster": "shipml-test", "user": "admin"}}],
        "current-context": "shipml-test",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)


def ssl_context(pki: Path) -> ssl.SSLContext:
    """Verify the apiserver against our CA and present the admin client certificate."""
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    return ctx
