"""``shipml build``: the model image, labelled with its model version and commit, pushed by digest.

Thin: fetching the model, the Dockerfiles and the Docker engine live in
:mod:`shipml.image`; the docker SDK and MLflow are imported only when it runs.
"""

from __future__ import annotations

import argparse

from ..config import load_config
from ..errors import UsageError
from ..mlflow_api import store
from ..results import Outcome

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
    parser.add_argument("model_arg", nargs="?", default="", metavar="MODEL", help="Same as --model.")
    parser.add_argument(
        "--model", default="", help="Model URI (models:/NAME@ALIAS, models:/NAME/N, runs:/...) or directory."
    )
    parser.add_argument("--dockerfile", default="", help="Your own Dockerfile (image.dockerfile).")
    parser.add_argument("--context", default="", help="Build context of your Dockerfile (image.context).")
    parser.add_argument("--base", default="", help="Base of the default image (image.base).")
    parser.add_argument("--registry", default="", help="Registry host[:port] to push to (image.registry).")
    parser.add_argument("--repository", default="", help="Repository name (image.repository).")
    parser.add_argument(
        "--tag",
        "--tags",
        action="append",
        default=[],
        help="Tag templates, repeatable or comma/newline-separated (image.tags).",
    )
    parser.add_argument(
        "--build-arg",
        "--build-args",
        action="append",
        default=[],
        help="KEY=VALUE, repeatable or one per line.",
    )
    parser.add_argument("--target", default="", help="Multi-stage target (image.target).")
    parser.add_argument("--wheelhouse", default="", help="Directory of wheels (image.wheelhouse).")
    parser.add_argument("--no-cache", action="store_true", help="Rebuild every layer.")
    parser.add_argument(
        "--push",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Push when a registry is set (image.push; default: yes).",
    )
    store.add_arguments(parser)


def _split(values: list[str], separators: str) -> list[str]:
    """Repeated options and one-value lists (an action input) alike: ``a,b`` or ``a\nb``."""
    items: list[str] = []
    for value in values:
        for sep in separators[1:]:
            value = value.replace(sep, separators[0])
        items += [item.strip() for item in value.split(separators[0]) if item.strip()]
    return items


def _build_args(items: list[str]) -> dict[str, str]:
    build_args = {}
    for item in _split(items, "\n"):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--build-arg {item!r} is not KEY=VALUE", hint="write e.g. --build-arg VERSION=1"
            )
        build_args[key.strip()] = value
    return build_args


def run(args: argparse.Namespace) -> Outcome:
    if args.model and args.model_arg and args.model != args.model_arg:
        raise UsageError(
            f"two models given: {args.model_arg} and --model {args.model}", hint="give the model once"
        )
    build_args = _build_args(args.build_arg)
    from pathlib import Path

    def absolute(path: str) -> str:
        return str(Path(path).resolve()) if path else ""

    cfg = load_config(
        args.config,
        overrides={
            **store.overrides(args),
            ("image", "dockerfile"): args.dockerfile,
            ("image", "context"): absolute(args.context),
            ("image", "base"): args.base,
            ("image", "registry"): args.registry,
            ("image", "repository"): args.repository,
            ("image", "tags"): _split(args.tag, "\n,") or None,
            ("image", "target"): args.target,
            ("image", "wheelhouse"): absolute(args.wheelhouse),
        },
    )
    from ..image.build import build

    built = build(
        cfg,
        model_uri=(args.model or args.model_arg) or None,
        nocache=bool(args.no_cache),
        build_args=build_args,
        push=args.push,
    )
    d = built.details
    if not built.passed:
        return Outcome(
            "failed",
            summary=f"build failed at {d.failed_step or 'the first step'}",
            details=d.model_dump(mode="json"),
            outputs={"image-id": "", "digest": "", "image": ""},
        )
    image = d.digest or d.references[0]
    size = f"{(d.size_bytes or 0) / 1e6:.0f} MB"
    return Outcome(
        "passed",
        summary=f"{image} ({size})",
        details=d.model_dump(mode="json"),
        outputs={
            "image-id": d.image_id,
            "digest": d.digest or "",
            "image": image,
            "tags": ",".join(d.references),
            "size-bytes": str(d.size_bytes or ""),
        },
    )
