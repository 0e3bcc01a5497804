"""Where each step and check of a plan is written, and its YAML as written.

A failing step is shown as the lab engineer wrote it, with ``file:line`` — in the
plan, or in the fragment it was included from. The loader kept where everything is
(:attr:`rig.plans.model.Plan.source`, with the lines of every file it read), so
:func:`locate` only looks each item up; nothing is read or parsed again. The text is
the item's first line from its column on, plus the lines indented under it
(:meth:`rig.yamlfile.SourceMap.written`). Without a source (a plan built in code) the
YAML is the model's own dump.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from rig.plans.onekey import Action
from rig.runner.api import SourceSpot
from rig.yamlfile import SourceMap


@dataclass(frozen=True)
class Located:
    spot: SourceSpot | None
    yaml: str


def _dumped(item: Action) -> str:
    """``key: value`` in YAML flow style, or the bare key when it has no arguments."""
    data = item.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if not data:
        return item.key()
    key, value = next(iter(data.items()))
    flow = yaml.safe_dump(value, default_flow_style=True, sort_keys=False)
    return f"{key}: {flow.removesuffix(chr(10)).removesuffix(chr(10) + '...')}"


def _located(sources: SourceMap | None, name: str, index: int, item: Action) -> Located:
    written = sources.written((name, index)) if sources is not None else None
    if written is None:
        return Located(None, _dumped(item))
    spot, text = written
    return Located(SourceSpot(spot.file, spot.line), text)


def locate(
    sources: SourceMap | None, sections: dict[str, list[Action]]
) -> dict[str, list[Located]]:
    """``file:line`` and YAML text of each item of each section (``steps``, ``checks``),
    from the plan's ``sources`` (``None``: the items' own YAML, without a place)."""
    return {
        name: [_located(sources, name, index, item) for index, item in enumerate(items)]
        for name, items in sections.items()
    }
