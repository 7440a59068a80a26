"""The model serialised with skops once per training run, not twice, in compact JSON.

Logging a model used to serialise it twice: once for shipml's trusted-types audit (the types
skops cannot vouch for are read back from a dump) and once more inside MLflow's sklearn
``save_model``. Each dump also wrote skops's ``schema.json`` with ``json.dumps(indent=2)``,
which Python can only encode with its pure-Python encoder: half of every dump's time on a
150-tree gradient-boosting model (28 ms of 53 ms), for whitespace nobody reads.

Within :func:`dumped_once`, shipml dumps the model once with a compact schema, audits those
bytes, and MLflow's ``skops.io.dump`` of *that same object* writes them instead of walking
the model again. MLflow then loads the file it saved (its own check) and loads it once more
to validate the serving example; the second load of the same bytes with the same trusted
types is the object the first one deserialised from that file, so what is logged is still
proven loadable and still predicts the example. A dump or load of anything else goes to
skops unchanged, and the patches are undone when the block ends.

This reaches into skops (``skops.io._persist.json``, the module global its ``_save`` encodes
the schema with). If a skops release moves it, the dump is simply indented again: slower,
never different in content; ``tests/unit/test_train_serialize.py`` fails so it is noticed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
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
    """Yield the types the model's dump needs trusted; MLflow's dump of ``model`` reuses the bytes.

    MLflow also loads what it saved twice: once as its save check, once more to validate the
    serving example. Within this block the second load of those same bytes, with the same
    trusted types, is the object the first load deserialised *from the file* (never the model
    in memory), so the example is still predicted by what was saved.
    """
    import skops.io

    data = compact_dumps(model)
    # We built this object in this process, so the types skops cannot vouch for are ours to trust.
    audited: list[str] = skops.io.get_untrusted_types(data=data)
    original_dump, original_load = skops.io.dump, skops.io.load
    loaded: list[Any] = []

    def dump(obj: Any, file: str | Path | IO[bytes], **options: Any) -> None:
        if obj is not model or options:  # another object, or a compression asked for: skops's own
            original_dump(obj, file, **options)
            return
        if isinstance(file, str | Path):
            Path(file).write_bytes(data)
        else:
            file.write(data)

    def load(file: str | Path | IO[bytes], trusted: Sequence[Any] | None = None) -> Any:
        ours = (
            isinstance(file, str | Path)
            and set(trusted or ()) == set(audited)
            and Path(file).is_file()
            and Path(file).read_bytes() == data
        )
        if not ours:
            return original_load(file, trusted=trusted)
        if not loaded:
            loaded.append(original_load(file, trusted=trusted))
        return loaded[0]

    skops.io.dump, skops.io.load = dump, load
    try:
        yield audited
    finally:
        skops.io.dump, skops.io.load = original_dump, original_load
