"""The SVG charts: ticks, compact paths that keep what the eye would see."""

from __future__ import annotations

import math
import re

from report.page import parse
from rig.report.axes import nice_ticks, time_unit
from rig.report.charts import Axis, Bar, Event, Series, step_timeline, time_chart
from rig.report.svgpath import path_data


def test_nice_ticks() -> None:
    assert nice_ticks(0, 32) == [0, 10, 20, 30]
    assert [round(t, 9) for t in nice_ticks(0, 1)] == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(-7, 7, 4) == [-5, 0, 5]
    assert nice_ticks(3, 3) == [3]


def test_time_units() -> None:
    assert time_unit(60) == ("s", 1.0)
    assert time_unit(3600) == ("min", 60.0)
    assert time_unit(8 * 3600) == ("h", 3600.0)


def test_step_path_draws_only_changes() -> None:
    pixels = [(float(x), 100.0 if x < 50 else 50.0) for x in range(100)]
    assert path_data(pixels, step=True, width=640) == "M0 100h50v-50h49"


def test_line_path_simplifies_a_straight_ramp_to_its_ends() -> None:
    pixels = [(x / 10, 200 - x / 10) for x in range(5000)]
    assert path_data(pixels, step=False, width=640) == "M0 200l500-500"


def test_a_one_sample_spike_survives_reduction() -> None:
    pixels = [(x / 100, 100.0) for x in range(100_000)]
    pixels[54_321] = (543.21, 10.0)
    path = path_data(pixels, step=False, width=640)
    assert "-90" in path  # down by 90 px to the spike …
    assert len(path) < 80  # … and almost nothing else


def test_noise_below_half_a_pixel_is_not_drawn() -> None:
    pixels = [(x / 4, 100 + 0.2 * math.sin(x)) for x in range(2000)]
    assert path_data(pixels, step=False, width=640).count("l") == 1
    assert len(path_data(pixels, step=False, width=640)) < 40


def test_time_chart_structure() -> None:
    svg = time_chart(
        [
            Series("pilot.state", [(0, 0), (5, 1), (10, 2), (60, 1)], step=True),
            Series("ampacity", [(0, 32), (30, 16)], step=True, axis="right", style=1),
        ],
        Axis("pilot state", ("A", "B", "C", "D", "E", "F")),
        Axis("ampacity (A)"),
        [Event("dr", 20, 40, "limit 0 kW"), Event("alm", 50)],
    )
    page = parse(svg)
    texts = page.all_text()
    for words in ("A", "F", "pilot state", "ampacity (A)", "DR event", "ALM event", "limit 0 kW"):
        assert words in texts
    assert len([t for t in page.named("path") if "class" in t.attrs]) == 2  # the series
    assert page.named("rect")  # the DR window


def test_empty_chart_says_so() -> None:
    assert "no samples recorded" in time_chart([], Axis("A"))


def test_step_timeline_rows() -> None:
    svg = step_timeline([Bar("0 plug_in", 0, 2, "passed"), Bar("1 charge", 2, 1800, "failed")])
    page = parse(svg)
    assert len(page.named("rect")) >= 2
    assert "1 charge: failed" in page.all_text()


def test_a_single_sample_is_a_valid_visible_mark() -> None:
    assert path_data([(54.0, 196.0)], step=False, width=640) == "M54 196h1"
    assert path_data([(54.0, 196.0)], step=True, width=640) == "M54 196"


def test_path_data_is_always_valid_svg_syntax() -> None:
    grammar = re.compile(r"^M-?[\d.]+ -?[\d.]+(?:[hv]-?[\d.]+)*(?:l(?:[ ]?-?[\d.]+){2,})*(?:h1)?$")
    for n in range(1, 6):
        pixels = [(10.0 * i, 100.0 - 7.3 * i * (-1) ** i) for i in range(n)]
        for step in (False, True):
            assert grammar.match(path_data(pixels, step, 640)), (n, step)
