"""What the ESI's messages are in IEEE 2030.5: the JSON API's shapes ↔ 2030.5 resources.

The ESI speaks the JSON API's shapes to its link (:mod:`rig.esi.link`); over
2030.5 (:mod:`rig.esi.sep2_link`) each becomes the resource the bundled server
takes (the mappings are the server's: :mod:`rig.services.sep2_binding`,
:mod:`rig.services.sep2_flow`, :mod:`rig.services.sep2_mirror`; the table is in
``docs/ieee2030_5.md``), and each answer becomes the JSON answer again:

- a **binding** (``BindingRequest`` → ``BindingResponse``) is a ``PEVBinding`` posted
  under the ESI's EndDevice and read back with the utility's answer;
- an **energy request** (``EnergyRequestIn`` → ``GrantResponse``) is a
  FlowReservationRequest, the grant its FlowReservationResponse (status
  ``confirmed`` when the energy and power available are those requested, as the
  utility decides it; the start delay is the response's interval start minus its
  creation time);
- an **interval report** or the **close** (``SessionReportIn``) is a
  MirrorMeterReading posted to the session's MirrorUsagePoint: each interval a
  Reading of its MirrorReadingSet, the close the MirrorMeterReading's own Reading.

2030.5 times are whole epoch seconds: every instant is floored to its second, so
consecutive intervals still meet and none starts before the binding's session
start. Energy is carried in mWh (``powerOfTenMultiplier`` −3), exact for the ESI's
six kWh decimals.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from envoy_schema.server.schema.sep2.metering import Reading
from envoy_schema.server.schema.sep2.metering_mirror import (
    MirrorMeterReadingRequest,
    MirrorReadingSet,
    MirrorUsagePointRequest,
)
from envoy_schema.server.schema.sep2.types import DateTimeIntervalType, ServiceKind

from rig.services.sep2_binding import PEVBinding
from rig.services.sep2_common import mrid, scaled
from rig.services.sep2_flow import (
    FlowReservationRequest,
    FlowReservationResponse,
    RequestStatus,
    SignedRealEnergy,
    active_power,
)
from rig.services.sep2_mirror import READ_BACK_POWER_OF_TEN as MWH
from rig.services.sep2_mirror import ROLE_FLAGS, reading_type


def seconds(iso: str) -> int:
    """An ISO instant as 2030.5 time: epoch seconds, floored."""
    return math.floor(datetime.fromisoformat(iso).timestamp())


def mwh(kwh: Any) -> int:
    return int(Decimal(str(kwh)).scaleb(3 - MWH))


# --- binding ------------------------------------------------------------------------


def pev_binding(body: dict[str, Any]) -> PEVBinding:
    """A ``BindingRequest`` as the PEVBinding posted under the ESI's EndDevice (its
    premise and ESI are the EndDevice's registration)."""
    start = body.get("session_start")
    return PEVBinding(
        bindingID=body["binding_id"],
        pevID=body.get("pev_id"),
        portalID=body["portal_id"],
        communication=str(body["communication"]),
        eumdAvailable=bool(body["eumd_available"]),
        roamingOption=str(body["roaming_option"]),
        sessionStart=None if start is None else seconds(start),
    )


def binding_answer(read: PEVBinding, body: dict[str, Any]) -> dict[str, Any]:
    """The utility's answer as the JSON ``BindingResponse`` fields the ESI reads."""
    if read.bound is None or read.intervalLength is None:
        raise ValueError(f"PEVBinding {read.bindingID} carries no answer")
    return {
        "binding_id": read.bindingID,
        "premise_id": body["premise_id"],
        "portal_id": read.portalID,
        "pev_id": read.pevID,
        "bound": read.bound,
        "incentive": bool(read.incentive),
        "scenario": read.scenario or "",
        "payer_account_id": read.payerAccountID or "",
        "tariff_id": read.tariffID or "",
        "reason": read.reason or "",
        "requirement_ids": list(read.requirementID or []),
        "interval_s": read.intervalLength,
    }


# --- flow reservation ---------------------------------------------------------------


def flow_request(binding_id: str, body: dict[str, Any], now: float) -> FlowReservationRequest:
    """An ``EnergyRequestIn`` as a FlowReservationRequest; its mRID is the request ID's."""
    start = math.floor(now)
    departure = seconds(body["departure"])
    return FlowReservationRequest(
        mRID=mrid("energy request", str(body["request_id"])),
        description=binding_id,
        creationTime=start,
        energyRequested=SignedRealEnergy(multiplier=MWH, value=mwh(body["energy_requested_kwh"])),
        intervalRequested=DateTimeIntervalType(start=start, duration=max(0, departure - start)),
        powerRequested=active_power(Decimal(str(body["power_requested_kw"]))),
        RequestStatus_=RequestStatus(dateTime=start, requestStatus=0),
    )


def grant(asked: FlowReservationRequest, answer: FlowReservationResponse) -> dict[str, Any]:
    """A FlowReservationResponse as the JSON ``GrantResponse`` fields the ESI reads."""
    energy, power = answer.energyAvailable, answer.powerAvailable
    confirmed = (energy.value, energy.multiplier) == (
        asked.energyRequested.value,
        asked.energyRequested.multiplier,
    ) and (power.value, power.multiplier) == (
        asked.powerRequested.value,
        asked.powerRequested.multiplier,
    )
    wanted = asked.energyRequested
    return {
        "grant_id": answer.mRID,
        "binding_id": asked.description,
        "status": "confirmed" if confirmed else "adjusted",
        "energy_requested_kwh": str(scaled(wanted.value, wanted.multiplier, -3)),
        "energy_available_kwh": str(scaled(energy.value, energy.multiplier, -3)),
        "power_available_kw": str(scaled(power.value, power.multiplier, -3)),
        "start_delay_s": float(max(0, answer.interval.start - answer.creationTime)),
    }


# --- metering mirror ------------------------------------------------------------------


def usage_point(session_id: str, lfdi: str, interval_s: int | None) -> MirrorUsagePointRequest:
    """The session's MirrorUsagePoint: its mRID from the session ID, the ESI's device."""
    return MirrorUsagePointRequest(
        mRID=mrid("mirror", session_id),
        description=session_id,
        roleFlags=ROLE_FLAGS,
        serviceCategoryKind=ServiceKind.ELECTRICITY,
        status=1,
        deviceLFDI=lfdi,
        postRate=interval_s,
    )


def meter_reading(
    session_id: str, body: dict[str, Any], interval_s: int | None
) -> MirrorMeterReadingRequest:
    """A ``SessionReportIn`` (intervals, or the close) as one MirrorMeterReading."""
    intervals = body.get("intervals") or []
    close = body.get("close")
    what = "close" if close else (intervals[0]["start"] if intervals else "empty")

    def period(start: str, end: str) -> DateTimeIntervalType:
        return DateTimeIntervalType(start=seconds(start), duration=seconds(end) - seconds(start))

    sets = None
    if intervals:
        pev = body.get("pev_id")
        sets = [
            MirrorReadingSet(
                mRID=mrid("reading set", session_id, what),
                description=pev if pev and len(pev) <= 32 else None,
                timePeriod=period(intervals[0]["start"], intervals[-1]["end"]),
                readings=[
                    Reading(timePeriod=period(i["start"], i["end"]), value=mwh(i["kwh"]))
                    for i in intervals
                ],
            )
        ]
    reading = None
    if close:
        reading = Reading(
            timePeriod=period(close["started_at"], close["ended_at"]),
            value=mwh(close["energy_kwh"]),
        )
    return MirrorMeterReadingRequest(
        mRID=mrid("meter reading", session_id, what),
        description=body["binding_id"],
        mirrorReadingSets=sets,
        reading=reading,
        readingType=reading_type(interval_s),
    )
