"""Small, dependency-free SVG charts for the compliance report.

A report that must open offline years from now cannot lean on a charting library
fetched from the network, so the charts are plain inline SVG strings: axes, ticks,
labels, a legend, and the data as one ``<path>`` per series. Two kinds of chart:

:func:`time_chart`
    Series over time on a left and an optional right value axis. A series is drawn
    as a *line* (a measured quantity: load current, cumulative energy) or a *step*
    (a quantity that holds until it changes: pilot state, advertised ampacity). A
    left axis may be *categorical* (pilot state A…F, drawn A at the top as the
    pilot voltage falls from A to F). Events (a DR window, an ALM change, a price
    signal, a fault) are shaded or marked on the time axis and named in the legend.
:func:`step_timeline`
    The plan's steps as bars on their own time axis, one row per step, coloured by
    outcome — a chart every plan has, even one that recorded no series.

What the data sits in — scales, ticks, axes, legend, event marks — is the chart's
frame, drawn by :mod:`rig.report.axes`.

Size is the budget that matters (a 1,000-plan report should stay near 5 MB): each
series is reduced to what the eye can see and written compactly
(:mod:`rig.report.svgpath`), and with :class:`Shared` the frame of a chart (grid,
axes, ticks, legend) is written once for all charts that ran alike.

Meaning never rests on colour alone: every series also has its own dash pattern,
and events carry their kind as text, so a grey-scale print reads the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from operator import itemgetter
from typing import Literal

from rig.report.axes import (
    EVENT_CSS,
    LEFT_PAD,
    PLOT_BOTTOM_PAD,
    PLOT_TOP,
    WIDTH,
    Axis,
    Event,
    Frame,
    event_marks,
    legend,
    nice_ticks,
    swatch,
    time_axis,
    value_axis,
    y_mapper,
)
from rig.report.svgpath import Point, changes, path_data

__all__ = ["Axis", "Bar", "Event", "Series", "Shared", "step_timeline", "time_chart"]

RIGHT_PAD_AXIS = 54
RIGHT_PAD_NONE = 14

#: Colour and dash per series slot: distinguishable in colour and in grey scale.
STYLES: tuple[tuple[str, str], ...] = (
    ("#1d4ed8", ""),
    ("#c2410c", "6 3"),
    ("#15803d", "2 2"),
    ("#7e22ce", "8 3 2 3"),
    ("#334155", "4 4"),
)
#: The page's CSS for the series classes ``c0`` … (colour and dash of each slot) and
#: for the event marks (:data:`~rig.report.axes.EVENT_CSS`).
STYLE_CSS = (
    "svg.chart path[class]{fill:none;stroke-width:1.6}"
    + "".join(
        f"svg.chart .c{i}{{stroke:{colour}{f';stroke-dasharray:{dash}' if dash else ''}}}"
        for i, (colour, dash) in enumerate(STYLES)
    )
    + EVENT_CSS
)
OUTCOME_COLOURS = {
    "passed": "#16a34a",
    "failed": "#dc2626",
    "error": "#7f1d1d",
    "skipped": "#a3a3a3",
    "interrupted": "#9333ea",
}


@dataclass(frozen=True)
class Series:
    """One series to draw; ``style`` picks colour and dash from :data:`STYLES`.

    Drawn is ``value * scale + shift`` of each point — a unit change (W → kW) or a
    count from the first sample folded into the pixel mapping, not made as a copy.
    ``scale`` is positive.
    """

    label: str
    points: Sequence[Point]
    step: bool = False
    axis: Literal["left", "right"] = "left"
    style: int = 0
    scale: float = 1.0
    shift: float = 0.0


@dataclass(frozen=True)
class Bar:
    """One step of the timeline: its label, start and end (clock seconds), outcome."""

    label: str
    t: float
    t_end: float
    outcome: str


def _value_range(series: Sequence[Series], categories: tuple[str, ...]) -> tuple[float, float]:
    """The axis range: every category, or from zero (or below) to the highest value."""
    if categories:
        return -0.5, len(categories) - 0.5
    drawn = [s for s in series if s.points]
    lows = [min(map(itemgetter(1), s.points)) * s.scale + s.shift for s in drawn]
    highs = [max(map(itemgetter(1), s.points)) * s.scale + s.shift for s in drawn]
    low, high = (min(lows), max(highs)) if lows else (0.0, 1.0)
    low = min(low, 0.0)  # currents, powers and energies read best from zero
    if high <= low:
        high = low + 1.0
    ticks = nice_ticks(low, high)
    return min(low, ticks[0]), max(high, ticks[-1])


class Shared:
    """Chart frames many charts have in common, written once and drawn with ``<use>``.

    A frame — grid, axes, ticks, axis titles, legend — depends only on the layout,
    the value ranges, the time span and the series' names, so the charts of plans
    that ran alike share it. :meth:`use` returns a reference to one copy kept here,
    and :meth:`svg` is that copy: a hidden SVG of the page's ``chart`` class (so
    the page's chart CSS styles the copies too) that must be in the same page.
    """

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def use(self, markup: str) -> str:
        ident = self._ids.setdefault(markup, f"f{len(self._ids)}")
        return f'<use href="#{ident}"/>'

    def svg(self) -> str:
        groups = "".join(f'<g id="{ident}">{markup}</g>' for markup, ident in self._ids.items())
        return f'<svg class="chart defs" aria-hidden="true"><defs>{groups}</defs></svg>'


def _svg(height: float, markup: str, data: list[str], shared: Shared | None) -> str:
    """The chart's ``<svg>``: its frame's ``markup``, then ``data``.

    Its title is the caption of the figure it goes in.
    """
    return (
        f'<svg class=chart viewBox="0 0 {WIDTH} {height:.0f}">'
        + (shared.use(markup) if shared is not None else markup)
        + "".join(data)
        + "</svg>"
    )


@lru_cache(maxsize=4096)
def _time_frame(
    height: int,
    right: float,
    span: float,
    axes: tuple[tuple[Axis, float, float, Literal["left", "right"]], ...],
    entries: tuple[tuple[str, str], ...],
    kinds: tuple[str, ...],
) -> str:
    """A time chart's frame from all that decides it: layout, time span, value axes and
    their ranges, legend.

    Charts of plans that ran alike ask for the same frame, so it is drawn once.
    """
    frame = Frame(LEFT_PAD, right, PLOT_TOP, height - PLOT_BOTTOM_PAD, 0.0, span)
    parts = time_axis(frame, height)
    for axis, low, high, side in axes:
        parts += value_axis(frame, axis, low, high, side)
    parts += legend(entries, kinds)
    return "".join(parts)


def time_chart(
    series: Sequence[Series],
    left: Axis,
    right: Axis | None = None,
    events: Sequence[Event] = (),
    height: int = 230,
    shared: Shared | None = None,
) -> str:
    """An SVG chart of ``series`` over time, with ``events`` marked (see the module doc).

    With ``shared``, the frame is drawn by reference to a copy kept there.
    """
    drawn = [s for s in series if s.points]
    times = [p[0] for s in drawn for p in (s.points[0], s.points[-1])]
    times += [e.t for e in events] + [e.t_end for e in events if e.t_end is not None]
    t0, t1 = (min(times), max(times)) if times else (0.0, 1.0)
    if t1 <= t0:
        t1 = t0 + 1.0
    frame = Frame(
        LEFT_PAD,
        WIDTH - (RIGHT_PAD_AXIS if right else RIGHT_PAD_NONE),
        PLOT_TOP,
        height - PLOT_BOTTOM_PAD,
        t0,
        t1,
    )
    data = event_marks(frame, events)
    axes: list[tuple[Axis, float, float, Literal["left", "right"]]] = []
    for axis, side in ((left, "left"), (right, "right")):
        if axis is None:
            continue
        on_axis = [s for s in drawn if s.axis == side]
        low, high = _value_range(on_axis, axis.categories)
        axes.append((axis, low, high, "left" if side == "left" else "right"))
        scale, offset = y_mapper(frame, low, high, bool(axis.categories))
        x_scale = (frame.right - frame.left) / (frame.t1 - frame.t0)
        x_offset = frame.left - t0 * x_scale
        for s in on_axis:
            points = changes(s.points) if s.step else s.points  # fewer points to map
            y_scale, y_offset = s.scale * scale, s.shift * scale + offset
            pixels = [(t * x_scale + x_offset, v * y_scale + y_offset) for t, v in points]
            path = path_data(pixels, s.step, WIDTH)
            data.append(f'<path class=c{s.style % len(STYLES)} d="{path}"/>')
    if not drawn:
        data.append(
            f'<text text-anchor="middle" x="{WIDTH / 2:.0f}" y="{height / 2:.0f}">'
            "no samples recorded</text>"
        )
    entries = tuple((s.label, swatch(*STYLES[s.style % len(STYLES)])) for s in series)
    kinds = tuple(sorted({e.kind for e in events}))
    markup = _time_frame(height, frame.right, t1 - t0, tuple(axes), entries, kinds)
    return _svg(height, markup, data, shared)


def step_timeline(
    bars: Sequence[Bar], events: Sequence[Event] = (), shared: Shared | None = None
) -> str:
    """The steps of a plan as one bar per row on a shared time axis."""
    row = 13
    label_w = 150
    height = PLOT_TOP + row * max(len(bars), 1) + PLOT_BOTTOM_PAD
    times = [b.t for b in bars] + [b.t_end for b in bars]
    t0, t1 = (min(times), max(times)) if times else (0.0, 1.0)
    if t1 <= t0:
        t1 = t0 + 1.0
    frame = Frame(label_w, WIDTH - RIGHT_PAD_NONE, PLOT_TOP, height - PLOT_BOTTOM_PAD, t0, t1)
    shown = [e for e in events if t0 <= e.t <= t1]
    parts = time_axis(frame, height)
    parts += legend(
        [(outcome, swatch(colour)) for outcome, colour in OUTCOME_COLOURS.items()],
        sorted({e.kind for e in shown}),
    )
    data = event_marks(frame, shown)
    for i, bar in enumerate(bars):
        y = PLOT_TOP + i * row
        x = frame.x(bar.t)
        width = max(frame.x(bar.t_end) - x, 2.0)
        colour = OUTCOME_COLOURS.get(bar.outcome, "#525252")
        name = escape(bar.label if len(bar.label) <= 24 else bar.label[:23] + "…")
        data.append(
            f'<text text-anchor="end" x="{label_w - 4}" y="{y + 10}">{name}</text>'
            f'<rect x="{x:.1f}" y="{y + 2}" width="{width:.1f}" height="{row - 4}" '
            f'fill="{colour}"><title>{escape(bar.label)}: {bar.outcome}</title></rect>'
        )
    return _svg(height, "".join(parts), data, shared)
