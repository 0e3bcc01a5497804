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
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

PathKey = tuple[str | int, ...]

#: The largest YAML file any loader reads (1 MiB; the biggest shipped file is ~15 kB).
MAX_BYTES = 1 << 20
#: The deepest nesting of mappings and sequences (shipped files nest at most ~8 deep).
MAX_DEPTH = 64
#: The most nodes a document may hold once every alias is expanded.
MAX_NODES = 100_000


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


def _key_problems(node: yaml.Node, file: str, seen_nodes: set[int]) -> list[YamlIssue]:
    if id(node) in seen_nodes:
        return []
    seen_nodes.add(id(node))
    issues: list[YamlIssue] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                mark = key_node.start_mark
                issues.append(
                    YamlIssue(
                        file, line, mark.column + 1, "", "a key must be a scalar, not a collection"
                    )
                )
                continue
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
            issues += _key_problems(value_node, file, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            issues += _key_problems(item, file, seen_nodes)
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
    """A SafeLoader whose value errors carry the value's position, and which refuses
    documents too deep or too large once aliases are expanded.

    PyYAML resolves ``2027-13-01`` as a date and then fails to build it with a bare
    ``ValueError``; here that becomes a positioned ``ConstructorError``.

    Composing counts every node as what it stands for: a fresh node counts its
    expanded size (itself plus its children's sizes, aliases included), an alias
    adds the size of the node it names. The running total is checked at every
    alias, so an alias bomb stops at the alias that crosses :data:`MAX_NODES`,
    after composing only the few nodes actually written.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0
        self._sizes: dict[int, int] = {}
        self._open_anchors: set[str] = set()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open_anchors:
                raise _refused(f"alias *{event.anchor} is inside the node it names", event)
            node = super().compose_node(parent, index)
            self._expanded += self._sizes.get(id(node), 1)
            if self._expanded > MAX_NODES:
                problem = f"aliases expand this document beyond {MAX_NODES} nodes (an alias bomb?)"
                raise _refused(problem, event)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _refused(f"nested deeper than {MAX_DEPTH} levels", event)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open_anchors.add(anchor)
        node = super().compose_node(parent, index)
        self._open_anchors.discard(anchor or "")
        self._depth -= 1
        self._sizes[id(node)] = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
        self._expanded += 1
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except ValueError as error:
            problem = f"cannot read {_shown(node.value)}: {error}"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

    def construct_finite_float(self, node: yaml.ScalarNode) -> float:
        number = self.construct_yaml_float(node)
        if not math.isfinite(number):
            problem = f"numbers must be finite, not {_shown(node.value)}"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)
        return number


_PlacedLoader.add_constructor("tag:yaml.org,2002:float", _PlacedLoader.construct_finite_float)


class _Refused(yaml.composer.ComposerError):
    """A document refused for its size or shape (not a syntax error)."""


def _refused(problem: str, event: yaml.Event) -> _Refused:
    mark: Any = event.start_mark
    return _Refused(None, None, problem, mark)


def _shown(value: Any) -> str:
    """A value as an error message quotes it: ``repr``, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _children(node: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _text_spot(text: str, index: int, file: str) -> Spot:
    """The line and column of character ``index`` of ``text``."""
    line = text.count("\n", 0, index)
    return Spot(file, line + 1, index - (text.rfind("\n", 0, index) + 1) + 1)


def read_text(path: str | Path, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path``, of at most ``limit`` bytes.

    Raises :class:`YamlFileError`: for a file that cannot be opened, is not a regular
    file (a device such as ``/dev/zero``, a FIFO, a directory), is bigger than
    ``limit``, or is not UTF-8 (at the first bad byte). The file is opened without
    blocking, so a FIFO with no writer is refused rather than waited on.
    """
    file = str(path)

    def refuse(message: str, spot: Spot | None = None) -> YamlFileError:
        at = spot or Spot(file, 1, 1)
        return YamlFileError([YamlIssue(file, at.line, at.column, "", message)])

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise refuse(f"cannot read: {error.strerror}") from None
    except ValueError as error:  # a NUL in the name
        raise refuse(f"cannot read: {error}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise refuse("cannot read: not a regular file")
        data = os.read(fd, limit + 1)
    except OSError as error:
        raise refuse(f"cannot read: {error.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise refuse(f"file is larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")
        spot = _text_spot(before, len(before), file)
        raise refuse(f"not UTF-8: byte 0x{data[error.start]:02x} {error.reason}", spot) from None


def parse_located(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data and a :class:`SourceMap` into ``file``."""
    sources = SourceMap({}, {})
    try:
        node = yaml.compose(text, Loader=_PlacedLoader)
        if node is not None:
            duplicates = _key_problems(node, file, set())
            if duplicates:
                raise YamlFileError(duplicates)
            _positions(node, (), file, text.splitlines(), sources)
        data = yaml.load(text, Loader=_PlacedLoader)
    except yaml.reader.ReaderError as error:
        spot = _text_spot(text, error.position, file)
        problem = f"character #x{error.character:04x} is not allowed in YAML ({error.reason})"
        raise YamlFileError([YamlIssue(file, spot.line, spot.column, "", problem)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        if not isinstance(error, yaml.constructor.ConstructorError | _Refused):
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
    data, positions = parse(read_text(path), file)
    return validate(data, positions, model, file)
