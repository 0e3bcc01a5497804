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

Size is the budget that matters (a 1,000-plan report should stay near 5 MB): each
series is reduced to what the eye can see and written compactly
(:mod:`rig.report.svgpath`), and with :class:`Shared` the frame of a chart (grid,
axes, ticks, legend) is written once for all charts that ran alike.

Meaning never rests on colour alone: every series also has its own dash pattern,
and events carry their kind as text, so a grey-scale print reads the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from operator import itemgetter
from typing import Literal

from rig.report.svgpath import Point, changes, path_data

WIDTH = 640
PLOT_TOP = 34
PLOT_BOTTOM_PAD = 34
LEFT_PAD = 54
RIGHT_PAD_AXIS = 54
RIGHT_PAD_NONE = 14
CHAR_W = 6.8  # average width of an 11 px sans-serif glyph, for laying out the legend

#: Colour and dash per series slot: distinguishable in colour and in grey scale.
STYLES: tuple[tuple[str, str], ...] = (
    ("#1d4ed8", ""),
    ("#c2410c", "6 3"),
    ("#15803d", "2 2"),
    ("#7e22ce", "8 3 2 3"),
    ("#334155", "4 4"),
)
#: The page's CSS for the series classes ``c0`` … (colour and dash of each slot); a
#: series path is the only chart element with a class.
STYLE_CSS = "svg.chart path[class]{fill:none;stroke-width:1.6}" + "".join(
    f"svg.chart .c{i}{{stroke:{colour}{f';stroke-dasharray:{dash}' if dash else ''}}}"
    for i, (colour, dash) in enumerate(STYLES)
)
EVENT_COLOURS = {"dr": "#dc2626", "alm": "#d97706", "price": "#2563eb", "fault": "#525252"}
OUTCOME_COLOURS = {
    "passed": "#16a34a",
    "failed": "#dc2626",
    "error": "#7f1d1d",
    "skipped": "#a3a3a3",
    "interrupted": "#9333ea",
}

#: Frames style themselves with presentation attributes, not the page's CSS classes:
#: a frame drawn through ``<use>`` is a copy outside the page's selectors' reach.
GRID = 'stroke="#e2e2e2" fill="none"'
AXIS = 'stroke="#444"'


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
class Axis:
    """A value axis: its label and, for a categorical axis, the category names."""

    label: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """An instant (``t_end`` ``None``) or a window on the time axis, clock seconds."""

    kind: str
    t: float
    t_end: float | None = None
    label: str = ""


@dataclass(frozen=True)
class Bar:
    """One step of the timeline: its label, start and end (clock seconds), outcome."""

    label: str
    t: float
    t_end: float
    outcome: str


# ------------------------------------------------------------------------ scales


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (1, 2, 2.5, 5 × 10ⁿ) covering ``low…high``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _tick_text(value: float) -> str:
    return f"{value:.6g}"


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


def time_unit(span_s: float) -> tuple[str, float]:
    """The time axis unit for a span of ``span_s`` seconds: its name and seconds per unit."""
    if span_s <= 180:
        return "s", 1.0
    if span_s <= 3 * 3600:
        return "min", 60.0
    return "h", 3600.0


# ------------------------------------------------------------------------ drawing


@dataclass(frozen=True)
class _Frame:
    """Where the plot area is and how clock seconds map onto it."""

    left: float
    right: float
    top: float
    bottom: float
    t0: float
    t1: float

    def x(self, t: float) -> float:
        return self.left + (t - self.t0) / (self.t1 - self.t0) * (self.right - self.left)


def _y_mapper(frame: _Frame, low: float, high: float, inverted: bool) -> tuple[float, float]:
    """``(scale, offset)`` with ``y = value * scale + offset``."""
    span = frame.bottom - frame.top
    if inverted:  # categories: index 0 at the top
        scale = span / (high - low)
        return scale, frame.top - low * scale
    scale = -span / (high - low)
    return scale, frame.bottom - low * scale


def _time_axis(frame: _Frame, height: float) -> list[str]:
    """Grid lines (one path), tick labels (one group) and the axis title."""
    unit, per = time_unit(frame.t1 - frame.t0)
    xs = [
        (frame.x(frame.t0 + tick * per), _tick_text(tick))
        for tick in nice_ticks(0.0, (frame.t1 - frame.t0) / per, 6)
    ]
    span = frame.bottom - frame.top
    grid = "".join(f"M{x:.1f} {frame.top}v{span}" for x, _ in xs)
    labels = "".join(f'<text x="{x:.1f}" y="{frame.bottom + 13}">{t}</text>' for x, t in xs)
    return [
        f'<path {GRID} d="{grid}"/>'
        f'<path {AXIS} d="M{frame.left} {frame.bottom}H{frame.right}"/>'
        f'<g text-anchor="middle">{labels}<text x="{(frame.left + frame.right) / 2:.0f}" '
        f'y="{height - 4}">time from first sample ({unit})</text></g>'
    ]


def _value_axis(
    frame: _Frame, axis: Axis, low: float, high: float, side: Literal["left", "right"]
) -> list[str]:
    """The axis line, its grid (left axis only), tick labels and rotated title."""
    x = frame.left if side == "left" else frame.right
    scale, offset = _y_mapper(frame, low, high, bool(axis.categories))
    ticks = (
        [float(i) for i in range(len(axis.categories))]
        if axis.categories
        else nice_ticks(low, high)
    )
    ys = [
        (tick * scale + offset, axis.categories[int(tick)] if axis.categories else _tick_text(tick))
        for tick in ticks
    ]
    out = [f'<path {AXIS} d="M{x} {frame.top}V{frame.bottom}"/>']
    if side == "left":
        width = frame.right - frame.left
        grid = "".join(f"M{x} {y:.1f}h{width}" for y, _ in ys)
        out.append(f'<path {GRID} d="{grid}"/>')
    dx = -4 if side == "left" else 4
    labels = "".join(f'<text x="{x + dx}" y="{y + 4:.1f}">{t}</text>' for y, t in ys)
    label_x = 12 if side == "left" else WIDTH - 6
    mid = (frame.top + frame.bottom) / 2
    out.append(
        f'<g text-anchor="{"end" if side == "left" else "start"}">{labels}</g>'
        f'<text text-anchor="middle" x="{label_x}" y="{mid:.0f}" '
        f'transform="rotate(-90 {label_x} {mid:.0f})">{escape(axis.label)}</text>'
    )
    return out


def _events(frame: _Frame, events: Sequence[Event]) -> list[str]:
    out = []
    for event in events:
        colour = EVENT_COLOURS.get(event.kind, "#525252")
        x = frame.x(min(max(event.t, frame.t0), frame.t1))
        what = escape(f"{event.kind.upper()} {event.label}".strip())
        if event.t_end is not None and event.t_end > event.t:
            x2 = frame.x(min(max(event.t_end, frame.t0), frame.t1))
            out.append(
                f'<rect x="{x:.1f}" y="{frame.top}" width="{max(x2 - x, 1.0):.1f}" '
                f'height="{frame.bottom - frame.top}" fill="{colour}" fill-opacity="0.12">'
                f"<title>{what}</title></rect>"
            )
        out.append(
            f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{frame.bottom}" '
            f'stroke="{colour}" stroke-dasharray="3 2"/>'
            f'<text x="{x + 2:.1f}" y="{frame.top + 10}" fill="{colour}">'
            f"{escape(event.kind.upper())}</text>"
        )
    return out


def _swatch(colour: str, dash: str = "") -> str:
    """A legend line's presentation attributes."""
    return f'stroke="{colour}" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "")


def _legend(entries: Sequence[tuple[str, str]], kinds: Sequence[str]) -> list[str]:
    """One row of swatches above the plot: ``(label, line style)`` per entry, then events.

    The style is the swatch's presentation attributes (:func:`_swatch`).
    """
    out, x = [], float(LEFT_PAD)
    for label, style in entries:
        out.append(
            f'<path {style} d="M{x:.0f} 14h18"/>'
            f'<text x="{x + 22:.0f}" y="18">{escape(label)}</text>'
        )
        x += 30 + CHAR_W * len(label)
    for kind in kinds:
        colour = EVENT_COLOURS.get(kind, "#525252")
        out.append(
            f'<rect x="{x:.0f}" y="8" width="12" height="12" fill="{colour}" '
            f'fill-opacity="0.25" stroke="{colour}"/>'
            f'<text x="{x + 16:.0f}" y="18">{escape(kind.upper())} event</text>'
        )
        x += 30 + CHAR_W * (len(kind) + 6)
    return out


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
    frame = _Frame(LEFT_PAD, right, PLOT_TOP, height - PLOT_BOTTOM_PAD, 0.0, span)
    parts = _time_axis(frame, height)
    for axis, low, high, side in axes:
        parts += _value_axis(frame, axis, low, high, side)
    parts += _legend(entries, kinds)
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
    frame = _Frame(
        LEFT_PAD,
        WIDTH - (RIGHT_PAD_AXIS if right else RIGHT_PAD_NONE),
        PLOT_TOP,
        height - PLOT_BOTTOM_PAD,
        t0,
        t1,
    )
    data = _events(frame, events)
    axes: list[tuple[Axis, float, float, Literal["left", "right"]]] = []
    for axis, side in ((left, "left"), (right, "right")):
        if axis is None:
            continue
        on_axis = [s for s in drawn if s.axis == side]
        low, high = _value_range(on_axis, axis.categories)
        axes.append((axis, low, high, "left" if side == "left" else "right"))
        scale, offset = _y_mapper(frame, low, high, bool(axis.categories))
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
    entries = tuple((s.label, _swatch(*STYLES[s.style % len(STYLES)])) for s in series)
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
    frame = _Frame(label_w, WIDTH - RIGHT_PAD_NONE, PLOT_TOP, height - PLOT_BOTTOM_PAD, t0, t1)
    shown = [e for e in events if t0 <= e.t <= t1]
    parts = _time_axis(frame, height)
    parts += _legend(
        [(outcome, _swatch(colour)) for outcome, colour in OUTCOME_COLOURS.items()],
        sorted({e.kind for e in shown}),
    )
    data = _events(frame, shown)
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
