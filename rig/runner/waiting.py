"""The steps that wait for a state: ``wait_for`` a condition, ``charge`` for a time or an energy.

Both run the loop (:meth:`~rig.runner.loop.Loop.run_until`) on the bench clock until
their state holds or their time is up; what a condition names is read through
:func:`observe`, reading only what it needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from drivers.j1772 import ampacity_from_duty
from drivers.meter.energy import snapshot_delta
from rig.plans import steps as s
from rig.plans.conditions import Reading
from rig.runner.acting import ProgressSink, StepFailed
from rig.runner.world import World


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


def wait_for(world: World, wait: s.WaitForArgs) -> str:
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


def charge(world: World, charge: s.ChargeArgs, report: ProgressSink) -> str:
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
