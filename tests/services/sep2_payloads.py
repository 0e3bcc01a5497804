"""Generated request bodies for the 2030.5 server's XML endpoints (hypothesis strategies).

Shared by the bounded fuzz test (``tests/services/test_sep2_bad_input.py``) and the
longer benchmark run (``benchmarks/sep2_fuzz.py``). Three kinds of body, drawn
together by :func:`payloads`:

* bytes and text of any kind (not XML at all, or half of it);
* XML trees of 2030.5 element names, nested at random, with random values, in the
  2030.5 namespace or none;
* *mutants* of a valid body for the endpoint: one element's text replaced, the
  element dropped, doubled or renamed — the closest misses, which reach past the
  parser into the rules.

Content types are drawn too (mostly ``application/sep+xml``). Every answer must be
below 500: a 4xx for what is wrong, 2xx where the mutant happens to be valid.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import strategies as st

from rig.services.sep2_common import SEP_XML

NS = "urn:ieee:std:2030.5:ns"
ELEMENTS = [
    "EndDevice",
    "MirrorUsagePoint",
    "MirrorMeterReading",
    "MirrorMeterReadingList",
    "MirrorReadingSet",
    "Reading",
    "ReadingType",
    "FlowReservationRequest",
    "Response",
    "DrResponse",
    "lFDI",
    "sFDI",
    "mRID",
    "description",
    "deviceLFDI",
    "endDeviceLFDI",
    "subject",
    "status",
    "value",
    "timePeriod",
    "start",
    "duration",
    "uom",
    "powerOfTenMultiplier",
    "energyRequested",
    "powerRequested",
    "intervalRequested",
    "multiplier",
    "requestStatus",
    "changedTime",
    "createdDateTime",
    "roleFlags",
    "serviceCategoryKind",
]
VALUES = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(max_size=48),
    st.sampled_from(["", "0", "-1", "true", "1e308", "NaN", "AB" * 20, "Z" * 40, "B-" + "0" * 30]),
)
CONTENT_TYPES = st.sampled_from(
    [SEP_XML] * 6 + ["application/xml", "text/plain", "application/json", ""]
)


def _element(tag: str, text: str, children: list[ET.Element], namespaced: bool) -> ET.Element:
    node = ET.Element(f"{{{NS}}}{tag}" if namespaced else tag)
    node.text = text if not children else None
    node.extend(children)
    return node


def _render(node: ET.Element) -> bytes:
    return ET.tostring(node, encoding="utf-8")


_trees = st.recursive(
    st.builds(_element, st.sampled_from(ELEMENTS), VALUES, st.just([]), st.booleans()),
    lambda kids: st.builds(
        _element, st.sampled_from(ELEMENTS), VALUES, st.lists(kids, max_size=4), st.booleans()
    ),
    max_leaves=24,
)


@st.composite
def _mutant(draw: st.DrawFn, templates: list[str]) -> bytes:
    root = ET.fromstring(draw(st.sampled_from(templates)))
    parents = {child: parent for parent in root.iter() for child in parent}
    node = draw(st.sampled_from(list(parents)))
    action = draw(st.sampled_from(["text", "text", "drop", "double", "rename"]))
    if action == "text":
        node.text = draw(VALUES)
        node[:] = []
    elif action == "drop":
        parents[node].remove(node)
    elif action == "double":
        parents[node].append(node)
    else:
        node.tag = f"{{{NS}}}{draw(st.sampled_from(ELEMENTS))}"
    return _render(root)


def payloads(templates: list[str]) -> st.SearchStrategy[tuple[bytes, str]]:
    """(body, content type) for an endpoint whose valid bodies look like ``templates``."""
    garbage = st.one_of(
        st.binary(max_size=256),
        st.text(max_size=256).map(str.encode),
        st.sampled_from(templates).map(lambda t: t[: len(t) // 2].encode()),
    )
    body = st.one_of(garbage, _trees.map(_render), _mutant(templates), _mutant(templates))
    return st.tuples(body, CONTENT_TYPES)
