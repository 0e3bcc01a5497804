"""The report's Jinja2 environment: autoescape, and HTML as small as written by hand.

Jinja2 renders the report's templates with autoescape, as pytest-html renders its
report: every value a template writes is escaped, and markup made by code — the SVG
charts — comes in as :class:`~markupsafe.Markup`. The page stays as small as
hand-written HTML (a 1,000-plan report is measured against a size budget,
``docs/benchmarks.md``) by two rules:

* **The templates' layout is dropped when they load** (:class:`PageSource`): a line
  break and the indentation around it become nothing beside a tag (``<…>``,
  ``{% … %}``, ``{# … #}``) and one space within text. So templates are written one
  element a line, indented, and the page carries none of it; where a space must
  stand beside a tag, the template writes ``{{ " " }}``. The page's HTML also omits
  the optional ``</td>``/``</tr>`` end tags, and a plan's tables their
  ``<thead>``/``<tbody>``, as HTML allows.
* **A value is escaped as text** (:func:`_text`): ``&``, ``<`` and ``>``. Quotes
  mean nothing in text and are left as they are (JSON fields are full of them). A
  value inside a quoted attribute goes through the ``quoted`` filter, which escapes
  quotes too, and a template that puts one there without it does not load. Unquoted
  attribute values are only names the report makes itself: anchors, verdicts and
  step outcomes.
"""

from __future__ import annotations

import re
from html import escape

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateSyntaxError
from jinja2.ext import Extension
from markupsafe import Markup

_BREAK = re.compile(r"[ \t]*\n\s*")
_QUOTED_ATTRIBUTE = re.compile(r'="([^"]*)"')
_VALUE = re.compile(r"\{\{(.*?)\}\}")


class PageSource(Extension):
    """Drops a template's layout and checks its quoted attributes (see the module doc).

    Applies to the HTML templates (``*.html.j2``); the CSS is taken as it is written.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None or not name.endswith(".html.j2"):
            return source
        for attribute in _QUOTED_ATTRIBUTE.finditer(source):
            for found in _VALUE.finditer(attribute.group(1)):
                if not found.group(1).strip().endswith("|quoted"):
                    line = source.count("\n", 0, attribute.start()) + 1
                    raise TemplateSyntaxError(
                        f"a value in a quoted attribute needs |quoted: {found.group(0)}",
                        line,
                        name,
                        filename,
                    )
        return _BREAK.sub(_join, source)


def _join(found: re.Match[str]) -> str:
    """What a line break becomes: nothing beside a tag, one space within text."""
    before = found.string[max(found.start() - 2, 0) : found.start()]
    after = found.string[found.end() : found.end() + 2]
    beside_tag = before.endswith((">", "%}", "#}")) or after.startswith(("<", "{%", "{#"))
    return "" if beside_tag or not after else " "


class _Text(str):
    """Text :func:`_text` escaped itself, which autoescape takes as markup.

    Not a :class:`~markupsafe.Markup`: a plain ``str`` subclass is made in C, and
    autoescape makes its ``Markup`` from it in any case.
    """

    __slots__ = ()
    __html__ = str.__str__


def _text(written: object) -> str:
    """A value as HTML text: ``& < >`` escaped, quotes left as they are; markup as it is.

    Text without quotes is left to autoescape, which escapes it alike (and fastest).
    """
    if isinstance(written, Markup):
        return written
    text = str(written)
    if '"' in text or "'" in text:
        return _Text(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return text


def _quoted(written: object) -> Markup:
    """A value safe in a quoted attribute: quotes escaped too."""
    return Markup(escape(str(written), quote=True))


def environment(loader: BaseLoader) -> Environment:
    """An environment for the templates ``loader`` finds, with the rules of the module doc.

    Filters every template may use: ``quoted`` (a value in a quoted attribute),
    ``words`` and ``listing`` (strings joined by a space, and by a comma and a space).
    """
    env = Environment(
        loader=loader,
        autoescape=True,
        finalize=_text,
        undefined=StrictUndefined,
        auto_reload=False,
        extensions=[PageSource],
    )
    env.filters.update(quoted=_quoted, words=" ".join, listing=", ".join)
    return env
