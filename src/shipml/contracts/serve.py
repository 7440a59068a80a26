"""``details`` of a serve result, written when ``shipml serve`` stops (SIGTERM/SIGINT).

Serving is not a PR step, so no report section reads it; it exists so a local or
test run records what was served and how. Add fields, never rename them.
"""

from __future__ import annotations

from pydantic import Field

from ._base import Contract


class ServeDetails(Contract):
    model_dir: str
    requests: int | None = Field(default=None, description="Requests answered before the stop.")
    loaded_at: str | None = Field(default=None, description="When the model finished loading (UTC).")
    input_path: str | None = Field(
        default=None, description='"fast" (numpy preprocessing) or "dataframe": how rows reach the model.'
    )
