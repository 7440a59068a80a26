"""The model serialised with skops once per training run, not twice, in compact JSON.

Logging a model used to serialise it twice: once for shipml's trusted-types audit (the types
skops cannot vouch for are read back from a dump) and once more inside MLflow's sklearn
``save_model``. Each dump also wrote skops's ``schema.json`` with ``json.dumps(indent=2)``,
which Python can only encode with its pure-Python encoder: half of every dump's time on a
150-tree gradient-boosting model (28 ms of 53 ms), for whitespace nobody reads.

Within :func:`dumped_once`, shipml dumps the model once with a compact schema, audits those
bytes, and MLflow's ``skops.io.dump`` of *that same object* writes them instead of walking
the model again. MLflow still loads the file it saved (its own check) and validates the
serving example against it, so what is logged is still proven loadable. A dump of any other
object goes to skops unchanged, and both patches are undone when the block ends.

This reaches into skops (``skops.io._persist.json``, the module global its ``_save`` encodes
the schema with). If a skops release moves it, the dump is simply indented again: slower,
never different in content; ``tests/unit/test_train_serialize.py`` fails so it is noticed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


class _CompactJson:
    """``json`` as skops sees it while dumping: the same module, without the indent."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        kwargs.pop("indent", None)
        return json.dumps(obj, **kwargs)


def compact_dumps(model: Any) -> bytes:
    """``skops.io.dumps(model)`` with the schema encoded compactly (C encoder) when skops allows it."""
    import skops.io
    from skops.io import _persist

    if getattr(_persist, "json", None) is not json:  # skops changed: plain dumps, only slower
        return bytes(skops.io.dumps(model))
    _persist.json = _CompactJson()  # type: ignore[assignment]
    try:
        return bytes(skops.io.dumps(model))
    finally:
        _persist.json = json


@contextmanager
def dumped_once(model: Any) -> Iterator[list[str]]:
    """Yield the types the model's dump needs trusted; MLflow's dump of ``model`` reuses the bytes."""
    import skops.io

    data = compact_dumps(model)
    # We built this object in this process, so the types skops cannot vouch for are ours to trust.
    trusted: list[str] = skops.io.get_untrusted_types(data=data)
    original = skops.io.dump

    def dump(obj: Any, file: str | Path | IO[bytes], **options: Any) -> None:
        if obj is not model or options:  # another object, or a compression asked for: skops's own
            original(obj, file, **options)
            return
        if isinstance(file, str | Path):
            Path(file).write_bytes(data)
        else:
            file.write(data)

    skops.io.dump = dump
    try:
        yield trusted
    finally:
        skops.io.dump = original
