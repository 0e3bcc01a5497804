"""A chart's frame: scales, ticks, axes, legend and event marks, in SVG.

:mod:`rig.report.charts` draws the data; this module draws what the data sits in,
for a plot area of :data:`WIDTH` pixels laid out as :class:`Frame` says:

* the **time axis** (:func:`time_axis`): round ticks (:func:`nice_ticks`) in
  seconds, minutes or hours by the span (:func:`time_unit`), counted from the first
  sample, with a vertical grid;
* a **value axis** (:func:`value_axis`) on the left or the right: round ticks, or
  the names of a categorical axis (pilot state A…F, A at the top), with a
  horizontal grid on the left one; :func:`y_mapper` maps values onto it;
* the **legend** (:func:`legend`): one row above the plot, a swatch per series
  (:func:`swatch`), then the kinds of event shown;
* **events** (:func:`event_marks`): a window shaded, an instant marked, each
  named by its kind in text, so a grey-scale print reads the same.

Everything here styles itself with presentation attributes, not the page's CSS:
a frame drawn once and reused through ``<use>`` (:class:`rig.report.charts.Shared`)
is a copy outside the reach of the page's selectors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

WIDTH = 640
PLOT_TOP = 34
PLOT_BOTTOM_PAD = 34
LEFT_PAD = 54
CHAR_W = 6.8  # average width of an 11 px sans-serif glyph, for laying out the legend


EVENT_COLOURS = {"dr": "#dc2626", "alm": "#d97706", "price": "#2563eb", "fault": "#525252"}

#: Grid and axis lines (see the module doc for why not CSS classes).
GRID = 'stroke="#e2e2e2" fill="none"'
AXIS = 'stroke="#444"'


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


def time_unit(span_s: float) -> tuple[str, float]:
    """The time axis unit for a span of ``span_s`` seconds: its name and seconds per unit."""
    if span_s <= 180:
        return "s", 1.0
    if span_s <= 3 * 3600:
        return "min", 60.0
    return "h", 3600.0


@dataclass(frozen=True)
class Frame:
    """Where the plot area is and how clock seconds map onto it."""

    left: float
    right: float
    top: float
    bottom: float
    t0: float
    t1: float

    def x(self, t: float) -> float:
        return self.left + (t - self.t0) / (self.t1 - self.t0) * (self.right - self.left)


def y_mapper(frame: Frame, low: float, high: float, inverted: bool) -> tuple[float, float]:
    """``(scale, offset)`` with ``y = value * scale + offset``."""
    span = frame.bottom - frame.top
    if inverted:  # categories: index 0 at the top
        scale = span / (high - low)
        return scale, frame.top - low * scale
    scale = -span / (high - low)
    return scale, frame.bottom - low * scale


def time_axis(frame: Frame, height: float) -> list[str]:
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


def value_axis(
    frame: Frame, axis: Axis, low: float, high: float, side: Literal["left", "right"]
) -> list[str]:
    """The axis line, its grid (left axis only), tick labels and rotated title."""
    x = frame.left if side == "left" else frame.right
    scale, offset = y_mapper(frame, low, high, bool(axis.categories))
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


#: The page's CSS for event marks: a group per event, classed ``e-<kind>`` (``e`` for a
#: kind without a colour of its own: grey), coloured here rather than on each shape.
EVENT_CSS = (
    "svg.chart g[class|=e]{fill:#525252;color:#525252}svg.chart g[class|=e] rect{fill-opacity:.12}"
    "svg.chart g[class|=e] path{stroke:currentColor;stroke-dasharray:3 2}"
    + "".join(f"svg.chart .e-{k}{{fill:{c};color:{c}}}" for k, c in EVENT_COLOURS.items())
)


def event_marks(frame: Frame, events: Sequence[Event]) -> list[str]:
    """Each event as a group of CSS class ``e-<kind>`` or ``e`` (:data:`EVENT_CSS`): a
    shaded window with its label as a tooltip, a dashed line where it begins, its kind."""
    out = []
    for event in events:
        group = f"e-{event.kind}" if event.kind in EVENT_COLOURS else "e"
        x = round(frame.x(min(max(event.t, frame.t0), frame.t1)))
        what = escape(f"{event.kind.upper()} {event.label}".strip())
        window = ""
        if event.t_end is not None and event.t_end > event.t:
            x2 = frame.x(min(max(event.t_end, frame.t0), frame.t1))
            window = (
                f'<rect x="{x}" y="{frame.top}" width="{max(round(x2 - x), 1)}" '
                f'height="{frame.bottom - frame.top}"><title>{what}</title></rect>'
            )
        out.append(
            f"<g class={group}>{window}"
            f'<path d="M{x} {frame.top}V{frame.bottom}"/>'
            f'<text x="{x + 2}" y="{frame.top + 10}">{escape(event.kind.upper())}</text></g>'
        )
    return out


def swatch(colour: str, dash: str = "") -> str:
    """A legend line's presentation attributes."""
    return f'stroke="{colour}" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "")


def legend(entries: Sequence[tuple[str, str]], kinds: Sequence[str]) -> list[str]:
    """One row of swatches above the plot: ``(label, line style)`` per entry, then events.

    The style is the swatch's presentation attributes (:func:`swatch`).
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
