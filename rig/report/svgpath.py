"""SVG path data for a series, reduced to what a chart can show, in few bytes.

A one-hour session sampled once a second is 3,600 points; a 640-pixel-wide chart
cannot show more than a few per pixel column, and a 1.6 px stroke hides any
difference smaller than itself. :func:`path_data` takes a series already mapped to
pixels and:

* for a *step* series (a value that holds until it changes), keeps only the
  samples where the value changes (:func:`changes`) and draws ``h``/``v`` moves;
* for a *line*, keeps the first, lowest, highest and last sample of every pixel
  column — so a burst of samples after a change collapses, and a one-sample spike
  survives — then drops every sample a straight line passes within
  :data:`TOLERANCE_PX` of (one linear pass, :func:`_sleeve`);
* writes relative moves in integer tenths of a pixel, shortest form (``.5``,
  ``-1.5``, ``2``), one ``l`` for all the pairs of a line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import compress, pairwise
from operator import itemgetter, ne

Point = tuple[float, float]

#: How far (in pixels) a drawn line may pass from a sample it skips: under the 1.6 px
#: stroke width, so what is dropped is what the stroke would have covered anyway.
TOLERANCE_PX = 0.75


def _columns(points: list[Point]) -> list[Point]:
    """First, lowest, highest and last point of every pixel column, in time order.

    Columns are found with C-level iteration (most hold one point), and only the
    crowded ones are reduced.
    """
    n = len(points)
    columns = [int(x) for x, _ in points]
    starts = [0, *compress(range(1, n), map(ne, columns[1:], columns)), n]
    if len(starts) == n + 1:
        return points  # one point per column already
    kept: list[Point] = []
    for first, end in pairwise(starts):
        column = points[first:end]
        kept.extend(column if end - first <= 4 else _extremes(column))
    return kept


def _extremes(column: list[Point]) -> list[Point]:
    low = min(column, key=itemgetter(1))
    high = max(column, key=itemgetter(1))
    middle = sorted({low, high}, key=column.index)
    return [column[0], *middle, column[-1]]


def _sleeve(points: list[Point], tolerance: float) -> list[Point]:
    """Drop points a straight line would pass within ``tolerance`` pixels of; one pass.

    Time only moves forward, so from each kept point (the anchor) the slopes that
    pass within ``tolerance`` (vertically) of every point since form a narrowing
    cone; the first point whose own slope falls outside it ends the segment at the
    point before. Linear time, unlike Ramer–Douglas–Peucker on noisy data.
    """
    if len(points) < 3:
        return points
    kept = [points[0]]
    ax, ay = points[0]
    low, high = -math.inf, math.inf
    previous = points[0]
    for x, y in points[1:]:
        dx = x - ax
        if dx > 1e-9 and low <= (y - ay) / dx <= high:
            low = max(low, (y - tolerance - ay) / dx)
            high = min(high, (y + tolerance - ay) / dx)
        elif dx <= 1e-9 and abs(y - ay) <= tolerance:
            pass  # the same column as the anchor, and within reach of it
        else:
            if previous is not kept[-1]:
                kept.append(previous)
            ax, ay = previous
            dx = x - ax
            if dx > 1e-9:
                low, high = (y - tolerance - ay) / dx, (y + tolerance - ay) / dx
            else:  # a vertical jump: the point itself becomes the anchor
                kept.append((x, y))
                ax, ay = x, y
                low, high = -math.inf, math.inf
        previous = (x, y)
    if previous is not kept[-1]:
        kept.append(previous)
    return kept


def changes(points: Sequence[Point]) -> list[Point]:
    """A step series without the points that repeat the previous value (last kept)."""
    values = [v for _, v in points]
    keep = [0, *compress(range(1, len(values)), map(ne, values[1:], values))]
    if keep[-1] != len(values) - 1:
        keep.append(len(values) - 1)  # where the line ends
    return [points[i] for i in keep]


def _tenths(value: int) -> str:
    """Tenths of a pixel as SVG's shortest number: 5 → ``.5``, -15 → ``-1.5``, 20 → ``2``."""
    if value % 10 == 0:
        return str(value // 10)
    magnitude = abs(value)
    whole = magnitude // 10
    return f"{'-' if value < 0 else ''}{whole or ''}.{magnitude % 10}"


def path_data(pixels: list[Point], step: bool, width: int) -> str:
    """Compact SVG path data for points in pixels: relative moves, tenths of a pixel.

    A step holds each value until the next point (``h``/``v`` moves); a line joins
    the points, one ``l`` followed by its pairs. Coordinates are rounded once, to
    integer tenths, and the moves are their differences, so errors never accumulate.
    """
    if not pixels:
        return ""
    if step:
        pixels = changes(pixels)
        if len(pixels) > 2 * width:
            pixels = _columns(pixels)
    else:
        pixels = _sleeve(_columns(pixels), TOLERANCE_PX)
    tenths = [(round(x * 10), round(y * 10)) for x, y in pixels]
    x0, y0 = tenths[0]
    parts = [f"M{_tenths(x0)} {_tenths(y0)}"]
    if step:
        for x, y in tenths[1:]:
            if x != x0:
                parts.append(f"h{_tenths(x - x0)}")
            if y != y0:
                parts.append(f"v{_tenths(y - y0)}")
            x0, y0 = x, y
        return "".join(parts)
    if len(tenths) == 1:
        return f"{parts[0]}h1"  # one sample: a one-pixel mark, so it shows at all
    parts.append("l")
    for x, y in tenths[1:]:
        dx, dy = _tenths(x - x0), _tenths(y - y0)
        if len(parts) > 2 and dx[0] != "-":
            parts.append(" ")  # a pair after a pair needs a separator unless it starts with -
        parts.append(dx if dy[0] == "-" else f"{dx} ")
        parts.append(dy)
        x0, y0 = x, y
    return "".join(parts)
