"""Multiple-testing adjustments, once for every capability (gate metrics, drift columns).

Pure Python on purpose: drift and the gate both import it, and neither should
pay for numpy here. Both procedures match ``statsmodels.stats.multitest.
multipletests`` (``holm``, ``fdr_bh``); the unit tests check against it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

Correction = Literal["holm", "bh", "none"]


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values: family-wise error control under any dependence.

    NaN p-values stay NaN and do not count towards the family size.
    """
    return adjust(p_values, "holm")


def family_size(p_values: Sequence[float]) -> int:
    """How many p-values an adjustment counts (the NaNs are not tests)."""
    return sum(1 for p in p_values if not math.isnan(p))


def adjust(p_values: Sequence[float], method: Correction) -> list[float]:
    """Adjusted p-values, Holm step-down or Benjamini-Hochberg step-up; NaNs stay NaN.

    Ties keep their input order (a stable sort), as statsmodels does, so equal
    raw p-values get equal adjusted ones either way.
    """
    out = [float("nan")] * len(p_values)
    valid = sorted(((float(p), i) for i, p in enumerate(p_values) if not math.isnan(p)), key=lambda t: t[0])
    m = len(valid)
    if method == "none" or m == 0:
        return [float(p) for p in p_values]
    if method == "holm":
        running = 0.0
        for rank, (p, i) in enumerate(valid):
            running = max(running, min(1.0, (m - rank) * p))
            out[i] = running
    else:
        running = 1.0
        for rank in range(m - 1, -1, -1):
            p, i = valid[rank]
            running = min(running, min(1.0, m * p / (rank + 1)))
            out[i] = running
    return out
