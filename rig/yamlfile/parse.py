"""Parse YAML text once: the plain data, and a source map of where everything is.

:func:`parse_located` composes the document into a node tree with positions,
checks its keys (a duplicate key, a key that is a collection), records the
:class:`~rig.yamlfile.sources.SourceMap` from the tree, and constructs the plain
data from that same tree — the text is read once. Keys brought in by a merge key
(``<<: *defaults``) are placed where the anchor defines them.

Every file is hostile until parsed: :func:`read_text` refuses what is not a small
regular UTF-8 file, and the loader refuses documents nested deeper than
:data:`MAX_DEPTH` or larger than :data:`MAX_NODES` once aliases are expanded (an
alias bomb stops at the alias that crosses the limit), values PyYAML cannot build
(``2027-13-01``) and numbers that are not finite. Syntax errors are reported like
every other problem, as a :class:`~rig.yamlfile.sources.YamlIssue` at their
position.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from rig.yamlfile.sources import PathKey, SourceMap, Spot, YamlFileError, YamlIssue

#: The largest YAML file any loader reads (1 MiB; the biggest shipped file is ~15 kB).
MAX_BYTES = 1 << 20
#: The deepest nesting of mappings and sequences (shipped files nest at most ~8 deep).
MAX_DEPTH = 64
#: The most nodes a document may hold once every alias is expanded.
MAX_NODES = 100_000


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
    """Parse YAML text into plain data and a :class:`SourceMap` into ``file`` (read once)."""
    lines = text.splitlines()
    sources = SourceMap({}, {}, {file: lines})
    try:
        loader = _PlacedLoader(text)  # refuses a character YAML does not allow
        try:
            node = loader.get_single_node()
            data = None
            if node is not None:
                duplicates = _key_problems(node, file, set())
                if duplicates:
                    raise YamlFileError(duplicates)
                _positions(node, (), file, lines, sources)
                data = loader.construct_document(node)
        finally:
            loader.dispose()
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
