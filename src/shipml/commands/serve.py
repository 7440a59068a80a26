"""``shipml serve``: run the default model server in the foreground, without Docker.

Long-running: ``run`` blocks until SIGTERM/SIGINT, drains in-flight requests,
then returns a passed Result (requests served, input path) so the CLI exits 0
and writes its result file like any command. A model directory that cannot be
served is exit 2 before the port is bound. Serving logic lives in
:mod:`shipml.serve`; this module only adapts it to the CLI.
"""

from __future__ import annotations

import argparse

from ..errors import require
from ..results import Outcome
from ..serve import options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_arguments(parser)


def run(args: argparse.Namespace) -> Outcome:
    for module in ("fastapi", "uvicorn", "prometheus_client"):
        require(module, "serve")
    from ..serve.server import serve
    from ..serve.settings import from_args

    settings = from_args(args)
    outcome = serve(settings)
    served = "?" if outcome.requests is None else str(outcome.requests)
    from ..contracts.serve import ServeDetails

    details = ServeDetails(
        model_dir=str(settings.model_dir),
        requests=outcome.requests,
        loaded_at=outcome.loaded_at,
        input_path=outcome.input_path,
    )
    return Outcome(
        "passed",
        summary=f"served {settings.model_dir} until stopped ({served} requests)",
        summary_md=f"**shipml serve**: served `{settings.model_dir}` until stopped ({served} requests).",
        details=details.model_dump(mode="json"),
        outputs={"requests": served},
    )
