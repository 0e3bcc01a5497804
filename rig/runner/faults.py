"""The fault steps: cut and restore the utility and the clearinghouse, silence the EUMD,
lose the utility's replies."""

from __future__ import annotations

from drivers.meter.sim_faults import WireFault
from rig.plans import steps as s
from rig.runner.acting import Unsupported
from rig.runner.signals import sync_signals
from rig.runner.world import World
from rig.services.cluster import CLEARINGHOUSE
from rig.services.endpoints import NoFaultSwitch
from rig.services.faults import LostReply, ServiceDefects

#: Modbus exception 0x0B: gateway target device failed to respond.
_NO_DEVICE = 0x0B


def reach(world: World, role: s.UtilityRole, reachable: bool) -> str:
    """Cut or restore the ESI's link to its utility.

    The ESI talks only to the premise's utility; a foreign PEV's home utility is
    reached by the clearinghouse, inside the services, which offer no switch for
    that path yet — so ``home`` works only where it is the premise's utility.
    """
    utility = world.place.utility.id
    home = world.record.facts.pev.home_utility_id
    if role == "home" and home != utility:
        raise Unsupported(
            f"utility_{'back' if reachable else 'unreachable'}: home: the home utility "
            f"{home or '?'} is reached by the clearinghouse, and the services cannot cut "
            "that path yet"
        )
    world.links[utility].reachable = reachable
    if reachable:
        world.esi.outbox.deliver_due()
        sync_signals(world)
    return f"{utility} {'reachable again' if reachable else 'unreachable'} from the ESI"


def reach_clearinghouse(world: World, reachable: bool) -> str:
    """Cut or restore the clearinghouse: it answers 503 to the utilities meanwhile.

    A binding that needs it falls back per BR-01; a roaming charge waits in the
    roaming utility's outbox and is posted once it is back.
    """
    try:
        world.endpoints.set_reachable(CLEARINGHOUSE, reachable)
    except NoFaultSwitch as exc:
        raise Unsupported(
            f"clearinghouse_{'back' if reachable else 'unreachable'}: {exc}"
        ) from None
    world.clearinghouse_reachable = reachable
    return f"clearinghouse {'reachable again' if reachable else 'unreachable'} from the utilities"


def lose_replies(world: World, count: int) -> str:
    """The premise's utility records the next ``count`` interval deliveries, and the
    ESI gets 502 instead of each reply (:class:`~rig.services.faults.ServiceDefects`)."""
    utility = world.place.utility.id
    try:
        world.endpoints.inject(utility, ServiceDefects(lost_reply=LostReply(count)))
    except NoFaultSwitch as exc:
        raise Unsupported(f"utility_loses_reply: {exc}") from None
    return f"{utility} loses its reply to the next {count} interval deliveries"


def meter_unavailable(world: World) -> str:
    if world.sim is None or "eumd" not in world.sim.meters:
        raise Unsupported(
            "meter_unavailable needs a simulated EUMD (inject it by hand on a lab bench)"
        )
    world.sim.meters["eumd"].faults.inject(WireFault.EXCEPTION, exception_code=_NO_DEVICE)
    world.loop.supervisor.meter_silenced = True  # commanded: not a change under the plan
    return "the EUMD answers every request with Modbus exception 0x0B"
