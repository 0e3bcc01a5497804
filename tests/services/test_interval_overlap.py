"""One meter's energy is recorded under one session: overlaps across sessions are refused.

Issue 11 found the same metered energy billed under three session IDs, because
intervals were keyed by session only. Now an interval that overlaps one recorded
for *another* session on the same portal (or EUMD) is refused with 409, naming
that session, and changes nothing; the same times on another portal are fine.
Through the real HTTP API, JSON and the 2030.5 mirror alike.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import httpx
import xmlschema

from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_common import SEP_XML
from tests.services.helpers import bind, clock_of, intervals, now, uid
from tests.services.test_sep2_mirror import MRID_BASE, alice, mmr, mup, quarter_hours
from tests.services.test_sep2_server import NS, post, schema

__all__ = ["alice", "schema"]  # fixtures


def _report(svc: ServiceEndpoints, esi: str, sid: str, body: dict[str, Any]) -> httpx.Response:
    with svc.client("HPL", as_caller=esi) as c:
        return c.post(f"/sessions/{sid}/intervals", json=body)


def _body(svc: ServiceEndpoints, esi: str, premise: str, portal: str) -> dict[str, Any]:
    b = bind(svc, "HPL", esi, premise, portal, "PEV-ALICE")
    return {"binding_id": b["binding_id"], "premise_id": premise, "pev_id": "PEV-ALICE"}


def test_the_same_energy_under_another_session_id_is_refused(svc: ServiceEndpoints) -> None:
    start = now(svc).replace(second=0, microsecond=0)
    bodies = [_body(svc, "ESI-BOB", "PREM-BOB", "EP-BOB-240") for _ in range(3)]
    elsewhere = _body(svc, "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240")
    ivs = intervals(start, ["1.0", "1.0"])
    clock_of(svc).advance_to((start + timedelta(minutes=30)).timestamp())
    first, second, third = uid("S"), uid("S"), uid("S")
    assert _report(svc, "ESI-BOB", first, {**bodies[0], "intervals": ivs}).status_code == 200
    again = _report(svc, "ESI-BOB", second, {**bodies[1], "intervals": ivs})
    assert again.status_code == 409, again.text
    detail = again.json()["detail"]
    assert first in detail and "portal 'EP-BOB-240'" in detail
    shifted = intervals(start + timedelta(minutes=5), ["0.5"])  # partly over the first
    assert _report(svc, "ESI-BOB", third, {**bodies[2], "intervals": shifted}).status_code == 409
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        assert c.get(f"/sessions/{second}").status_code == 404  # nothing was written
        assert c.get(f"/sessions/{third}").status_code == 404
    # the next quarter hours on the same portal, and the same times elsewhere, are fine
    later = intervals(start + timedelta(minutes=30), ["1.0"])
    clock_of(svc).advance_to((start + timedelta(minutes=45)).timestamp())
    assert _report(svc, "ESI-BOB", second, {**bodies[1], "intervals": later}).status_code == 200
    r = _report(svc, "ESI-ALICE", uid("S"), {**elsewhere, "intervals": ivs})
    assert r.status_code == 200, r.text


def test_mirror_readings_overlapping_another_session_are_refused(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    start = now(svc).replace(second=0, microsecond=0)
    json_body = _body(svc, "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240")
    mirrored = bind(  # a 2030.5 description is at most 32 characters: a short binding ID
        svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", binding_id=uid("B")
    )
    clock_of(svc).advance_to((start + timedelta(hours=1)).timestamp())
    first = uid("S")
    ivs = intervals(start, ["1.0"])
    assert _report(svc, "ESI-ALICE", first, {**json_body, "intervals": ivs}).status_code == 200
    r = post(alice, "/mup", mup(f"{MRID_BASE}3000", uid("S-MUP"), alice.headers["X-Test-LFDI"]))
    assert r.status_code == 201, r.text
    r = post(alice, r.headers["location"], mmr(mirrored["binding_id"], quarter_hours(start, [900])))
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == SEP_XML
    schema.validate(r.text)
    assert ET.fromstring(r.text).tag == f"{{{NS['s']}}}Error"
