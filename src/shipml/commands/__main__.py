"""``python -m shipml.commands extra NAME``: the extra a command (or its action) needs.

The installer asks this before shipml is installed (``PYTHONPATH=<checkout>/src``),
so the command -> extra map lives only in the registry. Standard library only.
A name that is no command (``core``, ``all``, ``train,gate``) is returned as given:
it already names extras.
"""

from __future__ import annotations

import sys

from . import find


def extra_for(request: str) -> str:
    if request in ("", "core"):
        return ""
    command = find(request)
    if command is None:
        return request
    return command.extra or ""


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "extra":
        print("usage: python -m shipml.commands extra COMMAND|ACTION|EXTRAS", file=sys.stderr)
        return 2
    print(extra_for(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
