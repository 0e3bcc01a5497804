"""The requirement IDs a plan may cover, and the field type that checks them.

Every plan lists the requirements it exercises (``covers: [SC-1, BR-02, J-04]``);
the compliance report turns those tags into a traceability matrix. A mistyped
tag would silently drop a requirement from the matrix, so each ID is checked
against the catalogue in ``requirements.yaml`` beside this module — a copy of the
IDs and one-line titles of the project's requirements catalog, kept in the repo
so that it is self-contained. The error names the nearest known ID.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

CATALOGUE_FILE = Path(__file__).with_name("requirements.yaml")


@cache
def catalogue() -> dict[str, str]:
    """Requirement ID → one-line title, in catalogue order."""
    data: dict[str, Any] = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return {str(key): str(title) for key, title in data.items()}


def _known(requirement_id: str) -> str:
    known = catalogue()
    if requirement_id in known:
        return requirement_id
    padded = re.sub(r"-(\d)$", r"-0\1", requirement_id.upper())
    close = [padded] if padded in known else difflib.get_close_matches(requirement_id, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise PydanticCustomError(
        "unknown_requirement",
        "unknown requirement ID '{id}'{hint}",
        {"id": requirement_id, "hint": hint},
    )


#: A requirement ID from the catalogue, such as ``SC-4``, ``BR-01``, ``PG-TOU`` or ``J-04``;
#: the JSON Schema lists them with their titles so editors complete and explain them.
RequirementId = Annotated[
    str,
    AfterValidator(_known),
    WithJsonSchema(
        {"oneOf": [{"const": key, "description": title} for key, title in catalogue().items()]}
    ),
]
