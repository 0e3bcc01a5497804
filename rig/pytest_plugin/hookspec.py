"""The plugin's one hook: how a plan item runs its plan.

``pytest_rig_run_plan`` is a first-result hook: the plugin's own implementation
(registered ``trylast``) calls :func:`rig.runner.api.run_plan` with the run's
bench, services, results writer and run ID. A ``conftest.py`` may implement it to
run plans some other way — the plugin's own tests use it to stand in a scripted
runner — by returning a :class:`~rig.runner.api.PlanOutcome`, or ``None`` to pass
the plan on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rig.pytest_plugin.items import PlanItem
    from rig.pytest_plugin.session import RunSession
    from rig.runner.api import PlanOutcome, ProgressCallback


@pytest.hookspec(firstresult=True)
def pytest_rig_run_plan(
    item: PlanItem, run: RunSession, progress: ProgressCallback
) -> PlanOutcome | None:
    """Run ``item.plan`` (loaded from ``item.path``) and return its outcome."""
