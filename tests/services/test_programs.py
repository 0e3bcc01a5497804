"""Programmes and grants over HTTP: PG-TOU/RTP pricing, PG-DLC, PG-ALM, BR-07, BR-08.

These tests use the data set's fixed dates (Monday 2 – Tuesday 3 March 2026), so
each gets a fresh cluster with the clock at Monday 12:00 US Central.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rig.services.endpoints import ServiceEndpoints
from tests.services.helpers import (
    CENTRAL,
    bind,
    charge,
    clock_of,
    get,
    session_lines,
    total,
)

D = Decimal


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=CENTRAL)


def _grant(
    svc: ServiceEndpoints, binding_id: str, kwh: str, kw: str, departure: datetime, **extra: Any
) -> dict[str, Any]:
    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        r = c.post(
            f"/bindings/{binding_id}/energy-requests",
            json={
                "energy_requested_kwh": kwh,
                "power_requested_kw": kw,
                "departure": departure.isoformat(),
                **extra,
            },
        )
    assert r.status_code == 200, r.text
    return dict(r.json())


def _alice(svc: ServiceEndpoints) -> dict[str, Any]:
    return bind(svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE")


def test_pg_rtp_hourly_prices_published_ahead_are_billed(fresh: ServiceEndpoints) -> None:
    # Erin's HPL-PEV-RTP: 18:00 0.09, 19:00 0.14 (published) → 2 kWh each hour:
    # 2 × 0.09 + 2 × 0.14 = 0.46
    with fresh.client("HPL", as_caller="ESI-ERIN") as c:
        page = get(c, "/signals")
    prices = [s for s in page["signals"] if s["kind"] == "price"]
    assert len(prices) == 4 and {s["tariff_id"] for s in prices} == {"HPL-PEV-RTP"}
    clock_of(fresh).advance_to(_at(2, 18, 30).timestamp())
    s = charge(fresh, "HPL", "ESI-ERIN", "PREM-ERIN", "EP-ERIN-240", "PEV-ERIN", ["1.0"] * 4)
    lines = session_lines(fresh, "HPL", "ACC-ERIN", s.session_id)
    assert [(x["rate_period"], D(x["rate"]), D(x["amount"])) for x in lines] == [
        ("hourly", D("0.090"), D("0.18")),
        ("hourly", D("0.140"), D("0.28")),
    ]


def test_pg_rtp_a_price_published_by_the_operator_is_polled_and_billed(
    fresh: ServiceEndpoints,
) -> None:
    with fresh.client("HPL", as_caller="ESI-ERIN") as esi:
        since = get(esi, "/signals")["next_since"]
        with fresh.client("HPL", as_caller="HPL") as operator:
            r = operator.post(
                "/signals",
                json={
                    "signal_id": "RTP-0302-22",
                    "kind": "price",
                    "tariff_id": "HPL-PEV-RTP",
                    "effective_from": _at(2, 22).isoformat(),
                    "price": "0.030",
                },
            )
            assert r.status_code == 200, r.text
        new = get(esi, "/signals", since=since)["signals"]
    assert [(s["signal_id"], s["price"]) for s in new] == [("RTP-0302-22", "0.030")]
    clock_of(fresh).advance_to(_at(2, 22).timestamp())
    # 2 kWh at 0.03 → 0.06
    s = charge(fresh, "HPL", "ESI-ERIN", "PREM-ERIN", "EP-ERIN-240", "PEV-ERIN", ["1.0"] * 2)
    assert total(session_lines(fresh, "HPL", "ACC-ERIN", s.session_id)) == D("0.06")


def test_pg_dlc_event_is_announced_ahead_and_keeps_the_schedule_out(
    fresh: ServiceEndpoints,
) -> None:
    with fresh.client("HPL", as_caller="ESI-ALICE") as c:
        dlc = [s for s in get(c, "/signals")["signals"] if s["kind"] == "dlc"]
    assert [s["signal_id"] for s in dlc] == ["DR-HPL-1"]
    assert datetime.fromisoformat(dlc[0]["effective_from"]) == _at(3, 17)
    assert datetime.fromisoformat(dlc[0]["announced_at"]) <= _at(2, 12)
    clock_of(fresh).advance_to(_at(3, 16).timestamp())
    b = _alice(fresh)
    g = _grant(fresh, b["binding_id"], "30", "7.2", _at(3, 23))
    event = (_at(3, 17), _at(3, 19))
    for slot in g["schedule"]:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        overlaps = start < event[1] and end > event[0]
        assert not (overlaps and D(slot["kw"]) > 0), slot
    assert "PG-DLC" in g["requirement_ids"]


def test_br07_capacity_limits_the_grant(fresh: ServiceEndpoints) -> None:
    # Alice's premise has 5.0 kW all of 3 March; ALM standing limit 6.6 kW
    clock_of(fresh).advance_to(_at(3, 1).timestamp())
    b = _alice(fresh)
    g = _grant(fresh, b["binding_id"], "10", "7.2", _at(3, 6))
    assert g["status"] == "adjusted" and D(g["power_available_kw"]) <= D("5.0")
    assert "BR-07" in g["requirement_ids"]
    assert D(g["energy_available_kwh"]) == sum(D(s["kwh"]) for s in g["schedule"])


def test_br07_too_much_energy_is_adjusted_down(fresh: ServiceEndpoints) -> None:
    clock_of(fresh).advance_to(_at(3, 1).timestamp())
    b = _alice(fresh)
    g = _grant(fresh, b["binding_id"], "500", "7.2", _at(3, 3))
    assert g["status"] == "adjusted"
    assert D(g["energy_available_kwh"]) <= D("5.0") * 2  # 2 h at the 5 kW capacity


def test_br08_off_peak_preference_and_seeded_random_delay(fresh: ServiceEndpoints) -> None:
    # Alice prefers off-peak: asked at 13:00 for 10 kWh by 07:00, nothing before 22:00
    clock_of(fresh).advance_to(_at(2, 13).timestamp())
    b = _alice(fresh)
    g = _grant(fresh, b["binding_id"], "10", "7.2", _at(3, 7), request_id="R1")
    first = min(datetime.fromisoformat(s["start"]) for s in g["schedule"])
    assert first >= _at(2, 22)
    assert 0 <= g["start_delay_s"] <= 300
    assert "BR-08" in g["requirement_ids"]
    # the delay is seeded: the same request gives the same grant
    assert _grant(fresh, b["binding_id"], "10", "7.2", _at(3, 7), request_id="R1") == g


def test_pg_alm_limit_change_is_polled_and_honoured(fresh: ServiceEndpoints) -> None:
    clock_of(fresh).advance_to(_at(2, 13).timestamp())
    b = _alice(fresh)
    with fresh.client("HPL", as_caller="ESI-ALICE") as esi:
        since = get(esi, "/signals")["next_since"]
        with fresh.client("HPL", as_caller="HPL") as operator:
            alm = {
                "signal_id": "ALM-ALICE-2",
                "kind": "alm",
                "premise_id": "PREM-ALICE",
                "effective_from": _at(2, 14).isoformat(),
                "limit_kw": "2.5",
            }
            r = operator.post("/signals", json=alm)
            assert r.status_code == 200, r.text
            # publishing the same signal again is harmless; changing it is refused
            again = operator.post("/signals", json=alm)
            assert again.status_code == 200 and again.json()["seq"] == r.json()["seq"]
            assert operator.post("/signals", json=alm | {"limit_kw": "3"}).status_code == 409
        polled = get(esi, "/signals", since=since)
    assert [s["signal_id"] for s in polled["signals"]] == ["ALM-ALICE-2"]
    assert D(polled["signals"][0]["limit_kw"]) == D("2.5")
    g = _grant(fresh, b["binding_id"], "40", "7.2", _at(3, 7))
    after = [s for s in g["schedule"] if datetime.fromisoformat(s["start"]) >= _at(2, 14)]
    assert after and all(D(s["kw"]) <= D("2.5") for s in after)
    assert "PG-ALM" in g["requirement_ids"]


def test_signals_announced_later_are_not_skipped_by_the_cursor(fresh: ServiceEndpoints) -> None:
    with fresh.client("HPL", as_caller="HPL") as operator:
        for sid, announced in (("DR-LATER", _at(2, 15)), ("ALM-NOW", None)):
            body: dict[str, Any] = {
                "signal_id": sid,
                "kind": "dlc" if sid.startswith("DR") else "alm",
                "premise_id": "PREM-ALICE",
                "effective_from": _at(4, 17).isoformat(),
                "limit_kw": "1",
            }
            if announced is not None:
                body["announced_at"] = announced.isoformat()
                body["effective_until"] = _at(4, 18).isoformat()
            assert operator.post("/signals", json=body).status_code == 200
    with fresh.client("HPL", as_caller="ESI-ALICE") as esi:
        page = get(esi, "/signals", since=0)
        ids = [s["signal_id"] for s in page["signals"]]
        assert "ALM-NOW" in ids and "DR-LATER" not in ids
        clock_of(fresh).advance_to((_at(2, 15) + timedelta(seconds=1)).timestamp())
        later = get(esi, "/signals", since=page["next_since"])
    assert "DR-LATER" in [s["signal_id"] for s in later["signals"]]


def test_a_long_poll_is_woken_by_a_publication(fresh: ServiceEndpoints) -> None:
    with fresh.client("HPL", as_caller="ESI-ALICE") as esi:
        since = get(esi, "/signals")["next_since"]
        result: dict[str, Any] = {}

        def poll() -> None:
            t = time.monotonic()
            result["page"] = get(esi, "/signals", since=since, wait_s=20)
            result["took"] = time.monotonic() - t

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.3)
        with fresh.client("HPL", as_caller="HPL") as operator:
            body = {
                "signal_id": "ALM-WAKE",
                "kind": "alm",
                "premise_id": "PREM-ALICE",
                "effective_from": _at(2, 13).isoformat(),
                "limit_kw": "4",
            }
            assert operator.post("/signals", json=body).status_code == 200
        poller.join(timeout=20)
    assert [s["signal_id"] for s in result["page"]["signals"]] == ["ALM-WAKE"]
    assert result["took"] < 10


def test_a_bound_pev_is_told_its_programmes(fresh: ServiceEndpoints) -> None:
    b = _alice(fresh)
    assert b["program_ids"] == ["HPL-PG-TOU", "HPL-PG-DLC", "HPL-PG-ALM"]
    foreign = bind(fresh, "SGE", "ESI-HANK", "PREM-HANK", "EP-HANK-240", "PEV-ALICE")
    assert foreign["program_ids"] == ["HPL-PG-TOU", "HPL-PG-DLC", "HPL-PG-ALM"]
    unbound = bind(fresh, "HPL", "ESI-FRANK", "PREM-FRANK", "EP-FRANK-120", "PEV-FRANK")
    assert unbound["program_ids"] == []
