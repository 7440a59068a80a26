"""MLflow's check of a model's pinned requirements, without its scan of every installed package.

When a model is saved, MLflow checks each pinned requirement against the running environment.
Before the first check it maps *every* installed distribution to its top-level modules
(``importlib.metadata.packages_distributions()``, which reads each one's RECORD file): 0.2-0.5 s in
shipml's own venv, more in a user's larger one, on every training run. The check reads each
version by distribution name (``importlib.metadata.version``); the module map is consulted only
when metadata cannot find the distribution, to import the module and read its ``__version__``.
For such a distribution there is no metadata to map from either, so the full scan cannot name its
module: an empty map (plus MLflow's own extras) gives every check the answer the scan would.
The check still runs and still warns on a mismatch; it only stops reading unrelated RECORD files.

This reaches into ``mlflow.utils.requirements_utils``. MLflow is pinned exactly in pyproject.toml,
and ``tests/unit/test_mlflow_requirements.py`` fails if the attribute moves; if it is gone at run
time, nothing is seeded and MLflow scans as before, only slower.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

MODULE_MAP = "_MODULES_TO_PACKAGES"  # module name -> distribution names, built once per process
REVERSE_MAP = "_PACKAGES_TO_MODULES"


@contextmanager
def checked_without_scan() -> Iterator[None]:
    """Within this block, MLflow's requirement checks skip the scan of every installed distribution."""
    from mlflow.utils import requirements_utils

    if getattr(requirements_utils, MODULE_MAP, "moved") is not None:  # already built, or MLflow changed
        yield
        return
    extras = getattr(requirements_utils, "MLFLOW_MODULES_TO_PACKAGES", {})
    seeded: dict[str, list[str]] = {module: list(names) for module, names in extras.items()}
    setattr(requirements_utils, MODULE_MAP, seeded)
    setattr(requirements_utils, REVERSE_MAP, None)
    try:
        yield
    finally:
        # Anything else in this process that infers requirements gets MLflow's full scan again.
        if getattr(requirements_utils, MODULE_MAP, None) is seeded:
            setattr(requirements_utils, MODULE_MAP, None)
            setattr(requirements_utils, REVERSE_MAP, None)
