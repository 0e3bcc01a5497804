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
* writes relative moves in whole pixels, one ``l`` for all the pairs of a line,
  moves in one direction joined (a chart is 640 pixels wide; the numbers in the
  tables are exact).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import compress, pairwise
from operator import itemgetter, ne

Point = tuple[float, float]

#: How far (in pixels) a drawn line may pass from a sample it skips: with rounding to
#: whole pixels, within a pixel of every sample — about what the 1.6 px stroke covers.
TOLERANCE_PX = 0.5


def _columns(points: list[Point]) -> list[Point]:
    """First, lowest, highest and last point of every pixel column, in time order.

    Columns are found with C-level iteration (most hold one point), and only the
    crowded ones are reduced.
    """
    n = len(points)
    columns = list(map(int, map(itemgetter(0), points)))
    starts = [0, *compress(range(1, n), map(ne, columns[1:], columns)), n]
    crowded = [(first, end) for first, end in pairwise(starts) if end - first > 4]
    if not crowded:
        return points  # at most four points in any column: nothing to reduce
    kept: list[Point] = []
    done = 0
    for first, end in crowded:
        kept += points[done:first]
        kept += _extremes(points[first:end])
        done = end
    kept += points[done:]
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
    for point in points[1:]:
        x, y = point
        dx = x - ax
        if dx > 1e-9 and low <= (y - ay) / dx <= high:
            # the cone narrows (comparisons, not min/max calls: this loop is the hot one)
            bound = (y - tolerance - ay) / dx
            if bound > low:
                low = bound
            bound = (y + tolerance - ay) / dx
            if bound < high:
                high = bound
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
                kept.append(point)
                ax, ay = x, y
                low, high = -math.inf, math.inf
        previous = point
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


def _straight(moves: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The moves with each run in one direction joined into one: the same line, fewer
    numbers (after rounding, a slope drawn as ``4 0 5 0`` is ``9 0``)."""
    out: list[tuple[int, int]] = []
    for dx, dy in moves:
        if out:
            px, py = out[-1]
            if px * dy == py * dx and px * dx + py * dy > 0:
                out[-1] = (px + dx, py + dy)
                continue
        out.append((dx, dy))
    return out


def path_data(pixels: list[Point], step: bool, width: int) -> str:
    """Compact SVG path data for points in pixels: relative moves in whole pixels.

    A step holds each value until the next point (``h``/``v`` moves); a line joins
    the points, one ``l`` followed by its pairs. Coordinates are rounded once, to
    whole pixels (half a pixel at most, which with :data:`TOLERANCE_PX` keeps the
    line within a pixel of every sample), and the moves are their differences, so
    errors never accumulate; a move that rounds to nothing is left out.
    """
    if not pixels:
        return ""
    if step:
        pixels = changes(pixels)
        if len(pixels) > 2 * width:
            pixels = _columns(pixels)
    else:
        pixels = _sleeve(_columns(pixels), TOLERANCE_PX)
    whole = [(round(x), round(y)) for x, y in pixels]
    start = f"M{whole[0][0]} {whole[0][1]}"
    moves = [(x - x0, y - y0) for (x0, y0), (x, y) in pairwise(whole)]
    if step:
        return start + "".join(
            (f"h{dx}" if dx else "") + (f"v{dy}" if dy else "") for dx, dy in moves
        )
    moves = _straight([(dx, dy) for dx, dy in moves if dx or dy])
    if not moves:
        return f"{start}h1"  # one sample (or one spot): a one-pixel mark, so it shows at all
    # pairs separated by spaces, except before a minus sign, which separates already
    return f"{start}l" + " ".join(f"{dx} {dy}" for dx, dy in moves).replace(" -", "-")
