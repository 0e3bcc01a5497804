"""The session record: everything one plan's session left behind, as plain data.

The runner fills a :class:`SessionRecord` while a plan runs and after it ends; the
oracle (:mod:`rig.oracle`) reads it and nothing else. Three kinds of content:

**Facts** (:class:`SessionFacts`): what the plan and the utility data set say about
the PEV, the premise and the session's conditions — enrolment, home utility,
account, tariffs, the host's preference or portal arrangement, whether the PEV
communicates and whether the EUMD is available. The oracle derives *who should pay
at which tariff* from these, on its own.

**What the bench measured**, as timelines on the bench clock (float seconds):
pilot status samples (state, levels, duty, frequency), contactor position,
advertised ampacity, the load's setpoint and its own readings, and the meters'
register totals with what the oracle needs to subtract them honestly — accuracy
class, register type, resolution and roll-over modulus (:class:`MeterTimeline`).
Timelines are in time order; a transition is recorded at the instant it was seen,
so the timing checks (J-03, J-05) are only as fine as the runner's sampling.

**What the actors and services said**: the ESI's metering intervals, grid events
(DR, price, ALM) with their effective times, the utility's binding response and
grant, and, fetched after the session, the utility's session record and bill
lines, the clearinghouse posting and the settlement statement
(:class:`ServiceRecords`).

Everything here is a plain dataclass: no service code is imported, so a lab
pointing the rig at a real utility head-end only has to fill the same fields from
that head-end's answers. Energy and money are :class:`~decimal.Decimal`; wall-clock
moments of the utility's world (intervals, bill lines) are aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from drivers.kinds import PilotState
from rig.domain.vocabulary import (
    Communication,
    GuestCharging,
    PortalArrangement,
    PremiseKind,
    RoamingOption,
)


@dataclass(frozen=True)
class PevFacts:
    """The PEV as its home utility knows it; ``known=False`` when nobody knows its ID."""

    pev_id: str | None
    known: bool = True
    home_utility_id: str = ""
    owner_account_id: str = ""
    program_tariff_id: str | None = None
    """``None``: not enrolled in a PEV programme (BR-02, BR-05)."""
    validated: bool = True
    """The home utility's validation of the PEV passed (BR-01 when not)."""


@dataclass(frozen=True)
class PremiseFacts:
    """The premise and portal the PEV plugs into, and the utility whose territory it is in."""

    premise_id: str
    portal_id: str
    account_id: str
    default_tariff_id: str
    kind: PremiseKind
    utility_id: str
    guest_tariff_id: str
    settlement_tariff_id: str
    guest_charging: GuestCharging = GuestCharging.NOT_ALLOWED
    """Residential only: the host's preference for visiting PEVs (BR-11)."""
    portal_arrangement: PortalArrangement = PortalArrangement.HOST_PAYS
    """Public, multi-family and workplace sites only (SC-6)."""
    has_revenue_meter: bool = False


@dataclass(frozen=True)
class SessionFacts:
    pev: PevFacts
    premise: PremiseFacts
    communication: Communication = Communication.ESTABLISHED
    eumd_available: bool = True
    roaming_option: RoamingOption = RoamingOption.GUEST_RATE
    clearinghouse_at_binding: bool = True
    """The clearinghouse answered when the PEV bound (a foreign PEV is BR-01 when not)."""


# --------------------------------------------------------------------- bench timelines


@dataclass(frozen=True)
class PilotSample:
    """The pilot as measured at ``t``; ``duty_pct`` 100 means a steady level (no PWM)."""

    t: float
    state: PilotState
    high_v: float
    low_v: float
    duty_pct: float
    frequency_hz: float


@dataclass(frozen=True)
class ContactorSample:
    t: float
    closed: bool


@dataclass(frozen=True)
class CurrentSample:
    """A current at ``t``: an advertised ampacity or a load setpoint."""

    t: float
    amps: float


@dataclass(frozen=True)
class LoadSample:
    """The programmable load's own measurement at ``t``."""

    t: float
    voltage_v: float
    current_a: float
    power_w: float


@dataclass(frozen=True)
class MeterSample:
    """A register total at ``t`` and the smallest step the register shows at that total."""

    t: float
    import_wh: float
    resolution_wh: float


@dataclass
class MeterTimeline:
    """One meter's readings with what it takes to subtract them honestly.

    ``accuracy_pct`` is the accuracy class as a ± percentage of reading (C12.20 0.5:
    0.5). ``register`` is ``float32`` (resolution grows with the total; the samples
    carry it) or ``acc32`` (a counter of ``resolution_wh`` steps that wraps at
    ``rollover_wh``).
    """

    meter_id: str
    accuracy_pct: float
    register: Literal["float32", "acc32"]
    resolution_wh: float
    rollover_wh: float | None = None
    samples: list[MeterSample] = field(default_factory=list)
    instrument: str = ""
    """Which instrument this is, for messages: ``sdm630 @ modbus_tcp 10.0.0.5:502 unit 1``."""


# --------------------------------------------------------------------- actors and grid


@dataclass(frozen=True)
class MeteringInterval:
    """An interval record the ESI built from EUMD reads and reported (BR-09).

    An edge on the utility's grid is the boundary instant itself; when no read
    landed exactly there, the ESI interpolated the register between the reads on
    either side (``interpolated``), and ``edge_error_wh`` bounds how much energy
    that may have put in this interval instead of its neighbour (docs/oracle.md,
    "Interval edges"). The session's total is unaffected: what one interval gains
    at an edge, the next loses.
    """

    start: datetime
    end: datetime
    kwh: Decimal
    interpolated: bool = False
    edge_error_wh: float = 0.0


@dataclass(frozen=True)
class GridEvent:
    """A DR event, a price signal or an ALM limit, effective from ``effective_from``.

    ``received_at`` is when the ESI learnt of it (``None``: unknown, taken as in
    time): an EVSE cannot apply a limit it has not heard of, so a limit binds the
    session from the later of the two.
    """

    kind: Literal["dr", "price", "alm"]
    effective_from: datetime
    effective_until: datetime | None = None
    limit_kw: Decimal | None = None
    price: Decimal | None = None
    received_at: datetime | None = None

    @property
    def binding_from(self) -> datetime:
        """When the session had to follow it: ``effective_from``, or later if heard later."""
        if self.received_at is None or self.received_at <= self.effective_from:
            return self.effective_from
        return self.received_at


@dataclass(frozen=True)
class BindingAnswer:
    """What the utility told the ESI (and the ESI the PEV, BR-12) at binding."""

    bound: bool
    incentive: bool
    scenario: str
    payer_account_id: str
    tariff_id: str
    reason: str = ""
    """The utility's sentence for its decision (shown, not compared: it is free text)."""
    requirement_ids: tuple[str, ...] = ()
    """The requirements the utility cites for its decision (compared with the oracle's)."""


@dataclass(frozen=True)
class GrantAnswer:
    status: str
    energy_requested_kwh: Decimal
    energy_available_kwh: Decimal
    power_available_kw: Decimal


# --------------------------------------------------------------------- service records


@dataclass(frozen=True)
class BillLine:
    """A bill line the utility holds for the session, on any account.

    ``kind`` is ``charge`` (the payer), ``netting`` (negative, taking the PEV's energy
    off the host's bill, SC-3) or ``roaming`` (SC-4, at the roaming utility).
    """

    account_id: str
    kind: str
    start: datetime
    end: datetime
    kwh: Decimal
    tariff_id: str
    rate_period: str
    rate: Decimal
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class UtilitySession:
    """The utility's record of the session: who pays, at which tariff, flags."""

    session_id: str
    scenario: str
    payer_account_id: str
    tariff_id: str
    incentive: bool
    flags: tuple[str, ...] = ()
    pev_id: str | None = None
    interval_count: int | None = None
    """How many metering intervals the utility holds for the session (BR-09)."""


@dataclass(frozen=True)
class Posting:
    """The SC-4 charge as the clearinghouse recorded it and posted it to the home account."""

    charge_id: str
    roaming_utility_id: str
    home_utility_id: str
    account_id: str
    option: str
    tariff_id: str
    settlement_tariff_id: str
    kwh: Decimal
    customer_amount: Decimal
    settlement_amount: Decimal
    difference: Decimal
    currency: str


@dataclass(frozen=True)
class SettlementRow:
    option: str
    sessions: int
    kwh: Decimal
    customer_amount: Decimal
    settlement_amount: Decimal
    difference: Decimal


@dataclass(frozen=True)
class Settlement:
    """The clearinghouse's statement between a roaming and a home utility."""

    roaming_utility_id: str
    home_utility_id: str
    rows: tuple[SettlementRow, ...]
    charges: tuple[str, ...] = ()
    totals: SettlementRow | None = None
    """The statement's own totals (``option`` ``"total"``); ``None``: it gave none."""


@dataclass
class ServiceRecords:
    """What the rig fetched from the services after the session."""

    session: UtilitySession | None = None
    bill_lines: list[BillLine] = field(default_factory=list)
    posting: Posting | None = None
    settlement: Settlement | None = None


@dataclass
class SessionRecord:
    """One plan's session, filled by the runner, read by the oracle."""

    plan_id: str
    facts: SessionFacts
    pilot: list[PilotSample] = field(default_factory=list)
    contactor: list[ContactorSample] = field(default_factory=list)
    ampacity: list[CurrentSample] = field(default_factory=list)
    setpoints: list[CurrentSample] = field(default_factory=list)
    load: list[LoadSample] = field(default_factory=list)
    load_accuracy_pct: float = 0.5
    """The load's power measurement accuracy, ± % of reading, as the bench file declares it."""
    eumd: MeterTimeline | None = None
    premise_meter: MeterTimeline | None = None
    reference: MeterTimeline | None = None
    """The bench's reference standard, read right after every EUMD read (J-04's yardstick)."""
    intervals: list[MeteringInterval] = field(default_factory=list)
    grid_events: list[GridEvent] = field(default_factory=list)
    binding: BindingAnswer | None = None
    grant: GrantAnswer | None = None
    services: ServiceRecords = field(default_factory=ServiceRecords)

    @property
    def pev_id(self) -> str | None:
        return self.facts.pev.pev_id

    @property
    def premise_id(self) -> str:
        return self.facts.premise.premise_id

    @property
    def portal_id(self) -> str:
        return self.facts.premise.portal_id
