"""The base every details model shares: tolerant where reading other versions' files needs it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """Unknown keys are ignored and numbers are accepted as text.

    ``extra="ignore"`` lets an older reader load a newer writer's file;
    ``coerce_numbers_to_str`` reads a version written as ``7`` as ``"7"``
    (hand-written files and other tools do that). Neither changes what a
    writer produces: writers pass the declared types.
    """

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
