"""The ``shipml`` console script: ``shipml scan`` gets its head start, then the CLI runs.

Why a module before :mod:`shipml.cli`: importing the CLI (argparse and every command's
declaration) is ~0.03 s that trivy, the slow part of a scan, need not wait for
(:mod:`shipml.scan.head_start`). Every other command goes straight to the CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] != ["scan"]:
        from .cli import main as cli_main

        return cli_main(args)
    from .scan import head_start

    head_start.begin(args[1:])
    try:
        from .cli import main as cli_main

        return cli_main(args)
    finally:
        head_start.stop_unclaimed()
