"""What each plan step does to the bench, the actors and the services.

One function, :func:`run_step`, dispatches on the step's class. A step either
*acts* and returns at once (after one look at the bench), or *waits for a state*
through :meth:`~rig.runner.loop.Loop.run_until` on the bench clock. A step that
cannot reach its state raises :class:`StepFailed` with what it last saw; any other
exception is an error in the run. While ``wait_for`` and ``charge`` run, every
look is supervised (:mod:`rig.runner.supervision`): a bench that is no longer
where the plan put it fails the step at once, naming what changed.

=============================  ===============================================
step                           what the runner does
=============================  ===============================================
``plug_in``                    PEV: pilot A → B; the ESI opens the session,
                               reads the EUMD and polls the grid signals in
                               force; a PEV that does not communicate is reported
                               as such at once (SC-5) and may charge
``wait_for``                   tick until the condition holds; fail at the
                               timeout naming the last values
``bind``                       ESI binds (BR-05, BR-12: the PEV is told); a
                               refusal or an unreachable utility lets charging
                               proceed at the premise's terms (BR-01)
``energy_request``             PEV → ESI → utility; the grant's power becomes
                               the advertised ampacity after its start delay
``charge``                     time passes (``for``), or until the EUMD has
                               counted ``until`` since plug-in
``dr_event``/``price``/        published to the premise's utility as its
``alm_change``                 operator; the ESI polls them and the EVSE applies
                               the limits at their times (hourly prices start with
                               the hour in which ``after`` falls, for the bound
                               tariff)
``set_ampacity``               EVSE advertises at most this
``unplug``                     PEV: pilot → A; the ESI closes the session
                               (last interval, summary to utility and PEV)
``utility_unreachable``/       the ESI's link to its utility is cut / restored
``utility_back``               (restored: the outbox delivers what waited);
                               ``home`` only where it is the premise's utility
``clearinghouse_unreachable``  the clearinghouse answers 503 to every caller /
/``clearinghouse_back``        answers again (the services' outboxes retry at once)
``meter_unavailable``          the simulated EUMD answers every request with a
                               Modbus exception (BR-04)
``utility_loses_reply``        the utility records the next interval deliveries,
                               their replies are lost (502): the ESI re-delivers
``pilot_fault``                pilot forced to E or F
``pev_stops_communicating``    the PEV says nothing more to the ESI
=============================  ===============================================
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from drivers.kinds import PilotState
from rig.clock import to_datetime
from rig.domain.vocabulary import Communication
from rig.plans import steps as s
from rig.runner.acting import ProgressSink, Unsupported, act, supervised
from rig.runner.faults import lose_replies, meter_unavailable, reach, reach_clearinghouse
from rig.runner.signals import publish_limit, publish_prices, sync_signals
from rig.runner.waiting import charge, wait_for
from rig.runner.world import World


def run_step(world: World, step: s.Step, report: ProgressSink) -> str:
    """Carry out one step; return a short note of what happened."""
    match step:
        case s.PlugIn():
            return _plug_in(world)
        case s.WaitFor(wait_for=wait):
            with supervised(world):
                return wait_for(world, wait)
        case s.Bind():
            return _bind(world)
        case s.EnergyRequest(energy_request=request):
            return _energy_request(world, request)
        case s.Charge(charge=args):
            with supervised(world):
                return charge(world, args, report)
        case s.DrEvent(dr_event=event):
            return publish_limit(
                world, "dlc", event.after.seconds, event.duration.seconds, event.limit
            )
        case s.AlmChange(alm_change=change):
            return publish_limit(world, "alm", change.after.seconds, None, change.limit)
        case s.Price(price=price):
            return publish_prices(world, price)
        case s.SetAmpacity(set_ampacity=setting):
            world.evse.manual_a = setting.current.amps
            return act(world, f"advertising at most {setting.current}")
        case s.Unplug():
            return unplug(world)
        case s.UtilityUnreachable(utility_unreachable=which):
            return reach(world, which.utility, False)
        case s.UtilityBack(utility_back=which):
            return reach(world, which.utility, True)
        case s.ClearinghouseUnreachable() | s.ClearinghouseBack():
            return reach_clearinghouse(world, isinstance(step, s.ClearinghouseBack))
        case s.MeterUnavailable():
            return meter_unavailable(world)
        case s.UtilityLosesReply(utility_loses_reply=lost):
            return lose_replies(world, lost.count)
        case s.PilotFault(pilot_fault=fault):
            world.pev.fault(PilotState(fault.state))
            return act(world, f"pilot forced to {fault.state}")
        case s.PevStopsCommunicating():
            world.pev.communicating = False
            return "the PEV no longer talks to the ESI"
    raise Unsupported(f"no runner for step {step.key()!r}")


# --------------------------------------------------------------------------- vehicle, ESI


def _plug_in(world: World) -> str:
    world.pev.plug_in(world.clock.now())
    world.recorder.meters()
    world.esi.start_metering()
    sync_signals(world)  # limits already in force apply from the start
    note = "pilot B; session open"
    if not world.pev.communicating:
        world.esi.bind(None, Communication.PEV_NOT_COMMUNICATING, world.record.facts.roaming_option)
        world.evse.allow(world.evse.rating_a, world.clock.now())
        note += "; the PEV does not communicate: charging at the premise's terms"
    return act(world, note)


def _bind(world: World) -> str:
    pev = world.pev
    if not pev.communicating:  # it went silent before binding: the ESI has no PEV ID (BR-01)
        world.esi.bind(None, Communication.FAILED, world.record.facts.roaming_option)
        world.evse.allow(world.evse.rating_a, world.clock.now())
        return act(world, "the PEV is silent: not bound; charging at the premise's terms")
    _note_clearinghouse(world)
    answer = world.esi.bind(
        pev.pev.id, Communication.ESTABLISHED, world.record.facts.roaming_option
    )
    pev.told.binding = answer
    world.record.binding = answer
    if answer is None or not answer.bound:
        world.evse.allow(world.evse.rating_a, world.clock.now())
        why = "utility unreachable" if answer is None else f"refused: {world.esi.refusal}"
        return act(world, f"not bound ({why}); charging proceeds at the premise's terms")
    return act(world, f"bound: {answer.scenario}, {answer.tariff_id}")


def _note_clearinghouse(world: World) -> None:
    """Whether the clearinghouse answers as the PEV binds: the oracle's fact for BR-01."""
    world.record.facts = replace(
        world.record.facts, clearinghouse_at_binding=world.clearinghouse_reachable
    )


def _energy_request(world: World, request: s.EnergyRequestArgs) -> str:
    preferences = world.plan.pev.preferences
    energy = request.energy or (preferences.energy if preferences else None)
    power = request.max_power or (preferences.max_power if preferences else None)
    departure = request.departure_in or (preferences.departure_in if preferences else None)
    if energy is None:
        raise Unsupported("energy_request: no energy in the step or the PEV's preferences")
    if not world.pev.communicating:
        return "the PEV is silent: no request reaches the ESI"
    kw = power.kw if power is not None else world.evse.rating_a * world.evse.volts / 1000.0
    now = world.clock.now()
    leaves = to_datetime(now) + timedelta(seconds=departure.seconds if departure else 12 * 3600)
    grant = world.esi.request_energy(Decimal(str(energy.kwh)), Decimal(str(round(kw, 6))), leaves)
    world.record.grant = grant
    if grant is None:
        world.evse.allow(world.evse.rating_a, now)
        return act(world, "no grant (not bound or unreachable): charging at the premise's terms")
    amps = world.evse.amps(float(grant.power_available_kw))
    world.evse.allow(amps, now + world.esi.start_delay_s)
    return act(
        world,
        f"grant {grant.status}: {grant.energy_available_kwh} kWh at up to "
        f"{grant.power_available_kw} kW, start in {world.esi.start_delay_s:g} s",
    )


def unplug(world: World) -> str:
    now = world.clock.now()
    world.pev.unplug(now)
    world.evse.stop(now)
    world.loop.changed()
    world.loop.settle()
    world.recorder.meters()  # both meters close the session together, as plug-in opened it
    if not world.esi.asked:  # no bind step: the ESI still registers the session it metered
        _note_clearinghouse(world)
        world.esi.bind(
            world.pev.pev.id, Communication.ESTABLISHED, world.record.facts.roaming_option
        )
    summary = world.esi.close()
    world.pev.told.summary = summary
    return f"pilot A; session closed: {summary['energy_kwh']} kWh in {summary['duration_s']:g} s"
