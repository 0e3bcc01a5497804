"""The test plan: one YAML file that drives one scenario end to end and says what to expect.

A plan names *who and where* — the utility data set, the PEV and its preferences,
the premise and the energy portal it plugs into — then *what happens*
(:mod:`rig.plans.steps`) and *what must be true afterwards*
(:mod:`rig.plans.checks`)::

    # yaml-language-server: $schema=plan.schema.json
    plan: sc1-home
    title: Enrolled PEV charges at its owner's premise
    scenario: sc1
    covers: [SC-1, BR-02, J-04]
    utility_data: two_utilities          # fixtures/utilities/two_utilities.yaml
    pev:
      id: PEV-H1
      preferences: {energy: 10 kWh, max_power: 7.2 kW, departure_in: 8 h}
    premise: PREM-H1
    portal: PORTAL-H1-EVSE
    steps: [plug_in, …]
    checks: [{payer: ACCT-H1}, …]

The model is strict (unknown keys are errors) and frozen. The IDs (PEV, premise,
portal, accounts, tariffs) are those of the utility data set; the plan does not
repeat what the data set knows (enrolments, tariffs, host preferences). ``start``
pins the clock at plug-in time: the virtual clock starts there in simulation, and
on a real bench the services' clock offset makes "now" read so, which is how a
short plan crosses a tariff boundary. ``bench`` adjusts the simulated bench for
this plan (a real bench can honour only ``evse_max``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, PrivateAttr

from rig.domain.requirements import RequirementId
from rig.domain.vocabulary import ID_PATTERN, RoamingOption
from rig.plans.checks import Check
from rig.plans.onekey import Strict
from rig.plans.steps import Step
from rig.plans.units import Current, Duration, Energy, Power
from rig.yamlfile import SourceMap

#: The pytest marker of each scenario (``pytest -m sc4``).
ScenarioMarker = Literal["sc1", "sc2", "sc3", "sc4", "sc5", "sc6"]


class Preferences(Strict):
    """What the PEV asks for and how it likes to be charged (BR-07, BR-08, SC-4)."""

    energy: Energy = Field(description="energy request")
    max_power: Power | None = Field(default=None, description="highest rate it will take")
    departure_in: Duration | None = Field(
        default=None, description="how long after plug-in it leaves"
    )
    off_peak: bool = Field(default=False, description="prefer charging off-peak (economy)")
    roaming_option: RoamingOption | None = Field(
        default=None, description="outside the home territory: pay the guest or the home rate"
    )


class Pev(Strict):
    """The vehicle: identity, whether it talks to the ESI, and its on-board charger."""

    id: str = Field(pattern=ID_PATTERN, description="PEV ID as the utility data set knows it")
    communicating: bool = Field(default=True, description="false: it never talks to the ESI")
    max_current: Current = Field(
        default=Current(32), description="what the on-board charger draws at most"
    )
    preferences: Preferences | None = None


class BenchOverrides(Strict):
    """Per-plan adjustments of the bench."""

    evse_max: Current | None = Field(default=None, description="cap on the advertised ampacity")
    supply: Literal["cordset_120", "evse_240"] | None = Field(
        default=None, description="simulation: the portal's supply"
    )
    seed: int | None = Field(default=None, description="simulation: the noise seed")
    premise_base_load: Power | None = Field(
        default=None, description="simulation: the premise's own load beside the PEV"
    )


class Plan(Strict):
    """One test plan."""

    plan: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$", description="the plan's ID: the test item's name"
    )
    title: str = Field(min_length=1, description="one line for people and reports")
    scenario: ScenarioMarker = Field(description="the use-case scenario it runs in")
    covers: list[RequirementId] = Field(
        min_length=1, description="requirement IDs this plan evidences"
    )
    utility_data: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$", description="data set under fixtures/utilities/"
    )
    start: AwareDatetime | None = Field(
        default=None, description="clock time at plug-in, with its UTC offset"
    )
    pev: Pev
    premise: str = Field(pattern=ID_PATTERN, description="premise ID the portal belongs to")
    portal: str = Field(pattern=ID_PATTERN, description="energy portal ID the PEV plugs into")
    bench: BenchOverrides = BenchOverrides()
    steps: list[Step] = Field(min_length=1)
    checks: list[Check] = Field(min_length=1)
    _source: SourceMap | None = PrivateAttr(default=None)

    @property
    def source(self) -> SourceMap | None:
        """Where each key of the plan is written, set by :func:`rig.plans.load_plan`;
        ``None`` for a plan built in code."""
        return self._source
