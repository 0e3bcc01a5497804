"""Service defects on purpose (:class:`rig.services.faults.ServiceDefects`): a reply lost
after the write, intervals dropped or counted twice — and a correct re-delivery."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import httpx

from rig.services.endpoints import ServiceEndpoints
from rig.services.faults import LOST_REPLY, LostReply, ServiceDefects
from tests.services.helpers import bind, clock_of, intervals, next_local, uid
from tests.services.test_faults import ALICE

Session = tuple[dict[str, str], str, datetime]


def _post(svc: ServiceEndpoints, kwh: list[str], session: Session) -> httpx.Response:
    utility, esi, premise, _, pev = ALICE
    binding, session_id, start = session
    body = {
        "binding_id": binding["binding_id"],
        "premise_id": premise,
        "pev_id": pev,
        "intervals": intervals(start, kwh),
    }
    with svc.client(utility, as_caller=esi) as c:
        return c.post(f"/sessions/{session_id}/intervals", json=body)


def _session(svc: ServiceEndpoints) -> Session:
    utility, esi, premise, portal, pev = ALICE
    start = next_local(svc, 9, 0)
    binding = bind(svc, utility, esi, premise, portal, pev)
    clock_of(svc).advance(3 * 3600)
    return binding, uid("S"), start


def test_a_lost_reply_hides_a_write_that_succeeded_and_a_redelivery_is_recorded_once(
    fresh: ServiceEndpoints,
) -> None:
    session = _session(fresh)
    fresh.inject("HPL", ServiceDefects(lost_reply=LostReply(1)))
    lost = _post(fresh, ["1.250"], session)
    assert lost.status_code == 502 and LOST_REPLY in lost.text
    again = _post(fresh, ["1.250"], session)  # the caller re-delivers
    assert again.status_code == 200, again.text
    record = again.json()
    assert (record["intervals_accepted"], record["intervals_duplicate"]) == (0, 1)
    assert record["interval_count"] == 1


def test_lost_and_doubled_intervals_over_the_http_switch(fresh: ServiceEndpoints) -> None:
    session = _session(fresh)
    remote = ServiceEndpoints.from_urls(fresh.urls, fresh.dataset)  # no in-process cluster
    defects = ServiceDefects(lost_intervals=frozenset({1}), duplicated_intervals=frozenset({3}))
    remote.inject("HPL", defects)
    try:
        answer = _post(fresh, ["1.000", "2.000", "0.500"], session)
    finally:
        remote.inject("HPL", ServiceDefects())
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["interval_count"] == 2  # the first was dropped at the door
    assert D(record["total_energy"]) == D("3.000")  # 2.000 + 0.500 counted twice


def test_the_defects_switch_needs_the_services_own_credential(svc: ServiceEndpoints) -> None:
    url = svc.urls["HPL"] + "/_fault/defects"
    body = ServiceDefects(lost_intervals=frozenset({1})).to_json()
    with httpx.Client() as c:
        assert c.put(url, json=body, headers={"Authorization": "Bearer nope"}).status_code == 403
        own = {"Authorization": f"Bearer {svc.token('HPL')}"}
        assert c.put(url, json={"lost_intervals": "x"}, headers=own).status_code == 422
        repaired = ServiceDefects().to_json()
        assert c.put(url, json=repaired, headers=own).json()["defects"] == repaired
