"""One ``shipml build``: the user's Dockerfile or the default model server, labelled, tagged, pushed."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import runner
from ..contracts.build import BuildDetails
from ..errors import ConfigError, InfrastructureUnreachable, InputDataError, UsageError
from . import daemon, dockerfile, labels, model_source, requirements

if TYPE_CHECKING:
    from ..config import ShipmlConfig


@dataclass(frozen=True)
class Outcome:
    details: BuildDetails
    passed: bool


def _repository_name(cfg: ShipmlConfig, model_name: str | None) -> str:
    name = cfg.image.repository or model_name or cfg.mlflow.registered_model or cfg.project
    name = re.sub(r"[^a-z0-9._/-]+", "-", name.lower()).strip("-./_") or "model"
    return f"{cfg.image.registry}/{name}" if cfg.image.registry else name


def _copy_readable(source: Path, dest: Path) -> None:
    """Copy a tree for a build context, readable by the image's non-root user, no bytecode."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for root, dirs, files in os.walk(dest):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)


def _wheels(cfg: ShipmlConfig) -> list[Path] | None:
    if not cfg.image.wheelhouse:
        return None
    path = cfg.path(cfg.image.wheelhouse)
    wheels = sorted(path.glob("*.whl")) if path.is_dir() else []
    if not wheels:
        raise ConfigError(
            f"{cfg.where('image', 'wheelhouse')}: {path} holds no wheels",
            hint="fill it with `pip download --only-binary=:all: --python-version 3.11 "
            "--platform manylinux2014_x86_64 -d DIR -r requirements.txt` (see `shipml build --help`)",
        )
    return wheels


def _failure(log: daemon.BuildLog, details: dict[str, Any]) -> Outcome:
    runner.error(f"docker build failed at {log.step or 'the first step'}: {log.error}", title="shipml build")
    return Outcome(
        BuildDetails(**details, image_id="", failed_step=log.step, log_tail=list(log.tail)), passed=False
    )


def _deps_image(
    client: Any,
    cfg: ShipmlConfig,
    reqs: list[str],
    work: Path,
    *,
    nocache: bool,
    buildargs: Mapping[str, str],
) -> tuple[str, daemon.BuildLog | None]:
    """The dependency image for these requirements: reused when present, else built."""
    wheels = _wheels(cfg)
    key = dockerfile.deps_key(cfg.image.base, reqs, [w.name for w in wheels] if wheels is not None else None)
    tag = f"{dockerfile.DEPS_REPOSITORY}:{key}"
    if not nocache and daemon.image_exists(client, tag):
        print(f"dependencies: reusing {tag}", flush=True)
        return tag, None
    ctx = work / "deps"
    ctx.mkdir()
    (ctx / "requirements.txt").write_text("\n".join(reqs) + "\n", encoding="utf-8")
    if wheels is not None:
        (ctx / "wheels").mkdir()
        for wheel in wheels:
            try:
                os.link(wheel, ctx / "wheels" / wheel.name)
            except OSError:
                shutil.copy2(wheel, ctx / "wheels" / wheel.name)
    (ctx / "Dockerfile").write_text(dockerfile.deps_dockerfile(cfg.image.base, wheelhouse=wheels is not None))
    log = daemon.build(
        client,
        ctx,
        dockerfile="Dockerfile",
        tag=tag,
        buildargs=buildargs,
        nocache=nocache,
        title=f"docker build {tag} (dependencies)",
    )
    return tag, log


def build(
    cfg: ShipmlConfig,
    *,
    model_uri: str | None,
    nocache: bool = False,
    build_args: Mapping[str, str] | None = None,
    push: bool | None = None,
) -> Outcome:
    section = cfg.image
    username, password = section.credentials()
    want_push = bool(section.registry) and (section.push if push is None else push)
    if push and not section.registry:
        raise UsageError("--push needs a registry", hint="set image.registry (host[:port]) in shipml.yaml")
    buildargs = {**section.build_args, **(build_args or {})}
    own = section.dockerfile is not None
    if not own and not model_uri:
        raise UsageError(
            "nothing to build: give a model (models:/NAME@ALIAS, models:/NAME/N, runs:/ID/PATH or a dir)",
            hint="or set image.dockerfile to build your own Dockerfile",
        )
    client = daemon.connect(section.timeout)
    started = time.perf_counter()
    root = runner.work_dir() / "build"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ctx-", dir=root) as tmp:
        work = Path(tmp)
        info = model_source.ModelInfo(model_uri, None, None, None) if model_uri else None
        if own:
            context = cfg.path(section.context)
            assert section.dockerfile is not None
            docker_file = section.dockerfile
            if not (context / docker_file).is_file():
                raise InputDataError(
                    f"{cfg.where('image', 'dockerfile')}: {context / docker_file} not found",
                    hint="image.dockerfile is relative to image.context; fix the path",
                )
        else:
            assert model_uri is not None
            info = model_source.fetch(cfg, model_uri, work / "server" / "model")
        provenance = labels.Provenance(
            model_uri=info.uri if info else None,
            model_name=info.name if info else None,
            model_version=info.version if info else None,
            run_id=info.run_id if info else None,
            git_sha=labels.git_sha(cfg.root),
            source=labels.source_url(cfg.root),
        )
        image_labels = labels.labels(provenance)
        repository = _repository_name(cfg, provenance.model_name)
        tags = labels.render_tags(section.tags, provenance, where=cfg.where("image", "tags"))
        details: dict[str, Any] = {
            "default_image": not own,
            # relative to the workspace: the PR comment shows it, and a runner path means nothing there
            "dockerfile": runner.display_path(context / docker_file) if own else None,
            "base": None if own else section.base,
            "model_uri": provenance.model_uri,
            "model_name": provenance.model_name,
            "model_version": provenance.model_version,
            "run_id": provenance.run_id,
            "git_sha": provenance.git_sha,
            "labels": image_labels,
            "references": [f"{repository}:{t}" for t in tags],
        }
        if not own:
            server = work / "server"
            reqs = requirements.image_requirements(server / "model")
            deps_tag, deps_log = _deps_image(client, cfg, reqs, work, nocache=nocache, buildargs=buildargs)
            if deps_log is not None and deps_log.error:
                return _failure(deps_log, details)
            import shipml

            _copy_readable(Path(shipml.__file__).parent, server / "shipml")
            os.chmod(server / "model", 0o755)
            for path in (server / "model").rglob("*"):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
            env = {
                "SHIPML_MODEL_NAME": provenance.model_name or "",
                "SHIPML_MODEL_VERSION": provenance.model_version or "",
                "SHIPML_RUN_ID": provenance.run_id or "",
            }
            (server / "Dockerfile").write_text(
                dockerfile.server_dockerfile(deps_tag, port=section.port, env=env, labels=image_labels),
                encoding="utf-8",
            )
            context, docker_file = server, "Dockerfile"
        log = daemon.build(
            client,
            context,
            dockerfile=docker_file,
            tag=details["references"][0],
            labels=image_labels if own else None,  # the default Dockerfile has them in one LABEL
            buildargs=buildargs,
            target=section.target if own else None,
            nocache=nocache,
            title=f"docker build {details['references'][0]}",
        )
    if log.error or not log.image_id:
        return _failure(log, details)
    build_seconds = round(time.perf_counter() - started, 2)
    for ref in details["references"][1:]:
        repo, _, tag = ref.rpartition(":")
        client.tag(log.image_id, repo, tag)
    digest = None
    push_seconds = None
    if want_push:
        auth = {"username": username, "password": password} if username or password else None
        t0 = time.perf_counter()
        manifest = None
        for ref in details["references"]:
            repo, _, tag = ref.rpartition(":")
            try:
                manifest = daemon.push(client, repo, tag, auth)
            except daemon.PushRefused as exc:
                who = (
                    f"user from {section.username_env}"
                    if username
                    else f"no credentials ({section.username_env}/{section.password_env} unset)"
                )
                raise InfrastructureUnreachable(
                    f"registry {section.registry} refused the push of {ref} with {who}: {exc}",
                    hint=f"check {section.username_env} / {section.password_env} (a token with push rights)",
                ) from None
        digest = f"{repository}@{manifest}"
        push_seconds = round(time.perf_counter() - t0, 2)
    meta = daemon.inspect(client, log.image_id)
    return Outcome(
        BuildDetails(
            **details,
            image_id=log.image_id,
            digest=digest,
            pushed=digest is not None,
            size_bytes=meta.get("Size"),
            layers=len((meta.get("RootFS") or {}).get("Layers") or []),
            build_seconds=build_seconds,
            push_seconds=push_seconds,
        ),
        passed=True,
    )
