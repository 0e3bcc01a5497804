"""Before a run on the wall clock: how long the selected plans will take.

On a lab bench (a bench file without ``simulation:``, or ``simulation.clock:
wall``) or against external services, plans run on the wall clock and a pass of
the suite takes hours. Once collection is done, the controller process prints the
selection's estimate (:mod:`rig.plans.estimate`) above the first plan::

    estimated wall time of 12 plans: about 3 h 10 min (at most 7 h 5 min if every
    wait runs to its timeout)

Each plan's supply voltage and portal rating come from its utility data set; a plan
whose premise or portal the data set lacks is estimated at 240 V (pre-flight
reports it). On the virtual clock nothing is printed: the run takes seconds.
"""

from __future__ import annotations

import pytest

from rig.plans import Plan
from rig.plans.estimate import SUPPLY_VOLTS, Site, describe, estimate
from rig.pytest_plugin.items import PlanItem
from rig.pytest_plugin.session import RUN, RunSession
from rig.runner.facts import PlaceError, place_of
from rig.runner.world import dataset


def on_wall_clock(run: RunSession) -> bool:
    """Whether the run's plans pass time as it passes (lab bench or external services)."""
    sim = run.bench.simulation
    return sim is None or sim.clock == "wall" or run.services is not None


def site_of(plan: Plan) -> Site:
    """The plan's supply voltage and portal rating, from its utility data set."""
    try:
        place = place_of(plan, dataset(plan.utility_data))
    except (PlaceError, OSError, ValueError):
        return Site()
    return Site(volts=SUPPLY_VOLTS[place.supply], max_kw=place.portal.max_kw)


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    plans = [item.plan for item in session.items if isinstance(item, PlanItem)]
    if not plans or hasattr(config, "workerinput") or not on_wall_clock(config.stash[RUN]):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(describe(estimate(plans, site_of)))
