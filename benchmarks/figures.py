"""What every benchmark script prints the same way: numbers, the table, the machine.

The scripts run as ``python benchmarks/<script>.py``, so this module is imported by
its bare name from beside them.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

HEADER = ("measurement", "value", "baseline", "ratio", "goal", "met")


def number(value: float) -> str:
    """A figure to a sensible precision: 12,345 · 12.3 · 1.23 · 0.000123."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.01:
        return f"{value:.2f}"
    return f"{value:.6f}"


def ratio(value: float) -> str:
    return f"{value:.2f}x" if value < 100 else f"{value:,.0f}x"


def table(lines: list[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> str:
    """Columns padded to their widest cell, under a header and a rule."""
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(row) for row in lines)])


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine(**extra: Any) -> dict[str, Any]:
    """Cores this process may use, CPU model, Python and platform, plus ``extra``."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "nproc": usable or os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **extra,
    }
