"""Where a pass over the plans spends its time: ``bench_plans.py --profile``.

A wall-clock cProfile of the main thread over one in-process pass (set-up waits
included), and the costs a pytest run pays once, outside every plan.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import subprocess
import sys
import time
from typing import Any

from plan_bench import PLANS, ROOT, Settings

from rig.plans import load_plan
from rig.runner.api import run_plan


def one_offs() -> list[str]:
    """Costs a pytest run pays once, outside every plan: imports and the bench identity."""
    from rig.bench.config import load_bench
    from rig.pytest_plugin.identity import bench_identity
    from rig.runner.api import DEFAULT_BENCH

    def took(code: str) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    bare = took("pass")
    pytest_import = took("import pytest") - bare
    runner = took("import rig.pytest_plugin, rig.runner.plan_run") - bare
    start = time.perf_counter()
    bench_identity(DEFAULT_BENCH, load_bench(DEFAULT_BENCH))
    identity = time.perf_counter() - start
    return [
        f"once per pytest run: interpreter {bare:.2f} s, import pytest {pytest_import:.2f} s, "
        f"import rig.pytest_plugin + rig.runner.plan_run {runner:.2f} s (medians of 3); "
        f"bench identity at the first plan (simulated bench started, every instrument "
        f"identified, stopped) {identity:.2f} s"
    ]


def profile_plans(settings: Settings, top: int = 25) -> list[str]:
    """Wall-clock cProfile (main thread) of one in-process pass over the plans."""
    files = sorted(PLANS.glob("*.yaml"))[: settings.plan_limit]
    plans = [(load_plan(p.relative_to(ROOT)), p.relative_to(ROOT)) for p in files]
    run_plan(plans[0][0], plan_file=plans[0][1])  # imports and caches, not profiled
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for plan, path in plans:
        run_plan(plan, plan_file=path)
    profiler.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    lines = [
        f"profile: {len(plans)} plans in-process, {wall:.2f} s wall "
        f"({wall / len(plans):.2f} s per plan); main thread, wall clock"
    ]

    def where(key: tuple[str, int, str]) -> str:
        file, _, name = key
        shown = file.replace(str(ROOT) + "/", "")
        if "site-packages/" in shown:
            shown = shown.split("site-packages/", 1)[1]
        return f"{shown}:{name}"

    lines += one_offs()
    lines.append("cumulative share of the plans' wall time, rig and drivers functions:")
    ranked = sorted(entries.items(), key=lambda kv: kv[1][3], reverse=True)
    ours = [(k, v) for k, v in ranked if "/rig/" in k[0] or "/drivers/" in k[0]]
    for key, (_, _, _, cum, _) in ours[:top]:
        lines.append(f"  {cum / wall * 100:5.1f}%  {where(key)}")
    lines.append("self time (where the main thread actually is), share of wall:")
    for key, (_, _, tot, _, _) in sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[
        :12
    ]:
        lines.append(f"  {tot / wall * 100:5.1f}%  {where(key)}")
    return lines
