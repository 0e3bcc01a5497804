"""Where each step and check of a plan is written, and its YAML as written.

A failing step is shown as the lab engineer wrote it, with ``file:line`` — in the
plan, or in the fragment it was included from. The plan model itself carries no
positions, so :func:`locate` reads the plan file again through the same include
resolver the loader uses (:mod:`rig.plans.includes`) and takes each item's spot.
The text is the item's first line from its column on, plus the lines indented
under it. Without a file (a plan built in code) the YAML is the model's own dump.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from rig.plans.includes import Resolver, flatten, read_utf8
from rig.plans.onekey import Action
from rig.runner.outcome import SourceSpot


@dataclass(frozen=True)
class Located:
    spot: SourceSpot | None
    yaml: str


def _text(lines: list[str], line: int, column: int) -> str:
    first = lines[line - 1][column - 1 :].rstrip()
    body = [first]
    for text in lines[line:]:
        indent = len(text) - len(text.lstrip(" "))
        if (
            not text.strip()
            or indent < column - 1
            or (text.lstrip().startswith("- ") and indent <= column - 3)
        ):
            break
        body.append(text.rstrip())
    return "\n".join(body)


def _dumped(item: Action) -> str:
    """``key: value`` in YAML flow style, or the bare key when it has no arguments."""
    data = item.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if not data:
        return item.key()
    key, value = next(iter(data.items()))
    flow = yaml.safe_dump(value, default_flow_style=True, sort_keys=False)
    return f"{key}: {flow.removesuffix(chr(10)).removesuffix(chr(10) + '...')}"


def locate(plan_file: Path | None, sections: dict[str, list[Action]]) -> dict[str, list[Located]]:
    """``file:line`` and YAML text of each item of each section (``steps``, ``checks``)."""
    document = Resolver(read_utf8).document(plan_file) if plan_file is not None else None
    if document is None:
        return {
            name: [Located(None, _dumped(item)) for item in items]
            for name, items in sections.items()
        }
    _, sources = flatten(document)
    files: dict[str, list[str]] = {}
    found: dict[str, list[Located]] = {}
    for name, items in sections.items():
        found[name] = []
        for index, item in enumerate(items):
            spot = sources.keys.get((name, index))
            if spot is None:
                found[name].append(Located(None, _dumped(item)))
                continue
            if spot.file not in files:
                files[spot.file] = Path(spot.file).read_text(encoding="utf-8").splitlines()
            text = _text(files[spot.file], spot.line, spot.column)
            found[name].append(Located(SourceSpot(spot.file, spot.line), text))
    return found
