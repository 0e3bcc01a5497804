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

Keys brought in by a merge key (``<<: *defaults``) are placed where the anchor
defines them. Loaders that assemble one document from several files (test plans
with ``include:``) use the located variants: :func:`parse_located` returns a
:class:`SourceMap` whose positions each name their own file, and
:func:`validate_located` reports against it. A validator that knows *where inside a
value* the problem is (a column in a condition expression) raises a pydantic error
whose context carries ``offset`` (0-based, in the value's text); the issue then
points at that character when the value is a one-line scalar.
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
class Spot:
    """A position in a named file (line and column count from 1)."""

    file: str
    line: int
    column: int


@dataclass(frozen=True)
class SourceMap:
    """Where each key path of a parsed document came from.

    ``keys`` holds the position of each mapping key (or sequence item, or the
    document itself at ``()``); ``values`` holds, for one-line scalars only, the
    position of the first character of the value's text, so an ``offset`` into
    the value can be turned into a column.
    """

    keys: dict[PathKey, Spot]
    values: dict[PathKey, Spot]

    @classmethod
    def of_file(cls, file: str, positions: dict[PathKey, tuple[int, int]]) -> SourceMap:
        """A map for one file from plain ``(line, column)`` positions."""
        return cls({path: Spot(file, *where) for path, where in positions.items()}, {})


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


def _positions(node: yaml.Node, path: PathKey, file: str, text: list[str], out: SourceMap) -> None:
    """Record the position of ``node`` and everything under it, keyed by path.

    Explicit keys win over merged ones, as in YAML: a key brought in by ``<<`` is
    recorded (where the anchor defines it) only if the mapping does not set it.
    """
    out.keys.setdefault(path, _spot(node.start_mark, file))
    if isinstance(node, yaml.ScalarNode):
        _value_position(node, path, file, text, out)
    elif isinstance(node, yaml.MappingNode):
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged += (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                continue
            child = (*path, key_node.value)
            out.keys[child] = _spot(key_node.start_mark, file)
            _positions(value_node, child, file, text, out)
        for source in merged:
            for key_node, value_node in (
                source.value if isinstance(source, yaml.MappingNode) else []
            ):
                child = (*path, key_node.value)
                if child not in out.keys:
                    out.keys[child] = _spot(key_node.start_mark, file)
                    _positions(value_node, child, file, text, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _positions(item, (*path, index), file, text, out)


def _spot(mark: yaml.Mark, file: str) -> Spot:
    return Spot(file, mark.line + 1, mark.column + 1)


def _value_position(
    node: yaml.ScalarNode, path: PathKey, file: str, text: list[str], out: SourceMap
) -> None:
    """Record where a one-line scalar's text starts, when the source shows it verbatim."""
    start, end = node.start_mark, node.end_mark
    if start.line != end.line or node.style not in (None, "", '"', "'"):
        return
    column = start.column + (1 if node.style in ('"', "'") else 0)
    if text[start.line][column : column + len(node.value)] == node.value:
        out.values[path] = Spot(file, start.line + 1, column + 1)


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


class _PlacedLoader(yaml.SafeLoader):
    """A SafeLoader whose value errors carry the value's position.

    PyYAML resolves ``2027-13-01`` as a date and then fails to build it with a bare
    ``ValueError``; here that becomes a positioned ``ConstructorError``.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except ValueError as error:
            problem = f"cannot read {node.value!r}: {error}"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


def parse_located(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data and a :class:`SourceMap` into ``file``."""
    sources = SourceMap({}, {})
    try:
        node = yaml.compose(text, Loader=_PlacedLoader)
        if node is not None:
            duplicates = _duplicate_keys(node, file, set())
            if duplicates:
                raise YamlFileError(duplicates)
            _positions(node, (), file, text.splitlines(), sources)
        data = yaml.load(text, Loader=_PlacedLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        if not isinstance(error, yaml.constructor.ConstructorError):
            problem = f"YAML syntax: {problem}"
        spot = Spot(file, line, column)
        where = next((path for path, at in sources.values.items() if at == spot), ())
        issue = YamlIssue(file, line, column, ".".join(map(str, where)), problem)
        raise YamlFileError([issue]) from None
    return data, sources


def parse(text: str, file: str) -> tuple[Any, dict[PathKey, tuple[int, int]]]:
    """Parse YAML text into plain data and a map from key path to (line, column)."""
    data, sources = parse_located(text, file)
    return data, {path: (spot.line, spot.column) for path, spot in sources.keys.items()}


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
        raise YamlFileError(sorted(issues, key=_issue_order)) from None


def _issue_order(issue: YamlIssue) -> tuple[str, int, int, str]:
    return (issue.file, issue.line, issue.column, issue.where)


def validate(data: Any, positions: dict[PathKey, tuple[int, int]], model: type[M], file: str) -> M:
    """Validate parsed data with ``model``; raise :class:`YamlFileError` with positions."""
    return validate_located(data, SourceMap.of_file(file, positions), model, file)


def load_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``; every problem is reported with its position."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise YamlFileError([YamlIssue(file, 1, 1, "", f"cannot read: {error.strerror}")]) from None
    data, positions = parse(text, file)
    return validate(data, positions, model, file)
