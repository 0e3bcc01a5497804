"""2030.5 Metering Mirror: an ESI mirrors its EUMD's intervals; they are the session's records.

One **MirrorUsagePoint** per charging session. Its readings go through the very
method the JSON ``POST /sessions/{id}/intervals`` calls
(:meth:`~rig.services.utility_sessions.SessionDesk.report`), so the rules are the
same ones (BR-09, BR-12): an interval is stored once; an exact repeat is a
duplicate and changes nothing; a changed repeat (a replay with other figures) or
an overlap is 409; an interval before the binding, longer than the metering
interval, in the future or beyond the portal's power is 400; a post is all or
nothing. What each 2030.5 field carries:

====================================  =============================================
2030.5                                the session record
====================================  =============================================
``MirrorUsagePoint.mRID``             the ESI's own ID of the mirror (32 hex digits)
``MirrorUsagePoint.description``      the session ID
``MirrorUsagePoint.deviceLFDI``       the ESI's registered EndDevice → its premise
                                      (the premise ID of BR-09)
``MirrorMeterReading.description``    the binding ID (→ PEV, portal, tariff)
``MirrorReadingSet.description``      the PEV ID (optional; must be the binding's)
``ReadingType``                       ``uom`` 72 (Wh), ``powerOfTenMultiplier`` p,
                                      ``accumulationBehaviour`` 4 (delta),
                                      ``flowDirection`` 1 (forward), ``kind`` 12
                                      (energy), ``intervalLength`` the utility's
``MirrorReadingSet/Reading``          one interval: ``timePeriod`` start and
                                      duration (s), ``value`` × 10^p Wh
``MirrorMeterReading/Reading``        the close (BR-12): ``timePeriod`` the session
                                      (start, duration), ``value`` its energy
====================================  =============================================

``POST /mup`` answers 201 with ``Location: /mup/{id}`` (204 for a mirror that exists
with the same mRID, session and device; 409 if it exists with others);
``POST /mup/{id}`` takes a ``MirrorMeterReading`` or a ``MirrorMeterReadingList``
(one binding per post) and answers 201. ``GET /mup/{id}`` shows the mirror with the
session's recorded intervals as one MirrorMeterReading (in mWh: ``powerOfTenMultiplier``
−3 carries the records' six kWh decimals exactly), so a client reads back what the
JSON ``GET /sessions/{id}`` totals.
"""

import re
from decimal import Decimal
from typing import Any

from envoy_schema.server.schema.sep2.metering import Reading, ReadingType
from envoy_schema.server.schema.sep2.metering_mirror import (
    MirrorMeterReading,
    MirrorMeterReadingListRequest,
    MirrorMeterReadingRequest,
    MirrorReadingSet,
    MirrorUsagePoint,
    MirrorUsagePointListResponse,
    MirrorUsagePointRequest,
)
from envoy_schema.server.schema.sep2.types import (
    AccumulationBehaviourType,
    DateTimeIntervalType,
    FlowDirectionType,
    KindType,
    ServiceKind,
    UomType,
)
from fastapi import FastAPI, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from rig.domain.vocabulary import ID_PATTERN
from rig.services import api_models as m
from rig.services.auth import Caller
from rig.services.errors import conflict, invalid, not_found
from rig.services.sep2_common import (
    POLL_RATE_S,
    PageDep,
    binding_of,
    created,
    instant,
    own_device,
    parse_body,
    scaled,
    sep_xml,
)
from rig.services.utility_service import UtilityService

WH = UomType.REAL_ENERGY_WATT_HOURS
READ_BACK_POWER_OF_TEN = -3
ROLE_FLAGS = f"{0b1000101:04x}"
"""RoleFlagsType: isMirror (bit 0), isPEV (bit 2), isSubmeter (bit 6)."""


def kwh(value: int, power_of_ten: int) -> Decimal:
    """``value`` × 10^p Wh in kWh."""
    return scaled(value, power_of_ten, -3)


def reading_type(interval_s: int | None) -> ReadingType:
    """The ReadingType of the session's interval energy, read back in mWh."""
    return ReadingType(
        accumulationBehaviour=AccumulationBehaviourType.DELTA_DATA,
        flowDirection=FlowDirectionType.FORWARD,
        intervalLength=interval_s,
        kind=KindType.ENERGY,
        powerOfTenMultiplier=READ_BACK_POWER_OF_TEN,
        uom=WH,
    )


def report_of(
    readings: list[MirrorMeterReading], premise_id: str, interval_s: int
) -> m.SessionReportIn:
    """The JSON API's interval report that a post of mirror meter readings is; 400 if
    it does not say what the session record needs."""
    bindings = {binding_of(r.description) for r in readings}
    if len(bindings) != 1:
        raise invalid("every MirrorMeterReading of a post names the same binding (description)")
    pevs: set[str] = set()
    intervals: list[dict[str, Any]] = []
    close: dict[str, Any] | None = None
    for r in readings:
        rt = r.readingType
        if rt is None or rt.uom != WH:
            raise invalid("a MirrorMeterReading's ReadingType is energy in Wh (uom 72)")
        if rt.flowDirection not in (None, FlowDirectionType.FORWARD):
            raise invalid("only forward (delivered) energy is mirrored")
        p = rt.powerOfTenMultiplier or 0
        for rs in r.mirrorReadingSets or []:
            if rs.description:
                pevs.add(rs.description)
            for one in rs.readings or []:
                if one.timePeriod is None or one.value is None:
                    raise invalid("an interval Reading has a timePeriod and a value")
                start = one.timePeriod.start
                end = start + one.timePeriod.duration
                intervals.append(
                    {"start": instant(start), "end": instant(end), "kwh": kwh(one.value, p)}
                )
        if r.reading is not None:  # the session's close
            tp, value = r.reading.timePeriod, r.reading.value
            if tp is None or value is None:
                raise invalid("the closing Reading has a timePeriod and a value")
            close = {
                "started_at": instant(tp.start),
                "ended_at": instant(tp.start + tp.duration),
                "duration_s": tp.duration,
                "energy_kwh": kwh(value, p),
            }
    if len(pevs) > 1:
        raise invalid(f"one session carries one PEV ID, not {sorted(pevs)}")
    try:
        return m.SessionReportIn.model_validate(
            {
                "binding_id": bindings.pop(),
                "pev_id": next(iter(pevs), None),
                "premise_id": premise_id,
                "intervals": intervals,
                "close": close,
            }
        )
    except ValidationError as exc:
        raise invalid(f"the readings are not a valid interval report: {exc}") from None


def add_routes(app: FastAPI, service: UtilityService, caller_dep: Any) -> None:
    """``/mup`` on the 2030.5 application of ``service``."""
    table = service.t.mirror_usage_points
    MupId = Path(ge=1, le=2**62)

    def mirrors(caller: Caller) -> list[Any]:
        query = select(table).order_by(table.c.mup_id)
        if caller.kind == "esi":
            query = query.where(table.c.esi_id == caller.id)
        with service.db.read() as conn:
            return list(conn.execute(query))

    def mirror(caller: Caller, mup_id: int) -> Any:
        found = next((r for r in mirrors(caller) if r.mup_id == mup_id), None)
        if found is None:  # another's mirror is not even confirmed to exist
            raise not_found("mirror usage point", str(mup_id))
        return found

    def usage_point(row: Any, readings: list[MirrorMeterReading] | None) -> MirrorUsagePoint:
        return MirrorUsagePoint(
            href=f"/mup/{row.mup_id}",
            mRID=row.mrid,
            description=row.session_id[:32],
            roleFlags=ROLE_FLAGS,
            serviceCategoryKind=ServiceKind.ELECTRICITY,
            status=1,
            deviceLFDI=row.lfdi,
            mirrorMeterReadings=readings,
            postRate=service.u.interval_s,
        )

    def recorded(caller: Caller, row: Any) -> list[MirrorMeterReading]:
        """The session's recorded intervals as one MirrorMeterReading (none yet: empty)."""
        sessions, intervals = service.t.sessions, service.t.intervals
        with service.db.read() as conn:
            s = conn.execute(
                select(sessions).where(sessions.c.session_id == row.session_id)
            ).first()
            if s is None or (s.esi_id != caller.id and caller.kind == "esi"):
                return []
            rows = list(
                conn.execute(
                    select(intervals)
                    .where(intervals.c.session_id == row.session_id)
                    .order_by(intervals.c.start_ms)
                )
            )
        scale = Decimal(10) ** (3 - READ_BACK_POWER_OF_TEN)

        def period(start: float, end: float) -> DateTimeIntervalType:
            return DateTimeIntervalType(start=int(start), duration=int(end) - int(start))

        sets = (
            [
                MirrorReadingSet(
                    mRID=f"{row.mrid[:24]}{0:08X}",
                    description=(s.pev_id or "")[:32] or None,
                    timePeriod=period(rows[0].start_ms / 1000, rows[-1].end_ms / 1000),
                    readings=[
                        Reading(
                            timePeriod=period(r.start_ms / 1000, r.end_ms / 1000),
                            value=int(Decimal(r.kwh) * scale),
                        )
                        for r in rows
                    ],
                )
            ]
            if rows
            else None
        )
        close = None
        if s.status == "closed" and s.reported_energy_kwh is not None:
            close = Reading(
                timePeriod=period(s.started_at, s.ended_at),
                value=int(Decimal(s.reported_energy_kwh) * scale),
            )
        return [
            MirrorMeterReading(
                mRID=f"{row.mrid[:24]}{1:08X}",
                description=s.binding_id,
                lastUpdateTime=int(service.clock.now()),
                mirrorReadingSets=sets,
                reading=close,
                readingType=reading_type(service.u.interval_s),
            )
        ]

    async def record(
        caller: Caller, request: Request, row: Any, readings: list[MirrorMeterReading]
    ) -> None:
        device = own_device(service, caller, request, row.lfdi)
        body = report_of(readings, device.premise_id, service.u.interval_s)
        if service.is_roaming(body.binding_id):  # posts on to the clearinghouse
            await run_in_threadpool(service.report, caller, row.session_id, body)
        else:
            service.report(caller, row.session_id, body)

    @app.get("/mup")
    async def mup_list(caller: caller_dep, window: PageDep) -> Response:
        found = [usage_point(r, None) for r in mirrors(caller)]
        shown = window.of(found)
        return sep_xml(
            MirrorUsagePointListResponse(
                href="/mup",
                all_=len(found),
                results=len(shown),
                pollRate=POLL_RATE_S,
                mirrorUsagePoints=shown,
            )
        )

    @app.post("/mup")
    async def mup_create(caller: caller_dep, request: Request) -> Response:
        req = await parse_body(request, MirrorUsagePointRequest)
        device = own_device(service, caller, request, req.deviceLFDI)
        session_id = req.description or ""
        if not _valid_id(session_id):
            raise invalid("the MirrorUsagePoint's description is the session ID")
        mrid_ = req.mRID.upper()
        with service.db.read() as conn:
            row = conn.execute(select(table).where(table.c.mrid == mrid_)).first()
        if row is not None:
            same = (row.esi_id, row.lfdi, row.session_id) == (caller.id, device.lfdi, session_id)
            if not same:
                raise conflict(f"mirror {mrid_} exists for another session or device")
            status = 204
        else:
            status = 201
        if req.mirrorMeterReadings:  # readings first: a refused post stores no mirror
            pending = row or _Pending(mrid_, device.lfdi, session_id)
            await record(caller, request, pending, req.mirrorMeterReadings)
        if row is None:
            with service.db.write() as conn:
                conn.execute(
                    table.insert().values(
                        mrid=mrid_,
                        esi_id=caller.id,
                        lfdi=device.lfdi,
                        session_id=session_id,
                        created_at=service.clock.now(),
                    )
                )
                row = conn.execute(select(table).where(table.c.mrid == mrid_)).first()
        assert row is not None
        return created(f"/mup/{row.mup_id}", status)

    @app.get("/mup/{mup_id}")
    async def mup_one(caller: caller_dep, mup_id: int = MupId) -> Response:
        row = mirror(caller, mup_id)
        return sep_xml(usage_point(row, recorded(caller, row) or None))

    @app.post("/mup/{mup_id}")
    async def mup_readings(caller: caller_dep, request: Request, mup_id: int = MupId) -> Response:
        row = mirror(caller, mup_id)
        req = await parse_body(request, MirrorMeterReadingRequest, MirrorMeterReadingListRequest)
        readings: list[MirrorMeterReading] = (
            [req]
            if isinstance(req, MirrorMeterReadingRequest)
            else list(getattr(req, "mirrorMeterReadings", None) or [])
        )
        if not readings:
            raise invalid("no MirrorMeterReading in the post")
        await record(caller, request, row, readings)
        return created(f"/mup/{mup_id}")


class _Pending:
    """A mirror not stored yet, whose readings come with its own POST."""

    def __init__(self, mrid: str, lfdi: str, session_id: str) -> None:
        self.mrid, self.lfdi, self.session_id = mrid, lfdi, session_id


def _valid_id(text: str) -> bool:
    return 0 < len(text) <= 80 and re.match(ID_PATTERN, text) is not None
