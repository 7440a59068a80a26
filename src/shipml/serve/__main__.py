"""``python -m shipml.serve``: the container entry point, without the CLI's result files.

A container's root filesystem may be read-only, so this entry point writes no
result file (``shipml serve`` does, for local runs). Errors are one line on
stderr with shipml's exit codes; a drained SIGTERM exits 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import ShipmlError
from . import options


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shipml.serve", description="Serve an MLflow model directory over HTTP."
    )
    options.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        from .server import serve
        from .settings import from_args

        serve(from_args(args))
    except ShipmlError as exc:
        print(f"shipml serve: {exc}", file=sys.stderr, flush=True)
        return int(exc.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
