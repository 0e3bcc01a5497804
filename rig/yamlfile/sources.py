"""Where things are written, and problems reported there as ``file:line:col``.

A :class:`SourceMap` is what parsing a YAML document leaves beside its plain data:
the :class:`Spot` of every key path (a mapping key, a sequence item, the document
itself at ``()``), the spot of every one-line scalar's text, and the lines of every
file it points into. Loaders keep it with the model they validated, so a later
stage — a rule across fields, a runner showing the step that failed — places what
it says without reading the file again.

:func:`issues_at` is the one way a loader turns its own problems (a key path and a
message) into :class:`YamlIssue` s: the spot of the path, or of its nearest written
ancestor when the file does not spell the path out (a default, a shorthand), in
file order. :class:`YamlFileError` carries all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike

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
    the value can be turned into a column. ``lines`` holds the text of each file
    the spots name, line by line.
    """

    keys: dict[PathKey, Spot]
    values: dict[PathKey, Spot]
    lines: dict[str, list[str]] = field(default_factory=dict)

    def written(self, path: PathKey) -> tuple[Spot, str] | None:
        """Where the item at ``path`` is written and its YAML as written, if the file shows it.

        The text is the item's first line from its column on, plus the lines indented
        under it (up to the first blank line, or the next item of its list).
        """
        spot = self.keys.get(path)
        lines = self.lines.get(spot.file) if spot is not None else None
        if spot is None or lines is None:
            return None
        column = spot.column
        body = [lines[spot.line - 1][column - 1 :].rstrip()]
        for text in lines[spot.line :]:
            indent = len(text) - len(text.lstrip(" "))
            if (
                not text.strip()
                or indent < column - 1
                or (text.lstrip().startswith("- ") and indent <= column - 3)
            ):
                break
            body.append(text.rstrip())
        return spot, "\n".join(body)


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


def in_file_order(issues: Iterable[YamlIssue]) -> list[YamlIssue]:
    """Issues sorted by file, line, column and key path."""
    return sorted(issues, key=lambda i: (i.file, i.line, i.column, i.where))


def issues_at(
    file: str | PathLike[str],
    sources: SourceMap,
    problems: Iterable[tuple[PathKey, str]],
    *,
    at_value: bool = False,
) -> list[YamlIssue]:
    """Each ``(key path, message)`` as a ``file:line:col`` issue, in file order.

    The spot is the key's (or, with ``at_value``, the value's where it is a one-line
    scalar); a path the file does not spell out (a shorthand such as ``payer: ACC-1``
    for ``payer.account``, a default) is placed at its nearest written ancestor, and
    at ``file:1:1`` when none is.
    """
    issues = []
    for key_path, message in problems:
        spot = Spot(str(file), 1, 1)
        for depth in range(len(key_path), -1, -1):
            path = key_path[:depth]
            found = (at_value and sources.values.get(path)) or sources.keys.get(path)
            if found:
                spot = found
                break
        where = ".".join(map(str, key_path))
        issues.append(YamlIssue(spot.file, spot.line, spot.column, where, message))
    return in_file_order(issues)
