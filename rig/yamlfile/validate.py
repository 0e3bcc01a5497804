"""Validate parsed YAML with a pydantic model, placing each error where the file wrote it.

:func:`validate_located` turns every pydantic validation error into a
:class:`~rig.yamlfile.sources.YamlIssue` at the deepest key path of the error
that the file spells out (pydantic's union tags and type names are skipped). A
missing key is named under its parent, an unknown key gets a "did you mean" among
every field name the model can hold, and an error whose context carries an
``offset`` (0-based, into a one-line scalar's text, such as a column in a
condition expression) points at that character.
"""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rig.yamlfile.sources import PathKey, SourceMap, Spot, YamlFileError, YamlIssue, in_file_order

M = TypeVar("M", bound=BaseModel)


def validate_located(data: Any, sources: SourceMap, model: type[M], file: str = "") -> M:
    """Validate ``data`` with ``model``; raise :class:`YamlFileError` placing each problem
    at the file and position ``sources`` gives (``file`` where it gives none)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        known = _field_names(model, set())
        issues = [
            _issue(detail, sources, known, file) for detail in error.errors(include_url=False)
        ]
        raise YamlFileError(in_file_order(issues)) from None


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Every field name and alias reachable from ``model`` (for "did you mean")."""
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        names |= _nested_field_names(field.annotation, seen)
    return names


def _nested_field_names(annotation: Any, seen: set[type[BaseModel]]) -> set[str]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _field_names(annotation, seen)
    names: set[str] = set()
    for arg in getattr(annotation, "__args__", ()) or ():
        names |= _nested_field_names(arg, seen)
    return names


def _place(
    loc: tuple[str | int, ...], sources: SourceMap, name_missing: bool
) -> tuple[PathKey, PathKey]:
    """The deepest path of ``loc`` that exists in the file, skipping pydantic's union tags
    and type names; with ``name_missing``, ``loc``'s last part (a key the file lacks) is
    appended to it. Both are returned: where to point, and what to name."""
    path: PathKey = ()
    for part in loc:
        candidate = (*path, part)
        if candidate in sources.keys:
            path = candidate
    named = (*path, loc[-1]) if name_missing and loc and path[-1:] != loc[-1:] else path
    return path, named


def _issue(detail: Any, sources: SourceMap, known: set[str], default_file: str) -> YamlIssue:
    loc = tuple(detail["loc"])
    kind = detail["type"]
    path, named = _place(loc, sources, name_missing=kind in ("missing", "extra_forbidden"))
    spot = sources.keys.get(path, Spot(default_file, 1, 1))
    message = detail["msg"]
    offset = (detail.get("ctx") or {}).get("offset")
    if kind == "extra_forbidden":
        message = "unknown key"
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        if close:
            message += f" (did you mean '{close[0]}'?)"
    elif kind == "missing":
        message = f"missing required key '{loc[-1]}'"
    elif isinstance(offset, int) and path in sources.values:
        value = sources.values[path]
        spot = Spot(value.file, value.line, value.column + offset)
    where = ".".join(str(part) for part in named)
    return YamlIssue(spot.file, spot.line, spot.column, where, message)
