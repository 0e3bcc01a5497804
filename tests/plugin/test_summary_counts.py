"""The compliance summary counts an inconclusive plan apart from passes and failures."""

from __future__ import annotations

from rig.pytest_plugin.session import PlanRow
from rig.pytest_plugin.summary import table


def test_inconclusive_plans_are_counted_and_listed_before_passes() -> None:
    rows = [
        PlanRow("sc1-home", "sc1", ("SC-1", "J-04"), "pass", 20, 20, 1.0),
        PlanRow("sc1-edge", "sc1", ("SC-1", "J-04"), "inconclusive", 19, 20, 1.1),
        PlanRow("sc2-host", "sc2", ("SC-2",), "fail", 17, 18, 0.9),
    ]
    lines = table(rows)
    assert lines[-1] == "3 plans: 1 pass, 1 inconclusive, 1 fail"
    listed = [line.split()[0] for line in lines[1:-1]]
    assert listed.index("sc1-edge") < listed.index("sc1-home")
    assert "inconclusive  19/20" in lines[1 + listed.index("sc1-edge")]
