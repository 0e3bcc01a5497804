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
``pilot_fault``                pilot forced to E or F
``pev_stops_communicating``    the PEV says nothing more to the ESI
=============================  ===============================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from drivers.j1772 import ampacity_from_duty
from drivers.kinds import PilotState
from drivers.meter.energy import snapshot_delta
from drivers.meter.sim_faults import WireFault
from rig.clock import to_datetime
from rig.domain.vocabulary import Communication
from rig.plans import steps as s
from rig.plans.conditions import Reading
from rig.plans.units import Current, Power
from rig.record import GridEvent
from rig.runner.actors.evse import GridLimit
from rig.runner.supervision import BenchChanged
from rig.runner.world import World
from rig.services.cluster import CLEARINGHOUSE
from rig.services.endpoints import NoFaultSwitch

#: Called during long steps with the EUMD energy since plug-in, the seconds left (until
#: the step's end, or estimated from the present power when it charges to an energy
#: target) and that power in kW (``None`` unless the time left is such an estimate).
ProgressSink = Callable[[float, float, float | None], None]
#: Modbus exception 0x0B: gateway target device failed to respond.
_NO_DEVICE = 0x0B


class StepFailed(AssertionError):
    """The step's state was not reached; the message says what was seen instead."""

    def __init__(self, message: str, *, expected: str = "", measured: str = "") -> None:
        super().__init__(message)
        self.expected = expected
        self.measured = measured


@contextmanager
def _supervised(world: World) -> Iterator[None]:
    """Judge every look of the block; a bench that changed under the plan fails the step."""
    try:
        with world.loop.supervised():
            yield
    except BenchChanged as changed:
        change = changed.change
        raise StepFailed(str(change), expected=change.expected, measured=change.measured) from None


class Unsupported(RuntimeError):
    """The step cannot be carried out on this bench or with these services."""


def run_step(world: World, step: s.Step, report: ProgressSink) -> str:
    """Carry out one step; return a short note of what happened."""
    match step:
        case s.PlugIn():
            return _plug_in(world)
        case s.WaitFor(wait_for=wait):
            with _supervised(world):
                return _wait_for(world, wait)
        case s.Bind():
            return _bind(world)
        case s.EnergyRequest(energy_request=request):
            return _energy_request(world, request)
        case s.Charge(charge=charge):
            with _supervised(world):
                return _charge(world, charge, report)
        case s.DrEvent(dr_event=event):
            return _publish_limit(
                world, "dlc", event.after.seconds, event.duration.seconds, event.limit
            )
        case s.AlmChange(alm_change=change):
            return _publish_limit(world, "alm", change.after.seconds, None, change.limit)
        case s.Price(price=price):
            return _publish_prices(world, price)
        case s.SetAmpacity(set_ampacity=setting):
            world.evse.manual_a = setting.current.amps
            return _act(world, f"advertising at most {setting.current}")
        case s.Unplug():
            return unplug(world)
        case s.UtilityUnreachable(utility_unreachable=which):
            return _reach(world, which.utility, False)
        case s.UtilityBack(utility_back=which):
            return _reach(world, which.utility, True)
        case s.ClearinghouseUnreachable() | s.ClearinghouseBack():
            return _reach_clearinghouse(world, isinstance(step, s.ClearinghouseBack))
        case s.MeterUnavailable():
            return _meter_unavailable(world)
        case s.PilotFault(pilot_fault=fault):
            world.pev.fault(PilotState(fault.state))
            return _act(world, f"pilot forced to {fault.state}")
        case s.PevStopsCommunicating():
            world.pev.communicating = False
            return "the PEV no longer talks to the ESI"
    raise Unsupported(f"no runner for step {step.key()!r}")


def _act(world: World, note: str) -> str:
    """After an action: sample densely from now, and take one look."""
    world.loop.changed()
    world.loop.tick()
    return note


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
    return _act(world, note)


def _bind(world: World) -> str:
    pev = world.pev
    if not pev.communicating:  # it went silent before binding: the ESI has no PEV ID (BR-01)
        world.esi.bind(None, Communication.FAILED, world.record.facts.roaming_option)
        world.evse.allow(world.evse.rating_a, world.clock.now())
        return _act(world, "the PEV is silent: not bound; charging at the premise's terms")
    _note_clearinghouse(world)
    answer = world.esi.bind(
        pev.pev.id, Communication.ESTABLISHED, world.record.facts.roaming_option
    )
    pev.told.binding = answer
    world.record.binding = answer
    if answer is None or not answer.bound:
        world.evse.allow(world.evse.rating_a, world.clock.now())
        why = "utility unreachable" if answer is None else f"refused: {world.esi.refusal}"
        return _act(world, f"not bound ({why}); charging proceeds at the premise's terms")
    return _act(world, f"bound: {answer.scenario}, {answer.tariff_id}")


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
        return _act(world, "no grant (not bound or unreachable): charging at the premise's terms")
    amps = world.evse.amps(float(grant.power_available_kw))
    world.evse.allow(amps, now + world.esi.start_delay_s)
    return _act(
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


# --------------------------------------------------------------------------- waiting


def observe(world: World, names: frozenset[str]) -> dict[str, Reading]:
    """The current value of each named observable (reading only what they need)."""
    rec = world.recorder
    pilot, load = rec.last_pilot, rec.last_load
    values: dict[str, Reading] = {}
    for name in names:
        if name.startswith("pilot.") or name == "contactor":
            assert pilot is not None
            pwm = 0.0 < pilot.duty_pct < 100.0
            values |= {
                "pilot.state": pilot.state.value,
                "pilot.duty_pct": pilot.duty_pct,
                "pilot.ampacity_a": ampacity_from_duty(pilot.duty_pct) if pwm else 0.0,
                "contactor": "closed" if pilot.contactor_closed else "open",
            }
        elif name == "load.input":
            values[name] = "on" if rec.load_input() else "off"
        elif name.startswith("load."):
            assert load is not None
            values |= {"load.current_a": load.current_a, "load.power_w": load.power_w}
        elif name.startswith("meter."):
            snapshot = rec.eumd()
            values["meter.power_w"] = snapshot.power_w if snapshot else math.nan
            values["meter.energy_kwh"] = energy_kwh(world)
        elif name == "premise_meter.energy_kwh":
            premise = rec.premise()
            first = rec.first_premise
            delta = snapshot_delta(first, premise).wh / 1000 if first and premise else math.nan
            values[name] = delta
        elif name == "esi.binding":
            values[name] = world.esi.state
        elif name == "outbox.pending":
            values[name] = float(world.esi.pending)
    return {name: values[name] for name in names}


def energy_kwh(world: World) -> float:
    """EUMD energy since plug-in, from the last reading (NaN if the EUMD never answered)."""
    rec = world.recorder
    if rec.first_eumd is None or rec.last_eumd is None:
        return math.nan
    rollover = world.record.eumd.rollover_wh if world.record.eumd else None
    return snapshot_delta(rec.first_eumd, rec.last_eumd, rollover_wh=rollover).wh / 1000.0


_ESI_OBSERVABLES = ("esi.", "outbox.")
_METERS = ("meter.", "premise_meter.")
#: While the bench is steady, how far apart meter conditions are looked at (virtual clock).
_METER_POLL_S = 5.0


def _poll(world: World, names: frozenset[str]) -> Callable[[], float]:
    """How long the next tick of a ``wait_for`` may be.

    The ESI's own state changes only when it acts, and the loop wakes for that
    anyway (an interval boundary, the outbox's next attempt): no polling. The bench
    is polled every ``Sampling.poll_s`` — on a virtual clock only while it is still
    settling after a change, since a settled simulated bench changes only when the
    runner changes something or a scheduled limit comes due (the loop wakes for
    both); meter readings still grow, so those are looked at every 5 s.
    """
    poll_s = world.loop.sampling.poll_s
    bench = [name for name in names if not name.startswith(_ESI_OBSERVABLES)]
    if not bench:
        return lambda: math.inf
    if not world.clock.is_virtual:
        return lambda: poll_s
    steady = _METER_POLL_S if any(name.startswith(_METERS) for name in bench) else math.inf
    return lambda: poll_s if not world.loop.settled() else steady


def _shown(readings: dict[str, Reading]) -> str:
    return ", ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(readings.items())
    )


def _wait_for(world: World, wait: s.WaitForArgs) -> str:
    condition, within = wait.until, wait.within.seconds
    start = world.clock.now()
    last: dict[str, Reading] = {}

    def holds() -> bool:
        nonlocal last
        last = observe(world, condition.observables)
        return condition.holds(last)

    poll = _poll(world, condition.observables)
    if world.loop.run_until(start + within, holds, horizon=poll):
        return f"held after {world.clock.now() - start:.3f} s ({_shown(last)})"
    raise StepFailed(
        f"'{condition}' did not hold within {wait.within}; last seen: {_shown(last)}",
        expected=f"{condition} within {wait.within}",
        measured=_shown(last),
    )


def _charge(world: World, charge: s.ChargeArgs, report: ProgressSink) -> str:
    loop, clock = world.loop, world.clock
    start = clock.now()
    next_report = start + 60.0

    def every() -> None:
        nonlocal next_report
        now = clock.now()
        if now >= next_report:
            next_report = now + 60.0
            if charge.duration is not None:
                report(energy_kwh(world), deadline - now, None)
                return
            load = world.recorder.last_load
            kw = load.power_w / 1000.0 if load is not None else 0.0
            estimate = sooner() - 0.5
            if estimate < deadline - now:
                report(energy_kwh(world), estimate, kw)
            else:  # no current, or too little to get there in time
                report(energy_kwh(world), deadline - now, None)

    if charge.duration is not None:
        deadline = start + charge.duration.seconds
        loop.run_until(deadline, every=every)
        return f"charged {charge.duration}; {energy_kwh(world):.3f} kWh since plug-in"
    assert charge.until is not None and charge.within is not None
    target = charge.until.kwh
    deadline = start + charge.within.seconds

    def reached() -> bool:
        world.recorder.eumd()
        return energy_kwh(world) >= target

    def sooner() -> float:
        load = world.recorder.last_load
        if load is None or load.power_w <= 1.0:
            return math.inf
        left_h = max(target - energy_kwh(world), 0.0) / (load.power_w / 1000.0)
        return left_h * 3600.0 + 0.5

    if loop.run_until(deadline, reached, every=every, horizon=sooner):
        return f"{energy_kwh(world):.3f} kWh reached after {clock.now() - start:.0f} s"
    raise StepFailed(
        f"the EUMD counted {energy_kwh(world):.3f} kWh since plug-in, not {charge.until}, "
        f"within {charge.within}",
        expected=f"{charge.until} within {charge.within}",
        measured=f"{energy_kwh(world):.3f} kWh",
    )


# --------------------------------------------------------------------------- grid


#: The utility's signal kinds as the session record names grid events.
_EVENT_KIND: dict[str, Literal["dr", "price", "alm"]] = {
    "dlc": "dr",
    "price": "price",
    "alm": "alm",
}


def sync_signals(world: World) -> None:
    """The ESI polls its utility's signals; the EVSE takes the limits, the record the events."""
    now = world.clock.now()
    for signal in world.esi.poll_signals():
        if signal in world.signals:  # heard again at a later poll: the same signal
            continue
        world.signals.append(signal)
        start = signal.effective_from.timestamp()
        end = signal.effective_until.timestamp() if signal.effective_until else None
        kind = _EVENT_KIND[signal.kind]
        world.record.grid_events.append(
            GridEvent(
                kind=kind,
                effective_from=signal.effective_from,
                effective_until=signal.effective_until,
                limit_kw=signal.limit_kw,
                price=signal.price,
                received_at=to_datetime(now),
            )
        )
        if signal.kind != "price" and signal.limit_kw is not None:
            amps = world.evse.amps(float(signal.limit_kw))
            world.evse.add_limit(GridLimit(signal.kind, start, end, amps))


def _kw(world: World, limit: Current | Power) -> Decimal:
    kw = limit.amps * world.evse.volts / 1000.0 if isinstance(limit, Current) else limit.kw
    return Decimal(str(round(kw, 6)))


def _publish(world: World, signals: list[dict[str, object]]) -> None:
    operator = world.operator(world.place.utility.id)
    try:
        for signal in signals:
            operator.post("/signals", signal)
    finally:
        operator.close()
    sync_signals(world)


def _publish_limit(
    world: World, kind: str, after_s: float, duration_s: float | None, limit: Current | Power
) -> str:
    now = world.clock.now()
    start = to_datetime(now + after_s)
    signal: dict[str, object] = {
        "signal_id": f"{world.esi.session_id}-{kind}-{len(world.record.grid_events)}",
        "kind": kind,
        "premise_id": world.place.premise.id,
        "effective_from": start.isoformat(),
        "limit_kw": str(_kw(world, limit)),
    }
    if duration_s is not None:
        signal["effective_until"] = (start + timedelta(seconds=duration_s)).isoformat()
    _publish(world, [signal])
    return _act(world, f"{kind} published: {limit} from {start.isoformat()}")


def _publish_prices(world: World, price: s.PriceArgs) -> str:
    tariff = world.record.binding.tariff_id if world.record.binding else None
    if tariff is None:
        raise Unsupported("price: no binding, so no tariff to publish hourly prices for")
    hour = 3600.0
    first = to_datetime(math.floor((world.clock.now() + price.after.seconds) / hour) * hour)
    signals: list[dict[str, object]] = [
        {
            "signal_id": f"{world.esi.session_id}-price-{hour}",
            "kind": "price",
            "tariff_id": tariff,
            "effective_from": (first + timedelta(hours=hour)).isoformat(),
            "effective_until": (first + timedelta(hours=hour + 1)).isoformat(),
            "price": str(value),
        }
        for hour, value in enumerate(price.per_kwh)
    ]
    _publish(world, signals)
    return f"{len(signals)} hourly price(s) published for {tariff}"


# --------------------------------------------------------------------------- faults


def _reach(world: World, role: s.UtilityRole, reachable: bool) -> str:
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


def _reach_clearinghouse(world: World, reachable: bool) -> str:
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


def _meter_unavailable(world: World) -> str:
    if world.sim is None or "eumd" not in world.sim.meters:
        raise Unsupported(
            "meter_unavailable needs a simulated EUMD (inject it by hand on a lab bench)"
        )
    world.sim.meters["eumd"].faults.inject(WireFault.EXCEPTION, exception_code=_NO_DEVICE)
    world.loop.supervisor.meter_silenced = True  # commanded: not a change under the plan
    return "the EUMD answers every request with Modbus exception 0x0B"
