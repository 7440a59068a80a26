"""Data validation (Great Expectations) and drift (Evidently) for ``shipml validate``.

Modules import GX and Evidently lazily, inside the functions that need them, so
importing this package costs nothing and ``--no-drift`` never loads Evidently.
"""
