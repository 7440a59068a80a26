"""The pydantic base every config section derives from.

Forbidding unknown keys is deliberate: a misspelt ``max_regresion`` silently
ignored would make a gate pass that the user meant to fail.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)
