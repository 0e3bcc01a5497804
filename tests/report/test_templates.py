"""The report's template rules: layout dropped, text escaped, quoted attributes checked."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, TemplateSyntaxError
from markupsafe import Markup

from rig.report.templating import environment


def _render(source: str, **values: object) -> str:
    env = environment(DictLoader({"t.html.j2": source}))
    return env.get_template("t.html.j2").render(**values)


def test_layout_is_dropped_beside_tags_and_one_space_within_text() -> None:
    source = """
    {# a comment #}
    <p>
      Overall
      {{ verdict }}
      of
      {% if n %}
        <b>{{ n }}</b>
      {% endif %}
      {{ " " }}<i>plans</i>
    </p>
    """
    assert _render(source, verdict="FAIL", n=3) == "<p>Overall FAIL of<b>3</b> <i>plans</i></p>"


def test_text_is_escaped_but_quotes_and_markup() -> None:
    html = _render(
        "<p>{{ text }}<p>{{ svg }}", text="<script>\"x\" & 'y'</script>", svg=Markup("<svg/>")
    )
    assert html == "<p>&lt;script&gt;\"x\" &amp; 'y'&lt;/script&gt;<p><svg/>"


def test_a_value_in_a_quoted_attribute_needs_quoted() -> None:
    with pytest.raises(TemplateSyntaxError, match=r"needs \|quoted"):
        _render('<a title="{{ title }}">')
    assert _render('<a title="x {{ title|quoted }}">', title='"><b') == (
        '<a title="x &quot;&gt;&lt;b">'
    )
