"""Stage-by-stage progress for long commands.

In an Actions log each stage is a ``::group::`` fold with its timing after it; in
an interactive terminal a stage shows a live elapsed-time line and iterables get
a progress bar; piped elsewhere, one plain line per stage. Progress goes to
stderr so stdout stays clean for machine-readable output.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from . import runner

T = TypeVar("T")


def _tty() -> bool:
    return sys.stderr.isatty() and not runner.in_actions()


def say(message: str) -> None:
    print(message, file=sys.stderr if not runner.in_actions() else sys.stdout, flush=True)


@contextmanager
def stage(title: str) -> Iterator[None]:
    start = time.perf_counter()
    if runner.in_actions():
        with runner.group(title):
            yield
        say(f"✓ {title} ({time.perf_counter() - start:.1f}s)")
        return
    if _tty():
        sys.stderr.write(f"▶ {title} …\r")
        sys.stderr.flush()
    else:
        say(f"▶ {title}")
    try:
        yield
    except BaseException:
        say(f"✗ {title} ({time.perf_counter() - start:.1f}s)")
        raise
    say(f"✓ {title} ({time.perf_counter() - start:.1f}s)" + (" " * 8 if _tty() else ""))


def bar(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield ``items``, drawing a bar on a terminal and nothing elsewhere."""
    if not _tty() or total <= 0:
        yield from items
        return
    width = 28
    for done, item in enumerate(items, start=1):
        filled = int(width * done / total)
        sys.stderr.write(f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        yield item
    sys.stderr.write("\r" + " " * (width + len(label) + 24) + "\r")
