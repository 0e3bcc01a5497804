"""The utility data set: who exists, what they own, what they signed up for.

A data set (``fixtures/utilities/*.yaml``) describes one little world: a
clearinghouse and the utilities taking part in it. Each utility lists

* its **territory** and the **interval length** its EUMDs must report at (BR-09);
* **customers** and their **accounts**;
* **premises** — ``residential``, ``public``, ``multi_family`` or ``workplace`` —
  each with its account, default tariff, feeder, whether the host has a revenue
  meter (for SC-3 netting), the host's **preferences** (are guests allowed, who pays
  for a guest's charging) and its **energy portals** (``cordset_120``,
  ``evse_240``, ``dc``) with, on shared sites, the portal's **arrangement**
  (``host_pays`` / ``direct`` / ``guest``, SC-6), and the **ESIs** that speak for it;
* **PEVs** (ID, owner account, communicating or not) and **program enrolments**
  (TOU, DLC, RTP, ALM; the tariff the PEV is billed at; registered when);
* **tariffs** (OCPI 2.2.1 shaped, see :mod:`rig.domain.tariff`): premise
  defaults, the PEV program, hourly prices, the guest tariff;
* **capacity** per premise or feeder and time slot, and **DR events**;
* a **credential** (bearer token) for itself and for each ESI.

Each utility also names its **guest tariff** and its **settlement tariff** (the
price a home utility owes it per kWh for roaming energy, SC-4). The clearinghouse
has a credential.

:func:`load_dataset` validates the structure with pydantic and then every
cross-reference (an account that names a customer, a premise that names a tariff,
…), reporting each problem as ``file:line:col`` with a "did you mean" — nothing is
half-loaded. IDs are unique across the whole data set, so a PEV ID names one PEV.

This module is over 400 lines on purpose: it is one concept read top to bottom —
the data set's models, then the rules that must hold across them, then loading
(variants included). Each part needs the one before it, and the services and the
runner import all of them from here, so a split would either make an import cycle
or move names every caller knows.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from rig.domain.tariff import Tariff
from rig.domain.vocabulary import ID_PATTERN, GuestCharging, PortalArrangement, PremiseKind
from rig.yamlfile import (
    PathKey,
    SourceMap,
    YamlFileError,
    issues_at,
    parse_located,
    read_text,
    validate_located,
)

Id = Annotated[str, Field(min_length=1, max_length=80, pattern=ID_PATTERN)]
Token = Annotated[str, Field(min_length=16, max_length=200)]
PortalKind = Literal["cordset_120", "evse_240", "dc"]
ProgramKind = Literal["TOU", "DLC", "RTP", "ALM"]


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-01-01T00:00:00Z)")
    return moment


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class HostPreferences(Strict):
    """What a residential host allows when someone else's PEV plugs in (BR-11).

    ``guest_charging`` is ``not_allowed`` (the premise pays, no binding),
    ``host_pays`` (SC-2) or ``guest_pays`` (SC-3, or SC-4 for a foreign PEV).
    """

    guest_charging: GuestCharging = GuestCharging.NOT_ALLOWED


class Portal(Strict):
    """An energy portal: a 120 V cordset outlet, a 240 V EVSE or a DC charger."""

    id: Id
    kind: PortalKind
    max_kw: Annotated[float, Field(gt=0, le=1000)]
    eumd_id: Id | None = None
    arrangement: PortalArrangement = PortalArrangement.HOST_PAYS
    """Public, multi-family and workplace sites (SC-6): how this portal's charging is paid."""
    bundled_service: str | None = None
    """SC-2 bundling, e.g. "hotel night": the host pays as part of another service."""


class Esi(Strict):
    """An Energy Services Interface, the premise's voice towards the utility."""

    id: Id
    token: Token


class Premise(Strict):
    id: Id
    kind: PremiseKind
    account_id: Id
    default_tariff_id: Id
    feeder_id: Id | None = None
    revenue_meter: bool = False
    host: HostPreferences = HostPreferences()
    portals: list[Portal] = Field(min_length=1)
    esis: list[Esi] = Field(min_length=1)


class Customer(Strict):
    id: Id
    name: str


class Account(Strict):
    id: Id
    customer_id: Id


class Pev(Strict):
    id: Id
    account_id: Id
    communicating: bool = True
    validates: bool = True
    """``False``: its home utility's validation of it fails, e.g. a revoked credential (BR-01)."""


class Program(Strict):
    """A PEV program the utility offers: PG-TOU, PG-DLC, PG-RTP or PG-ALM."""

    id: Id
    kind: ProgramKind
    name: str = ""


class Enrolment(Strict):
    """A PEV registered in advance in one or more programs (BR-02)."""

    pev_id: Id
    program_ids: list[Id] = Field(min_length=1)
    tariff_id: Id
    registered_at: AwareDatetime
    off_peak_preference: bool = False


class CapacitySlot(Strict):
    """Power available to PEV charging at a premise or on a feeder, in a time slot."""

    premise_id: Id | None = None
    feeder_id: Id | None = None
    start: AwareDatetime
    end: AwareDatetime
    kw: Annotated[float, Field(ge=0, le=100_000)]


class DrEvent(Strict):
    """A direct-load-control event (PG-DLC): announced ahead, limits charging in a window."""

    id: Id
    announced_at: AwareDatetime
    start: AwareDatetime
    end: AwareDatetime
    limit_kw: Annotated[float, Field(ge=0, le=1000)] = 0.0
    premise_ids: list[Id] | None = None
    feeder_id: Id | None = None


class AlmLimit(Strict):
    """An active-load-management limit (PG-ALM) effective from a stated time."""

    id: Id
    premise_id: Id
    effective_from: AwareDatetime
    limit_kw: Annotated[float, Field(ge=0, le=1000)]


class Utility(Strict):
    id: Id
    name: str
    territory: list[str] = Field(default_factory=list)
    token: Token
    interval_s: Annotated[int, Field(ge=60, le=3600)] = 900
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    guest_tariff_id: Id
    settlement_tariff_id: Id
    """The price this utility is owed by a home utility for its PEVs' energy (SC-4)."""
    grant_seed: int = 0
    max_start_delay_s: Annotated[int, Field(ge=0, le=3600)] = 300
    protocol: Literal["rest", "ieee2030.5"] = "rest"
    """How ESIs talk to this utility unless the run says (``--utility-protocol``)."""
    customers: list[Customer] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    premises: list[Premise] = Field(default_factory=list)
    pevs: list[Pev] = Field(default_factory=list)
    programs: list[Program] = Field(default_factory=list)
    enrolments: list[Enrolment] = Field(default_factory=list)
    tariffs: list[Tariff] = Field(default_factory=list)
    capacity: list[CapacitySlot] = Field(default_factory=list)
    dr_events: list[DrEvent] = Field(default_factory=list)
    alm_limits: list[AlmLimit] = Field(default_factory=list)


class Clearinghouse(Strict):
    id: Id
    name: str = "Clearinghouse"
    token: Token


class Dataset(Strict):
    name: str
    description: str = ""
    clearinghouse: Clearinghouse
    utilities: list[Utility] = Field(min_length=1)


class LoadedDataset:
    """A validated data set with indexes by ID, and its source digest."""

    def __init__(self, data: Dataset, source: str, sha256: str) -> None:
        self.data = data
        self.source = source
        self.sha256 = sha256
        self.utilities = {u.id: u for u in data.utilities}
        self.utility_of: dict[str, str] = {}
        self.premises: dict[str, Premise] = {}
        self.accounts: dict[str, Account] = {}
        self.customers: dict[str, Customer] = {}
        self.pevs: dict[str, Pev] = {}
        self.enrolments: dict[str, Enrolment] = {}
        self.tariffs: dict[str, Tariff] = {}
        self.programs: dict[str, Program] = {}
        self.esis: dict[str, tuple[Esi, Premise]] = {}
        self.portals: dict[str, tuple[Portal, Premise]] = {}
        for u in data.utilities:
            for c in u.customers:
                self.customers[c.id] = c
            for a in u.accounts:
                self.accounts[a.id] = a
                self.utility_of[a.id] = u.id
            for p in u.premises:
                self.premises[p.id] = p
                self.utility_of[p.id] = u.id
                for e in p.esis:
                    self.esis[e.id] = (e, p)
                for portal in p.portals:
                    self.portals[portal.id] = (portal, p)
            for v in u.pevs:
                self.pevs[v.id] = v
                self.utility_of[v.id] = u.id
            for en in u.enrolments:
                self.enrolments[en.pev_id] = en
            for t in u.tariffs:
                self.tariffs[t.id] = t
                self.utility_of[t.id] = u.id
            for g in u.programs:
                self.programs[g.id] = g


def _every_id(ds: Dataset) -> Iterator[tuple[PathKey, str]]:
    """Every declared ID with its path, for the uniqueness check."""
    yield ("clearinghouse", "id"), ds.clearinghouse.id
    for ui, u in enumerate(ds.utilities):
        base: PathKey = ("utilities", ui)
        yield (*base, "id"), u.id
        for name in ("customers", "accounts", "pevs", "programs", "tariffs", "dr_events"):
            for i, item in enumerate(getattr(u, name)):
                yield (*base, name, i, "id"), item.id
        for alm_i, alm in enumerate(u.alm_limits):
            yield (*base, "alm_limits", alm_i, "id"), alm.id
        for pi, p in enumerate(u.premises):
            yield (*base, "premises", pi, "id"), p.id
            for ei, e in enumerate(p.esis):
                yield (*base, "premises", pi, "esis", ei, "id"), e.id
            for qi, q in enumerate(p.portals):
                yield (*base, "premises", pi, "portals", qi, "id"), q.id


def _check_references(ds: Dataset) -> list[tuple[PathKey, str]]:
    """Every dangling or duplicate reference, as (path, message)."""
    problems: list[tuple[PathKey, str]] = []
    seen: dict[str, PathKey] = {}
    for path, ident in _every_id(ds):
        if ident in seen:
            first = ".".join(str(p) for p in seen[ident])
            problems.append((path, f"ID '{ident}' is already used at {first}"))
        else:
            seen[ident] = path
    tokens: set[str] = set()
    token_paths: list[tuple[PathKey, str]] = [(("clearinghouse", "token"), ds.clearinghouse.token)]
    for ui, u in enumerate(ds.utilities):
        token_paths.append((("utilities", ui, "token"), u.token))
        for pi, p in enumerate(u.premises):
            for ei, e in enumerate(p.esis):
                token_paths.append(
                    (("utilities", ui, "premises", pi, "esis", ei, "token"), e.token)
                )
    for path, token in token_paths:
        if token in tokens:
            problems.append((path, "this token is already another caller's; give each its own"))
        tokens.add(token)

    for ui, u in enumerate(ds.utilities):
        base: PathKey = ("utilities", ui)
        customers = {c.id for c in u.customers}
        accounts = {a.id for a in u.accounts}
        tariffs = {t.id for t in u.tariffs}
        programs = {g.id for g in u.programs}
        pevs = {v.id for v in u.pevs}
        premises = {p.id for p in u.premises}
        feeders = {p.feeder_id for p in u.premises if p.feeder_id}

        def ref(path: PathKey, value: str, known: set[str], what: str, owner: str = u.id) -> None:
            if value not in known:
                message = f"unknown {what} '{value}' in {owner}"
                close = difflib.get_close_matches(value, sorted(known), n=1)
                if close:
                    message += f" (did you mean '{close[0]}'?)"
                problems.append((path, message))

        ref((*base, "guest_tariff_id"), u.guest_tariff_id, tariffs, "tariff")
        ref((*base, "settlement_tariff_id"), u.settlement_tariff_id, tariffs, "tariff")
        for i, a in enumerate(u.accounts):
            ref((*base, "accounts", i, "customer_id"), a.customer_id, customers, "customer")
        for i, p in enumerate(u.premises):
            ref((*base, "premises", i, "account_id"), p.account_id, accounts, "account")
            ref((*base, "premises", i, "default_tariff_id"), p.default_tariff_id, tariffs, "tariff")
        for i, v in enumerate(u.pevs):
            ref((*base, "pevs", i, "account_id"), v.account_id, accounts, "account")
        enrolled: set[str] = set()
        for i, en in enumerate(u.enrolments):
            ref((*base, "enrolments", i, "pev_id"), en.pev_id, pevs, "PEV")
            ref((*base, "enrolments", i, "tariff_id"), en.tariff_id, tariffs, "tariff")
            for j, g in enumerate(en.program_ids):
                ref((*base, "enrolments", i, "program_ids", j), g, programs, "program")
            if en.pev_id in enrolled:
                problems.append(((*base, "enrolments", i, "pev_id"), "PEV enrolled twice"))
            enrolled.add(en.pev_id)
        for i, slot in enumerate(u.capacity):
            if (slot.premise_id is None) == (slot.feeder_id is None):
                problems.append(
                    ((*base, "capacity", i), "give exactly one of premise_id, feeder_id")
                )
            if slot.premise_id:
                ref((*base, "capacity", i, "premise_id"), slot.premise_id, premises, "premise")
            if slot.feeder_id:
                ref((*base, "capacity", i, "feeder_id"), slot.feeder_id, feeders, "feeder")
            if slot.end <= slot.start:
                problems.append(((*base, "capacity", i, "end"), "end must be after start"))
        for i, ev in enumerate(u.dr_events):
            if ev.end <= ev.start:
                problems.append(((*base, "dr_events", i, "end"), "end must be after start"))
            if ev.announced_at > ev.start:
                problems.append(((*base, "dr_events", i, "announced_at"), "announced after start"))
            for j, pid in enumerate(ev.premise_ids or []):
                ref((*base, "dr_events", i, "premise_ids", j), pid, premises, "premise")
        for i, alm in enumerate(u.alm_limits):
            ref((*base, "alm_limits", i, "premise_id"), alm.premise_id, premises, "premise")
    return problems


class UtilitySettings(Strict):
    """The settings of one utility a :class:`Variant` changes; unset ones stay the base's."""

    interval_s: Annotated[int, Field(ge=60, le=3600)] | None = None
    max_start_delay_s: Annotated[int, Field(ge=0, le=3600)] | None = None


class Variant(Strict):
    """A data set that is another one (``variant_of``, same directory) with a few settings changed.

    Lab benches want the same customers, premises and tariffs with shorter metering
    intervals and start delays (``fixtures/utilities/two_utilities_lab.yaml``); a
    variant says only what differs, so the two cannot drift apart.
    """

    variant_of: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: str
    description: str = ""
    utilities: dict[Id, UtilitySettings] = Field(description="by utility ID")


def load_dataset(path: str | Path) -> LoadedDataset:
    """Read and validate a data set file; raise :class:`YamlFileError` listing every problem.

    A file with ``variant_of`` is a :class:`Variant`: the base data set is loaded and
    the variant's settings applied to it; the digest covers both files.
    """
    file = str(path)
    text = read_text(path)
    data, sources = parse_located(text, file)
    if isinstance(data, dict) and "variant_of" in data:
        variant = validate_located(data, sources, Variant, file)
        return _load_variant(Path(path), text, variant, sources)
    ds = validate_located(data, sources, Dataset, file)
    problems = _check_references(ds)
    if problems:
        raise YamlFileError(issues_at(file, sources, problems))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return LoadedDataset(ds, file, digest)


def document(ds: LoadedDataset) -> dict[str, Any]:
    """The data set as plain JSON (what is stored in the ``dataset`` table)."""
    result: dict[str, Any] = json.loads(ds.data.model_dump_json())
    return result


def _load_variant(path: Path, text: str, variant: Variant, sources: SourceMap) -> LoadedDataset:
    base = load_dataset(path.parent / f"{variant.variant_of}.yaml")
    unknown = sorted(set(variant.utilities) - set(base.utilities))
    if unknown:
        message = f"unknown utility '{unknown[0]}' in {variant.variant_of}"
        (issue,) = issues_at(path, sources, [(("utilities", unknown[0]), message)])
        raise YamlFileError([replace(issue, where="utilities")])
    utilities = [
        u.model_copy(update=variant.utilities[u.id].model_dump(exclude_none=True))
        if u.id in variant.utilities
        else u
        for u in base.data.utilities
    ]
    data = base.data.model_copy(
        update={"name": variant.name, "description": variant.description, "utilities": utilities}
    )
    digest = hashlib.sha256((base.sha256 + text).encode()).hexdigest()
    return LoadedDataset(data, str(path), digest)
