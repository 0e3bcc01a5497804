"""A retried, duplicated, reordered or concurrent post never bills twice."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rig.services.endpoints import ServiceEndpoints
from tests.services.helpers import (
    bind,
    clock_of,
    get,
    intervals,
    next_local,
    now,
    session_lines,
    total,
    uid,
)

D = Decimal


def _report(svc: ServiceEndpoints, session_id: str, body: dict[str, Any]) -> Any:
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        return c.post(f"/sessions/{session_id}/intervals", json=body)


def _session(svc: ServiceEndpoints, n: int) -> tuple[str, dict[str, Any], list[dict[str, str]]]:
    """A host-pays session at Bob's (flat 0.15) with ``n`` intervals of 1 kWh, clock past it."""
    b = bind(svc, "HPL", "ESI-BOB", "PREM-BOB", "EP-BOB-240", "PEV-ALICE")
    start = now(svc)
    ivs = intervals(start, ["1.0"] * n)
    end = start + timedelta(minutes=15 * n)
    clock_of(svc).advance_to(end.timestamp())
    base = {"binding_id": b["binding_id"], "premise_id": "PREM-BOB", "pev_id": "PEV-ALICE"}
    close = {
        "started_at": start.isoformat(),
        "ended_at": end.isoformat(),
        "duration_s": (end - start).total_seconds(),
        "energy_kwh": f"{n}.0",
    }
    return uid("S"), {**base, "close": close}, ivs


def test_duplicate_and_retried_posts_are_recorded_once(svc: ServiceEndpoints) -> None:
    sid, body, ivs = _session(svc, 8)
    first = _report(svc, sid, {**body, "intervals": ivs})
    again = _report(svc, sid, {**body, "intervals": ivs})
    assert first.status_code == again.status_code == 200
    assert first.json()["intervals_accepted"] == 8
    assert (again.json()["intervals_accepted"], again.json()["intervals_duplicate"]) == (0, 8)
    assert again.json()["line_items"] == first.json()["line_items"]
    lines = session_lines(svc, "HPL", "ACC-BOB", sid)
    assert total(lines, "kwh") == D("8.0") and total(lines) == D("1.20")


def test_out_of_order_batches_and_late_intervals_bill_once(svc: ServiceEndpoints) -> None:
    sid, body, ivs = _session(svc, 12)
    shuffled = ivs[:]
    random.Random(7).shuffle(shuffled)
    open_body = {k: v for k, v in body.items() if k != "close"}
    assert _report(svc, sid, {**open_body, "intervals": shuffled[:5]}).status_code == 200
    assert _report(svc, sid, {**body, "intervals": shuffled[5:9]}).status_code == 200
    # closed with 9 intervals: billed for 9 kWh
    assert total(session_lines(svc, "HPL", "ACC-BOB", sid), "kwh") == D("9.0")
    # late and repeated intervals after the close: the bill is recomputed, not added to
    late = _report(svc, sid, {**open_body, "intervals": shuffled[3:]})
    assert late.status_code == 200, late.text
    assert (late.json()["intervals_accepted"], late.json()["intervals_duplicate"]) == (3, 6)
    lines = session_lines(svc, "HPL", "ACC-BOB", sid)
    assert total(lines, "kwh") == D("12.0") and total(lines) == D("1.80")
    assert late.json()["flags"] == []


def test_concurrent_identical_posts_bill_once(svc: ServiceEndpoints) -> None:
    sid, body, ivs = _session(svc, 16)
    payload = {**body, "intervals": ivs}

    def post(_: int) -> int:
        return int(_report(svc, sid, payload).status_code)

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(post, range(32)))
    assert statuses == [200] * 32
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        record = get(c, f"/sessions/{sid}")
    assert record["interval_count"] == 16 and D(record["total_energy"]) == D("16.0")
    assert total(session_lines(svc, "HPL", "ACC-BOB", sid), "kwh") == D("16.0")


def test_concurrent_disjoint_posts_all_land(svc: ServiceEndpoints) -> None:
    sid, body, ivs = _session(svc, 24)
    open_body = {k: v for k, v in body.items() if k != "close"}
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(
            pool.map(lambda iv: _report(svc, sid, {**open_body, "intervals": [iv]}), ivs)
        )
    assert [r.status_code for r in results] == [200] * 24
    closed = _report(svc, sid, {**body, "intervals": []})
    assert closed.json()["interval_count"] == 24
    assert total(session_lines(svc, "HPL", "ACC-BOB", sid), "kwh") == D("24.0")


def test_a_changed_interval_is_refused_and_changes_nothing(svc: ServiceEndpoints) -> None:
    sid, body, ivs = _session(svc, 4)
    assert _report(svc, sid, {**body, "intervals": ivs}).status_code == 200
    before = session_lines(svc, "HPL", "ACC-BOB", sid)
    changed = [dict(ivs[0], kwh="1.5"), *ivs[1:]]
    r = _report(svc, sid, {**body, "intervals": changed})
    assert r.status_code == 409 and "never changed" in r.json()["detail"]
    shifted = intervals(datetime.fromisoformat(ivs[0]["start"]) + timedelta(minutes=5), ["0.1"])
    # … overlaps two recorded intervals
    assert _report(svc, sid, {**body, "intervals": shifted}).status_code == 409
    reclosed = dict(body, close=dict(body["close"], energy_kwh="5.0"))
    assert _report(svc, sid, {**reclosed, "intervals": []}).status_code == 409
    assert session_lines(svc, "HPL", "ACC-BOB", sid) == before


def test_binding_and_grant_retries_return_the_first_answer(svc: ServiceEndpoints) -> None:
    next_local(svc, 13, 0)
    binding_id = uid("B")
    first = bind(
        svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", binding_id=binding_id
    )
    clock_of(svc).advance(60)
    again = bind(
        svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", binding_id=binding_id
    )
    assert again == first
    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        other = c.post(
            "/bindings",
            json={
                "binding_id": binding_id,
                "premise_id": "PREM-ALICE",
                "esi_id": "ESI-ALICE",
                "portal_id": "EP-ALICE-120",
                "pev_id": "PEV-ALICE",
            },
        )
        assert other.status_code == 409
        request = {
            "request_id": "R1",
            "energy_requested_kwh": "10",
            "power_requested_kw": "7.2",
            "departure": (now(svc) + timedelta(hours=12)).isoformat(),
        }
        path = f"/bindings/{binding_id}/energy-requests"
        g1 = c.post(path, json=request)
        clock_of(svc).advance(30)
        g2 = c.post(path, json=request)
        assert g1.status_code == g2.status_code == 200 and g1.json() == g2.json()
        g3 = c.post(path, json=dict(request, energy_requested_kwh="11"))
        assert g3.status_code == 409


def test_concurrent_binding_with_one_id_stores_one_binding(svc: ServiceEndpoints) -> None:
    binding_id = uid("B")

    def go(_: int) -> dict[str, Any]:
        return bind(
            svc, "HPL", "ESI-BOB", "PREM-BOB", "EP-BOB-240", "PEV-ALICE", binding_id=binding_id
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(go, range(16)))
    assert all(a == answers[0] for a in answers)
