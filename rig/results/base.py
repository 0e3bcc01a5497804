"""The base of every record model: frozen, no unknown fields, and the ``run_id`` it belongs to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: A measurement value as JSON carries it (Decimals as strings, see ``decimal``).
JsonValue = bool | int | float | str | None


class FrozenModel(BaseModel):
    """Every model of the results file: unknown fields are errors, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RunScoped(FrozenModel):
    """A record: it belongs to the run of ``run_id``."""

    run_id: str = Field(min_length=1)
