"""The ESI's IEEE 2030.5 link against the bundled 2030.5 server, over real HTTP.

One cluster (utilities, clearinghouse, each utility's 2030.5 server) on a virtual
clock for the module. The link discovers from ``/dcap``, registers the ESI's
EndDevice with the PIN check, and reads DRLC events (with their kW limits, and
acknowledged) and hourly prices at the server's pollRate; what it hears must agree
with what the JSON link hears for the same utility state. A binding, an energy
request and a session's reports over 2030.5 give what the JSON API gives. A function
set the server does not link fails loudly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from envoy_schema.server.schema.sep2.end_device import EndDeviceListResponse
from envoy_schema.server.schema.sep2.response import ResponseListResponse, ResponseType

from rig.clock import VirtualClock
from rig.esi.connect import open_utility_link
from rig.esi.link import NotOffered, ServiceLink
from rig.esi.sep2_link import RegistrationFailed, Sep2Link, stand_in_lfdi
from rig.plans import load_plan
from rig.runner.api import run_plan
from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_api import POLL_RATE_S, pin
from rig.services.testing import running_services
from tests.services.helpers import T0

ESI, PREMISE = "ESI-ALICE", "PREM-ALICE"
PLANS = Path(__file__).resolve().parents[2] / "test_plans"


@pytest.fixture(scope="module")
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture(scope="module")
def svc(clock: VirtualClock) -> Iterator[ServiceEndpoints]:
    with running_services(clock=clock) as endpoints:
        yield endpoints


def sep2(svc: ServiceEndpoints, clock: VirtualClock, *, wrong_pin: bool = False) -> Sep2Link:
    link = open_utility_link(
        "ieee2030.5",
        "HPL",
        svc.sep2_urls["HPL"],
        svc.token(ESI),
        esi_id=ESI,
        pin=pin("HPL", ESI) + (1 if wrong_pin else 0),
        now=clock.now,
    )
    assert isinstance(link, Sep2Link)
    return link


def publish(svc: ServiceEndpoints, signal: dict[str, Any]) -> None:
    operator = ServiceLink("HPL", svc.urls["HPL"], svc.token("HPL"))
    try:
        operator.post("/signals", signal)
    finally:
        operator.close()


def heard(page: dict[str, Any]) -> set[tuple[Any, ...]]:
    """Signals as the ESI reads them (times, limits and prices parsed)."""
    return {
        (
            s["kind"],
            datetime.fromisoformat(s["effective_from"]),
            s["effective_until"] and datetime.fromisoformat(s["effective_until"]),
            None if s["limit_kw"] is None else Decimal(s["limit_kw"]),
            None if s["price"] is None else Decimal(s["price"]),
            s["tariff_id"],
        )
        for s in page["signals"]
    }


def test_discovery_time_and_registration_with_the_pin(
    svc: ServiceEndpoints, clock: VirtualClock
) -> None:
    link = sep2(svc, clock)
    try:
        dcap = link.discover()
        assert dcap.href == "/dcap"
        assert link.poll_rate_s == POLL_RATE_S
        assert link.server_offset_s == 0  # the bundled server reads the rig's clock
        assert link.device is not None
        assert link.device.lFDI == stand_in_lfdi(ESI)
        assert link.device.sFDI == link.sfdi
    finally:
        link.close()
    again = sep2(svc, clock)  # a second start finds its device: registered once
    try:
        again.discover()
        listed = again.read("/edev", EndDeviceListResponse).EndDevice or []
    finally:
        again.close()
    assert again.device is not None and again.device.href == link.device.href
    assert [d.lFDI for d in listed] == [stand_in_lfdi(ESI)]


def test_a_wrong_pin_stops_the_link(svc: ServiceEndpoints, clock: VirtualClock) -> None:
    link = sep2(svc, clock, wrong_pin=True)
    try:
        with pytest.raises(RegistrationFailed, match="PIN"):
            link.signals(0, PREMISE)
    finally:
        link.close()


def test_signals_agree_with_the_json_link(svc: ServiceEndpoints, clock: VirtualClock) -> None:
    day = 3600 * (int(clock.now()) // 3600)
    publish(
        svc,
        {
            "signal_id": "SEP2-LINK-DLC-1",
            "kind": "dlc",
            "premise_id": PREMISE,
            "effective_from": _iso(day + 2 * 3600),
            "effective_until": _iso(day + 3 * 3600),
            "limit_kw": "3.3",
        },
    )
    publish(
        svc,
        {
            "signal_id": "SEP2-LINK-ALM-1",
            "kind": "alm",
            "premise_id": PREMISE,
            "effective_from": _iso(day + 4 * 3600),
            "limit_kw": "2.5",
        },
    )
    # hours the data set does not price yet: a re-priced hour is listed twice over
    # JSON (each publication) and once over 2030.5 (the price in force)
    for hour, price in enumerate(["0.111111", "0.2", "0.35"]):
        publish(
            svc,
            {
                "signal_id": f"SEP2-LINK-PRICE-{hour}",
                "kind": "price",
                "tariff_id": "HPL-PEV-RTP",
                "effective_from": _iso(day + (1 + hour) * 3600),
                "price": price,
            },
        )
    rest = open_utility_link(
        "rest", "HPL", svc.urls["HPL"], svc.token(ESI), esi_id=ESI, pin=None, now=clock.now
    )
    link = sep2(svc, clock)
    try:
        over_json = heard(rest.signals(0, PREMISE))
        over_sep2 = heard(link.signals(0, PREMISE))
    finally:
        rest.close()
        link.close()
    assert ("dlc", _at(day + 2 * 3600), _at(day + 3 * 3600), Decimal("3.3"), None, None) in (
        over_sep2
    )
    assert ("alm", _at(day + 4 * 3600), None, Decimal("2.5"), None, None) in over_sep2
    prices = {s for s in over_sep2 if s[0] == "price"}
    assert {(s[1], s[4]) for s in prices} >= {
        (_at(day + 1 * 3600), Decimal("0.111111")),
        (_at(day + 2 * 3600), Decimal("0.2")),
        (_at(day + 3 * 3600), Decimal("0.35")),
    }
    assert over_sep2 == over_json


def test_events_are_acknowledged_once(svc: ServiceEndpoints, clock: VirtualClock) -> None:
    """Each DRLC event asks for a Response (responseRequired); the ESI sends "received"
    once, however often it polls."""
    link = sep2(svc, clock)
    try:
        before = len(link.read("/rsps/dlc/rsp", ResponseListResponse).Response_ or [])
        events = [s for s in link.signals(0, PREMISE)["signals"] if s["kind"] != "price"]
        first = link.read("/rsps/dlc/rsp", ResponseListResponse).Response_ or []
        link._next_poll = float("-inf")  # poll again at once
        link.signals(0, PREMISE)
        acks = link.read("/rsps/dlc/rsp", ResponseListResponse).Response_ or []
    finally:
        link.close()
    assert events and len(first) == before + len(events)
    assert len(acks) == len(first)  # not again
    assert {a.status for a in acks} == {ResponseType.EVENT_RECEIVED}
    assert {a.endDeviceLFDI for a in acks} == {stand_in_lfdi(ESI)}


def test_signals_are_polled_at_the_servers_poll_rate(
    svc: ServiceEndpoints, clock: VirtualClock
) -> None:
    now = [clock.now()]
    link = Sep2Link(
        "HPL",
        svc.sep2_urls["HPL"],
        svc.token(ESI),
        lfdi=stand_in_lfdi(ESI),
        pin=pin("HPL", ESI),
        now=lambda: now[0],
    )
    start = 3600 * (int(clock.now()) // 3600) + 20 * 3600
    event = ("dlc", _at(start), _at(start + 1800), Decimal("2.0"), None, None)
    try:
        assert event not in heard(link.signals(0, PREMISE))
        publish(
            svc,
            {
                "signal_id": "SEP2-LINK-DLC-POLL",
                "kind": "dlc",
                "premise_id": PREMISE,
                "effective_from": _iso(start),
                "effective_until": _iso(start + 1800),
                "limit_kw": "2.0",
            },
        )
        now[0] += POLL_RATE_S - 1
        assert event not in heard(link.signals(0, PREMISE))  # not polled again yet
        now[0] += 1
        assert event in heard(link.signals(0, PREMISE))
    finally:
        link.close()


def test_a_session_over_2030_5_is_the_json_apis(svc: ServiceEndpoints, clock: VirtualClock) -> None:
    """Binding, energy request, intervals and close over 2030.5: the utility answers and
    records what the JSON API answers and records for the same messages."""
    start = 900 * (int(clock.now()) // 900) - 1800
    rest = ServiceLink("HPL", svc.urls["HPL"], svc.token(ESI))
    link = sep2(svc, clock)
    try:
        answers = []
        for via, binding_id in ((rest, "B-00000000000000a1"), (link, "B-00000000000000a2")):
            body = {
                "binding_id": binding_id,
                "premise_id": PREMISE,
                "esi_id": ESI,
                "portal_id": "EP-ALICE-240",
                "pev_id": "PEV-ALICE",
                "communication": "established",
                "eumd_available": True,
                "roaming_option": "guest_rate",
                "session_start": _iso(start),
            }
            bound = via.bind(body)
            asked = {
                "request_id": f"{binding_id}-request",
                "energy_requested_kwh": "20.000",
                "power_requested_kw": "7.2",
                "departure": _iso(start + 8 * 3600),
            }
            granted = via.request_energy(binding_id, asked)
            answers.append((bound, granted))
        keys = ("bound", "incentive", "scenario", "payer_account_id", "tariff_id", "interval_s")
        (json_bound, json_grant), (sep2_bound, sep2_grant) = answers
        assert {k: sep2_bound[k] for k in keys} == {k: json_bound[k] for k in keys}
        assert sep2_bound["bound"] is True
        assert sep2_grant["status"] == json_grant["status"]
        for k in ("energy_available_kwh", "power_available_kw"):
            assert Decimal(str(sep2_grant[k])) == Decimal(str(json_grant[k])), k
        assert sep2_grant["start_delay_s"] >= 0  # BR-08's random delay: per binding
        report = {
            "binding_id": "B-00000000000000a2",
            "pev_id": "PEV-ALICE",
            "premise_id": PREMISE,
            "intervals": [
                {"start": _iso(start), "end": _iso(start + 900), "kwh": "1.234567"},
                {"start": _iso(start + 900), "end": _iso(start + 1800), "kwh": "1.5"},
            ],
        }
        link.report("S-00000000000000a2", report)
        link.report("S-00000000000000a2", report)  # a retry is a duplicate
        close = {
            "started_at": _iso(start),
            "ended_at": _iso(start + 1800),
            "duration_s": 1800.0,
            "energy_kwh": "2.734567",
        }
        link.report("S-00000000000000a2", {**report, "intervals": [], "close": close})
        recorded = rest.get("/sessions/S-00000000000000a2")
    finally:
        rest.close()
        link.close()
    assert recorded["interval_count"] == 2  # the retry stored nothing twice
    assert Decimal(recorded["total_energy"]) == Decimal("2.734567")
    assert Decimal(recorded["reported_energy_kwh"]) == Decimal("2.734567")
    assert datetime.fromisoformat(recorded["start_date_time"]) == _at(start)
    assert datetime.fromisoformat(recorded["end_date_time"]) == _at(start + 1800)
    assert recorded["pev_id"] == "PEV-ALICE" and recorded["premise_id"] == PREMISE
    assert recorded["status"] == "closed"


def test_what_the_server_does_not_link_fails_loudly(
    svc: ServiceEndpoints, clock: VirtualClock
) -> None:
    link = sep2(svc, clock)
    try:
        dcap = link.discover()
        assert link.device is not None
        link.dcap = dcap.model_copy(update={"MirrorUsagePointListLink": None})
        link.device = link.device.model_copy(update={"FlowReservationRequestListLink": None})
        with pytest.raises(NotOffered, match="FlowReservationRequestList"):
            link.request_energy("B-1", _ENERGY)
        with pytest.raises(NotOffered, match=r"MirrorUsagePointList \(metering mirror\)"):
            link.report("S-1", {"binding_id": "B-1", "intervals": []})
    finally:
        link.close()


_ENERGY = {
    "request_id": "R-1",
    "energy_requested_kwh": "1",
    "power_requested_kw": "1",
    "departure": "2026-03-03T00:00:00+00:00",
}


def test_a_plan_passes_over_2030_5() -> None:
    """sc1_home binds, asks for energy, reports and closes over 2030.5 and passes."""
    path = PLANS / "sc1_home.yaml"
    outcome = run_plan(load_plan(path), plan_file=path, utility_protocol="ieee2030.5")
    assert outcome.failure is None
    assert outcome.verdict == "pass"


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def _at(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)
