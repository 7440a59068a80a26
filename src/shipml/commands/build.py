"""``shipml build``: the model image, labelled with its model version and commit, pushed by digest.

Thin: fetching the model, the Dockerfiles and the Docker engine live in
:mod:`shipml.image`; the docker SDK and MLflow are imported only when it runs.
"""

from __future__ import annotations

import argparse

from ..config import load_config
from ..errors import UsageError
from ..results import Result, ResultRecorder

HELP = "Build the model image (default server or your Dockerfile), label, tag, push; output the digest."

DESCRIPTION = """\
Build an image with the Docker engine at DOCKER_HOST, either your own Dockerfile
(image.dockerfile, image.context) or shipml's default model server for MODEL: a
models:/NAME@ALIAS, models:/NAME/N or runs:/RUN_ID/PATH URI, or a logged model directory.
The default image is image.base + the Python dependencies (from image.wheelhouse with
pip --no-index when set, the air-gapped path; else from the package index) + shipml +
the model, in that layer order, so a new model version rebuilds only the top layers.
It runs as a non-root user: `python -m shipml.serve --model-dir /opt/model`.

Labels: org.opencontainers.image.{source,revision,created,version}, io.shipml.model.{name,
version,uri}, io.shipml.run-id, io.shipml.git-sha. Tags from image.tags. With
image.registry set, every tag is pushed (credentials from the environment variables named
by image.username_env / image.password_env, masked) and the `digest` output is
REGISTRY/REPO@sha256:...; deploy that, never a tag. A failing Dockerfile step exits 1 with
the step and its last log lines; an unreachable daemon or a refused login exits 3.

For image.wheelhouse, download wheels for the image's Python and platform, e.g.:
  pip download --only-binary=:all: --python-version 3.11 --implementation cp \\
    --platform manylinux2014_x86_64 -d wheels -r <requirements the build prints>
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("model", nargs="?", default="", help="Model URI or directory (default image).")
    parser.add_argument("--dockerfile", default="", help="Your own Dockerfile (image.dockerfile).")
    parser.add_argument("--context", default="", help="Build context of your Dockerfile (image.context).")
    parser.add_argument("--base", default="", help="Base of the default image (image.base).")
    parser.add_argument("--registry", default="", help="Registry host[:port] to push to (image.registry).")
    parser.add_argument("--repository", default="", help="Repository name (image.repository).")
    parser.add_argument("--tag", action="append", default=[], help="Tag template, repeatable (image.tags).")
    parser.add_argument("--build-arg", action="append", default=[], help="KEY=VALUE, repeatable.")
    parser.add_argument("--target", default="", help="Multi-stage target (image.target).")
    parser.add_argument("--wheelhouse", default="", help="Directory of wheels (image.wheelhouse).")
    parser.add_argument("--no-cache", action="store_true", help="Rebuild every layer.")
    parser.add_argument("--no-push", action="store_true", help="Build and tag only.")
    from .. import tracking

    tracking.add_arguments(parser)


def run(args: argparse.Namespace) -> Result:
    recorder = ResultRecorder("build")
    build_args = {}
    for item in args.build_arg:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(
                f"--build-arg {item!r} is not KEY=VALUE", hint="write e.g. --build-arg VERSION=1"
            )
        build_args[key] = value
    from pathlib import Path

    from .. import tracking

    def absolute(path: str) -> str:
        return str(Path(path).resolve()) if path else ""

    cfg = load_config(
        args.config,
        overrides={
            **tracking.overrides(args),
            ("image", "dockerfile"): args.dockerfile,
            ("image", "context"): absolute(args.context),
            ("image", "base"): args.base,
            ("image", "registry"): args.registry,
            ("image", "repository"): args.repository,
            ("image", "tags"): args.tag or None,
            ("image", "target"): args.target,
            ("image", "wheelhouse"): absolute(args.wheelhouse),
        },
    )
    from ..image.build import build

    outcome = build(
        cfg,
        model_uri=args.model or None,
        nocache=bool(args.no_cache),
        build_args=build_args,
        push=False if args.no_push else None,
    )
    d = outcome.details
    if not outcome.passed:
        tail = "\n".join(d.log_tail[-10:])
        return recorder.finish(
            "failed",
            summary=f"build failed at {d.failed_step or 'the first step'}",
            summary_md=f"### shipml build: failed\n\nAt `{d.failed_step}`:\n\n```\n{tail}\n```\n",
            details=d.model_dump(mode="json"),
            outputs={"image-id": "", "digest": ""},
        )
    image = d.digest or d.references[0]
    size = f"{(d.size_bytes or 0) / 1e6:.0f} MB"
    what = f"{d.model_name} v{d.model_version}" if d.model_version else (d.model_uri or "your Dockerfile")
    md = (
        f"### shipml build: {what}\n\n`{image}` ({size}, {d.layers} layers, built in {d.build_seconds}s)\n\n"
        + "| label | value |\n|---|---|\n"
        + "".join(f"| `{k}` | `{v}` |\n" for k, v in d.labels.items())
    )
    return recorder.finish(
        "passed",
        summary=f"{image} ({size})",
        summary_md=md,
        details=d.model_dump(mode="json"),
        outputs={
            "image-id": d.image_id,
            "digest": d.digest or "",
            "image": image,
            "tags": ",".join(d.references),
            "size-bytes": str(d.size_bytes or ""),
        },
    )
