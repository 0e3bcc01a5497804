"""Lab time: the same plan, and the same evidence, in a fraction of the bench time.

On the virtual clock a plan's hour takes milliseconds; on a lab bench it takes an
hour, and the suite as written charges for about 12 h. Most of that time carries no
extra evidence: a session crosses three metering boundaries in 45 min because the
utility's interval is 15 min, not because 45 min proves more than 3. A *lab-time
profile* (``fixtures/profiles/lab-2h.yaml``, ``pytest --profile lab-2h``) runs the
plan's time axis ``speedup`` times faster, together with a data set whose own
durations are that much shorter, so that every relation the plan's checks rely on —
how many intervals a charge spans, an event inside a charge, a boundary inside a
session — stays as written::

    plan as written (two_utilities, 15-min intervals)    under lab-2h (speedup 15)
    utility_data: two_utilities                          utility_data: two_utilities_lab
    charge: 45 min                                       charge: 3 min
    charge: {until: 4 kWh, within: 1 h}                  charge: {until: 0.267 kWh, within: 5 min}
    dr_event: {after: 10 min, duration: 30 min}          dr_event: {after: 40 s, duration: 2 min}
    wait_for: … within 2 s                               wait_for: … within 2 s
    wait_for: contactor == closed within 6 min           wait_for: contactor == closed within 5 min
    intervals: 15 min                                    intervals: 1 min
    energy: {at_least: 3 kWh}                            energy: {at_least: 0.2 kWh}

The rules, one per kind of quantity (:func:`apply`):

* **Plan time** — charge durations, when a grid signal takes effect and how long it
  lasts, a grant's ``starts_after`` — is divided by ``speedup``.
* **Energy** follows time at the same power: ``until`` targets and ``energy`` bounds
  are divided by ``speedup``. Amounts, rates, payers and the J-04 agreement need no
  change: the oracle computes them from the metered intervals (design principle 4).
  A hand-computed ``amount`` total is the plan's as written (rounded per line, it
  does not scale): under a profile the oracle's line amounts are compared without it.
* **Timeouts** (``within``) are upper bounds, not plan time. The instruments' and
  services' response times do not get faster (a contactor closes in 3 s, the ESI's
  outbox retries with a backoff of up to 300 s), so a timeout becomes
  ``max(within / speedup, min(within, keep_timeouts))``: short ones are kept as
  written, long ones shrink but never below ``keep_timeouts``.
* **The data set** is replaced by its lab variant (``data_sets``), whose metering
  interval and start delay are ``speedup`` times shorter
  (``fixtures/utilities/two_utilities_lab.yaml``); an ``intervals`` check's length is
  divided alike. A plan on a data set the profile does not name is left as written
  (``sc1-one-minute`` is already lab-short).
* **The clock** is compressed about an *anchor*: a moment ``t`` of the plan becomes
  ``anchor + (t - anchor) / speedup``. The anchor is the plan's ``start`` unless
  the profile names one — the boundary under test — so a plan that starts 30 min
  before 16:00 and charges 1 h starts 2 min before 16:00 and charges 4 min: the
  tariff split still falls inside the session. Tariff boundaries do not move with
  the clock, so a plan whose evidence spans two of them (hourly prices across 21:00
  and 22:00) keeps the one under test and has its expectation restated in the
  profile (``checks``, replacing the plan's check of the same key).

:func:`apply` is pure: a :class:`~rig.plans.model.Plan` in, a shorter one out, for
the pytest plugin to run in place of the plan as written.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import AwareDatetime, Field

from rig import bundled
from rig.plans import checks as c
from rig.plans import steps as s
from rig.plans.checks import Check
from rig.plans.model import Plan
from rig.plans.onekey import Strict
from rig.plans.units import Duration, Energy
from rig.yamlfile import load_model

#: Where ``--profile NAME`` looks for ``NAME.yaml``.
PROFILES = bundled.PROFILES


class PlanAdjustment(Strict):
    """What one plan needs beyond the general rules."""

    anchor: AwareDatetime | None = Field(
        default=None,
        description="the moment that keeps its place on the clock (the boundary under test); "
        "unset: the plan's start",
    )
    checks: list[Check] = Field(
        default_factory=list,
        description="checks restated for the shorter session; each replaces the plan's check "
        "of the same key",
    )


class LabProfile(Strict):
    """A lab-time profile: how much faster, with which data sets, and per-plan anchors."""

    name: str = Field(min_length=1)
    description: str = ""
    speedup: int = Field(ge=2, le=60, description="how many times faster plan time runs")
    data_sets: dict[str, str] = Field(
        min_length=1, description="data set → its lab variant, durations speedup times shorter"
    )
    keep_timeouts: Duration = Field(
        default=Duration(300),
        description="timeouts up to this are response times and kept; longer ones shrink "
        "to no less than this",
    )
    plans: dict[str, PlanAdjustment] = Field(default_factory=dict, description="by plan ID")


def load_profile(name_or_path: str | Path) -> LabProfile:
    """``lab-2h`` (in :data:`PROFILES`) or a path to a profile file; errors at ``file:line:col``."""
    path = Path(name_or_path)
    if path.suffix != ".yaml":
        path = PROFILES / f"{name_or_path}.yaml"
    return load_model(path, LabProfile)


def applies(profile: LabProfile, plan: Plan) -> bool:
    """Whether ``profile`` changes ``plan``: its data set has a lab variant."""
    return plan.utility_data in profile.data_sets


def apply(profile: LabProfile, plan: Plan) -> Plan:
    """``plan`` on lab time (see the module docstring); unchanged if the profile does not apply."""
    if not applies(profile, plan):
        return plan
    lab = _Scale(profile)
    adjustment = profile.plans.get(plan.plan, PlanAdjustment())
    start = plan.start
    if start is not None:
        start = lab.moment(start, adjustment.anchor or start)
    replaced = {check.key(): check for check in adjustment.checks}
    return plan.model_copy(
        update={
            "utility_data": profile.data_sets[plan.utility_data],
            "start": start,
            "steps": [lab.step(step) for step in plan.steps],
            "checks": [replaced.get(check.key(), lab.check(check)) for check in plan.checks],
        }
    )


class _Scale:
    """The rules of the module docstring, one method per kind of thing they touch."""

    def __init__(self, profile: LabProfile) -> None:
        self.speedup = profile.speedup
        self.keep_s = profile.keep_timeouts.seconds

    def time(self, duration: Duration) -> Duration:
        return Duration(duration.seconds / self.speedup)

    def energy(self, energy: Energy) -> Energy:
        return Energy(round(energy.kwh / self.speedup, 4))

    def timeout(self, within: Duration) -> Duration:
        seconds = within.seconds
        return Duration(max(seconds / self.speedup, min(seconds, self.keep_s)))

    def moment(self, moment: datetime, anchor: datetime) -> datetime:
        return anchor + (moment - anchor) / self.speedup

    def step(self, step: s.Step) -> s.Step:
        match step:
            case s.Charge(charge=args):
                return s.Charge(
                    charge=args.model_copy(
                        update={
                            "duration": args.duration and self.time(args.duration),
                            "until": args.until and self.energy(args.until),
                            "within": args.within and self.timeout(args.within),
                        }
                    )
                )
            case s.WaitFor(wait_for=args):
                return s.WaitFor(
                    wait_for=args.model_copy(update={"within": self.timeout(args.within)})
                )
            case s.DrEvent(dr_event=args):
                update = {"after": self.time(args.after), "duration": self.time(args.duration)}
                return s.DrEvent(dr_event=args.model_copy(update=update))
            case s.Price(price=args):
                return s.Price(price=args.model_copy(update={"after": self.time(args.after)}))
            case s.AlmChange(alm_change=args):
                return s.AlmChange(
                    alm_change=args.model_copy(update={"after": self.time(args.after)})
                )
        return step

    def check(self, check: Check) -> Check:
        match check:
            case c.Intervals(intervals=args) if args.length is not None:
                return c.Intervals(intervals=c.IntervalsArgs(length=self.time(args.length)))
            case c.EnergyBounds(energy=args):
                at_least, at_most = args.at_least, args.at_most
                return c.EnergyBounds(
                    energy=c.EnergyBoundsArgs(
                        at_least=at_least and self.energy(at_least),
                        at_most=at_most and self.energy(at_most),
                    )
                )
            case c.Amount(amount=args) if args.total is not None:
                return c.Amount()  # a hand-computed total is the plan's as written
            case c.Grant(grant=args) if args.starts_after is not None:
                update = {"starts_after": self.time(args.starts_after)}
                return c.Grant(grant=args.model_copy(update=update))
        return check
