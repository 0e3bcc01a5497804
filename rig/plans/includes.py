"""Shared fragments: ``include:`` another YAML file, and still know where every value came from.

Scenarios share a lot — the same PEV, premise and portal, the same opening steps,
the same billing checks — so plans reuse fragments, usually under
``test_plans/common/``. Paths are relative to the including file. Two forms:

* at the top of a plan (or of a fragment), ``include: <file>`` or a list of files,
  each a **mapping** merged *under* the including file: fragments in order, then
  the file's own keys on top; nested mappings merge key by key, anything else
  (a list, a scalar) is replaced whole::

      include: [common/home_premise.yaml, common/pev_h1.yaml]
      pev: {communicating: false}        # overrides just this key of the fragment

* as an item of a list (``steps``, ``checks``), ``- include: <file>`` where the file
  is a **list**, spliced in place::

      steps:
        - include: common/plug_in_and_bind.yaml
        - charge: 2 h

Within one file, YAML anchors and merge keys (``<<: *defaults``) work as usual.

Includes stay inside the **plan tree**, the directory of the plan being loaded and
everything under it: an absolute path, a ``..`` that climbs out of the tree and a
symbolic link that points out of it are refused at the ``include`` that names
them, so a plan can never read ``/dev/zero`` or ``/etc/passwd``. A fragment may be
included many times, but one plan reads at most :data:`MAX_INCLUDES` fragments and
holds at most :data:`~rig.yamlfile.MAX_NODES` values with all of them expanded, so
fragments including each other several times over cannot multiply into a bomb.

Every value keeps the :class:`~rig.yamlfile.Spot` it was written at, so an error in
a value that came from a fragment points into the fragment. A missing file, a file
including itself (directly or not) and a fragment of the wrong shape are issues at
the ``include`` that names them; all of them are collected, never just the first.
Reading goes through a ``read`` function, so the resolver is pure and testable
without a disk. Each file is read and parsed once; the resolver keeps the lines of
every file it read, so the plan's source map can show an item as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.yamlfile import (
    MAX_NODES,
    PathKey,
    SourceMap,
    Spot,
    YamlFileError,
    YamlIssue,
    parse_located,
    read_text,
)

INCLUDE = "include"

#: The most fragments one plan may read, counting a fragment each time it is included.
MAX_INCLUDES = 200

#: How files are read: a path → its text (``OSError`` or :class:`YamlFileError` when it
#: cannot be read).
Reader = Callable[[Path], str]


def read_utf8(path: Path) -> str:
    """A plan file's text, within :func:`rig.yamlfile.read_text`'s limits."""
    return read_text(path)


@dataclass(frozen=True)
class Located:
    """A YAML value with its position: ``value`` is a dict of :class:`Located`, a list of
    them, or a scalar; ``key`` is where its key (or list item) is written, ``text`` where a
    one-line scalar's text starts."""

    value: Any
    key: Spot
    text: Spot | None = None


def _tree(data: Any, sources: SourceMap, path: PathKey, fallback: Spot) -> Located:
    spot = sources.keys.get(path, fallback)
    if isinstance(data, dict):
        value: Any = {k: _tree(v, sources, (*path, k), spot) for k, v in data.items()}
    elif isinstance(data, list):
        value = [_tree(v, sources, (*path, i), spot) for i, v in enumerate(data)]
    else:
        value = data
    return Located(value, spot, sources.values.get(path))


def flatten(node: Located, lines: dict[str, list[str]]) -> tuple[Any, SourceMap]:
    """Plain data and its :class:`SourceMap` (keys and values may name several files, whose
    ``lines`` it keeps)."""
    sources = SourceMap({}, {}, lines)
    return _flatten(node, (), sources), sources


def _flatten(node: Located, path: PathKey, sources: SourceMap) -> Any:
    sources.keys[path] = node.key
    if node.text is not None:
        sources.values[path] = node.text
    if isinstance(node.value, dict):
        return {k: _flatten(v, (*path, k), sources) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [_flatten(v, (*path, i), sources) for i, v in enumerate(node.value)]
    return node.value


def merge(base: Located, top: Located) -> Located:
    """``top`` over ``base``: mappings merge key by key, anything else is replaced."""
    if not (isinstance(base.value, dict) and isinstance(top.value, dict)):
        return top
    merged = dict(base.value)
    for key, value in top.value.items():
        merged[key] = merge(merged[key], value) if key in merged else value
    return Located(merged, top.key, top.text)


@dataclass
class Resolver:
    """Reads a file and everything it includes; problems accumulate in ``issues``."""

    read: Reader = read_utf8
    issues: list[YamlIssue] = field(default_factory=list)
    root: Path | None = None
    """The plan tree: the directory of the first file read; includes stay inside it."""
    included: int = 0
    nodes: int = 0
    lines: dict[str, list[str]] = field(default_factory=dict)
    """The lines of every file read, by file name."""

    def document(
        self, path: Path, chain: tuple[Path, ...] = (), included_at: Located | None = None
    ) -> Located | None:
        """The file at ``path`` with its includes resolved, or ``None`` if it cannot be parsed.

        ``included_at`` is the ``include`` entry that named the file, where a file that
        cannot be read is reported.
        """
        file = str(path)
        if self.root is None:
            self.root = path.parent.resolve()
        try:
            text = self.read(path)
        except YamlFileError as error:
            self.issues += error.issues
            return None
        except OSError as error:
            if included_at is not None:
                self._problem(included_at, f"cannot read included file {file}: {error.strerror}")
            else:
                self.issues.append(YamlIssue(file, 1, 1, "", f"cannot read: {error.strerror}"))
            return None
        try:
            data, sources = parse_located(text, file)
        except YamlFileError as error:
            self.issues += error.issues
            return None
        self.lines.update(sources.lines)
        self.nodes += len(sources.keys)
        if self.nodes > MAX_NODES and included_at is not None:
            self._problem(included_at, f"with its includes, the plan exceeds {MAX_NODES} values")
            return None
        tree = _tree(data, sources, (), Spot(file, 1, 1))
        return self._expand(tree, path, (*chain, path.resolve()), top=True)

    def _expand(self, node: Located, path: Path, chain: tuple[Path, ...], top: bool) -> Located:
        value = node.value
        if isinstance(value, list):
            items: list[Located] = []
            for item in value:
                if _is_include_item(item):
                    items += self._fragment_list(item.value[INCLUDE], path, chain)
                else:
                    items.append(self._expand(item, path, chain, top=False))
            return Located(items, node.key, node.text)
        if not isinstance(value, dict):
            return node
        own = {k: self._expand(v, path, chain, top=False) for k, v in value.items()}
        if not top or INCLUDE not in own:
            return Located(own, node.key, node.text)
        names = own.pop(INCLUDE)
        result = Located({}, node.key)
        for fragment in self._fragments(names, path, chain, want=dict):
            result = merge(result, fragment)
        return merge(result, Located(own, node.key, node.text))

    def _fragment_list(self, names: Located, path: Path, chain: tuple[Path, ...]) -> list[Located]:
        return [item for f in self._fragments(names, path, chain, want=list) for item in f.value]

    def _fragments(
        self, names: Located, path: Path, chain: tuple[Path, ...], want: type
    ) -> list[Located]:
        """The included files named by ``names`` (one name or a list), resolved in turn."""
        entries = names.value if isinstance(names.value, list) else [names]
        found = []
        for entry in entries:
            if not isinstance(entry.value, str) or not entry.value:
                self._problem(entry, "include: give a file name or a list of file names")
                continue
            target = path.parent / entry.value
            refusal = self._outside_tree(entry.value, target)
            if refusal:
                self._problem(entry, refusal)
                continue
            self.included += 1
            if self.included > MAX_INCLUDES:
                if self.included == MAX_INCLUDES + 1:
                    self._problem(entry, f"a plan may include at most {MAX_INCLUDES} fragments")
                break
            if target.resolve() in chain:
                cycle = " → ".join(p.name for p in (*chain, target.resolve()))
                self._problem(entry, f"include cycle: {cycle}")
                continue
            fragment = self.document(target, chain, included_at=entry)
            if fragment is None:
                continue
            if not isinstance(fragment.value, want):
                shape = "a mapping of plan keys" if want is dict else "a list of items"
                self._problem(entry, f"{entry.value} must hold {shape} to be included here")
                continue
            found.append(fragment)
        return found

    def _outside_tree(self, name: str, target: Path) -> str | None:
        """Why ``name`` (resolving to ``target``) may not be included, if it may not."""
        if any(ord(c) < 32 for c in name):
            return "a file name cannot hold control characters"
        if Path(name).is_absolute():
            return f"{name} is an absolute path; name a file relative to this one"
        root = self.root or target.parent
        if not target.resolve().is_relative_to(root):
            return f"{name} is outside the plan tree {root}"
        return None

    def _problem(self, node: Located, message: str) -> None:
        spot = node.text or node.key
        self.issues.append(YamlIssue(spot.file, spot.line, spot.column, INCLUDE, message))


def _is_include_item(item: Located) -> bool:
    return isinstance(item.value, dict) and list(item.value) == [INCLUDE]
