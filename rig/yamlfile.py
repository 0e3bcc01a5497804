"""Load a YAML file into a pydantic model, reporting every problem as ``file:line:col``.

Bench files, utility data sets and test plans are all written by hand, so a mistake
must point at the exact place: ::

    fixtures/benches/lab.yaml:12:5: meter.unit: Input should be less than or equal to 247
    fixtures/benches/lab.yaml:20:3: pilot.chanel: unknown key (did you mean 'channel'?)

:func:`load_model` parses the file once with positions (a composed node tree), keeps
a map from key path to position, validates the plain data with the model, and turns
each validation error into a :class:`YamlIssue` at the deepest path it can place.
YAML syntax errors and duplicate keys are reported the same way. Nothing is
half-loaded: the caller gets a valid model or a :class:`YamlFileError` listing all
issues at once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlIssue:
    """One problem at one place in a YAML file (line and column count from 1)."""

    file: str
    line: int
    column: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{self.message}"


class YamlFileError(ValueError):
    """A YAML file could not be loaded; ``issues`` lists every problem found."""

    def __init__(self, issues: list[YamlIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


def _positions(node: yaml.Node, path: PathKey, out: dict[PathKey, tuple[int, int]]) -> None:
    """Record the position of ``node`` and everything under it, keyed by path."""
    out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            out[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _positions(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _positions(item, (*path, index), out)


def _duplicate_keys(node: yaml.Node, file: str, seen_nodes: set[int]) -> list[YamlIssue]:
    if id(node) in seen_nodes:
        return []
    seen_nodes.add(id(node))
    issues: list[YamlIssue] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first and key != "<<":
                issues.append(
                    YamlIssue(
                        file,
                        line,
                        key_node.start_mark.column + 1,
                        key,
                        f"duplicate key (first set on line {first[key]})",
                    )
                )
            first.setdefault(key, line)
            issues += _duplicate_keys(value_node, file, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            issues += _duplicate_keys(item, file, seen_nodes)
    return issues


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
    loc: tuple[str | int, ...], positions: dict[PathKey, tuple[int, int]]
) -> tuple[PathKey, tuple[int, int]]:
    """The deepest path of ``loc`` that exists in the file, skipping pydantic's union tags."""
    best: PathKey = ()
    path: PathKey = ()
    for part in loc:
        candidate = (*path, part)
        if candidate in positions:
            path = best = candidate
    return best, positions.get(best, (1, 1))


def parse(text: str, file: str) -> tuple[Any, dict[PathKey, tuple[int, int]]]:
    """Parse YAML text into plain data and a map from key path to (line, column)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        issue = YamlIssue(file, line, column, "", f"YAML syntax: {problem}")
        raise YamlFileError([issue]) from None
    positions: dict[PathKey, tuple[int, int]] = {}
    if node is not None:
        duplicates = _duplicate_keys(node, file, set())
        if duplicates:
            raise YamlFileError(duplicates)
        _positions(node, (), positions)
    return data, positions


def validate(data: Any, positions: dict[PathKey, tuple[int, int]], model: type[M], file: str) -> M:
    """Validate parsed data with ``model``; raise :class:`YamlFileError` with positions."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        known = _field_names(model, set())
        issues = []
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"])
            path, (line, column) = _place(loc, positions)
            message = detail["msg"]
            if detail["type"] == "extra_forbidden":
                message = "unknown key"
                close = difflib.get_close_matches(str(loc[-1]), known, n=1)
                if close:
                    message += f" (did you mean '{close[0]}'?)"
                path = loc if loc in positions else path
            elif detail["type"] == "missing":
                message = f"missing required key '{loc[-1]}'"
            where = ".".join(str(part) for part in (path if path == loc else loc))
            issues.append(YamlIssue(file, line, column, where, message))
        raise YamlFileError(sorted(issues, key=lambda i: (i.line, i.column, i.where))) from None


def load_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``; every problem is reported with its position."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise YamlFileError([YamlIssue(file, 1, 1, "", f"cannot read: {error.strerror}")]) from None
    data, positions = parse(text, file)
    return validate(data, positions, model, file)
