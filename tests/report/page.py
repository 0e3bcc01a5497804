"""A parsed report page for structural checks, built with the standard ``html.parser``.

The report omits optional end tags (``</td>``, ``</tr>``), so rather than a tree this
keeps a flat list of start tags with their attributes and the innermost open
``section`` / ``svg`` they sit in, plus the text of each section — enough to ask
"does every plan section hold a chart?" or "which attributes point anywhere?".

Chart frames the page shares (``<use href="#f3"/>`` pointing into the hidden
``svg.defs``, see :class:`rig.report.charts.Shared`) are put back in place before
parsing, so a plan section's text includes its charts' axes and legends, as a
reader sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_GROUP = re.compile(r'<g id="(f\d+)">')
_G_TAG = re.compile(r"<g[ >]|</g>")
_USE = re.compile(r'<use href="#(f\d+)"/>')


def inline_uses(html: str) -> str:
    """Replace each ``<use href="#fN"/>`` with the markup of group ``fN``."""
    groups: dict[str, str] = {}
    for start in _GROUP.finditer(html):
        depth = 1
        for tag in _G_TAG.finditer(html, start.end()):
            depth += -1 if tag.group(0) == "</g>" else 1
            if depth == 0:
                groups[start.group(1)] = html[start.end() : tag.start()]
                break
    return _USE.sub(lambda use: groups[use.group(1)], html)


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]
    section: str
    """``id`` of the innermost enclosing ``<section>`` (``""`` outside any)."""


@dataclass
class Page:
    tags: list[Tag] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)
    """Text content by enclosing section id."""

    def section_text(self, section: str) -> str:
        return " ".join(self.text.get(section, []))

    def all_text(self) -> str:
        return " ".join(" ".join(parts) for parts in self.text.values())

    def named(self, name: str) -> list[Tag]:
        return [t for t in self.tags if t.name == name]

    def plan_sections(self) -> list[Tag]:
        return [t for t in self.named("section") if "plan" in t.attrs.get("class", "").split()]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.sections.append(values.get("id", ""))
        self.page.tags.append(Tag(tag, values, self.sections[-1] if self.sections else ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.sections:
            self.sections.pop()

    def handle_data(self, data: str) -> None:
        where = self.sections[-1] if self.sections else ""
        self.page.text.setdefault(where, []).append(data)


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(inline_uses(html))
    parser.close()
    return parser.page
