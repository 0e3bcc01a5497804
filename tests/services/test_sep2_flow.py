"""2030.5 flow reservations are the utility's energy grants; DRLC Responses are recorded.

A FlowReservationRequest posted over 2030.5 must give the grant the JSON API gives
for the same request (the JSON retry with the same request ID returns it, not a
conflict); a Response to a DRLC event is stored, listed and audited. Every answer
is validated against the 2030.5 XSD.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import xmlschema
from sep2tools.cert_id import get_sfdi

from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_common import mrid
from tests.services.helpers import bind, now, uid
from tests.services.test_sep2_mirror import alice
from tests.services.test_sep2_server import NS, get, post, schema

__all__ = ["alice", "schema"]  # shared fixtures

REQUEST_MRID = "0F0E0D0C0B0A09080706050403020100"


def frq(binding_id: str, start: int, duration: int, wh: int, watts: int, status: int = 0) -> str:
    return (
        f'<FlowReservationRequest xmlns="urn:ieee:std:2030.5:ns"><mRID>{REQUEST_MRID}</mRID>'
        f"<description>{binding_id}</description><creationTime>{start}</creationTime>"
        f"<energyRequested><multiplier>0</multiplier><value>{wh}</value></energyRequested>"
        f"<intervalRequested><duration>{duration}</duration><start>{start}</start>"
        f"</intervalRequested><powerRequested><multiplier>0</multiplier><value>{watts}</value>"
        f"</powerRequested><RequestStatus><dateTime>{start}</dateTime>"
        f"<requestStatus>{status}</requestStatus></RequestStatus></FlowReservationRequest>"
    )


def test_flow_reservation_is_the_energy_grant(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    lfdi = alice.headers["X-Test-LFDI"]
    sfdi = int(get_sfdi(lfdi, group=False))
    edev = get(alice, schema, f"/edev/{sfdi}")
    link = edev.find("s:FlowReservationRequestListLink", NS)
    assert link is not None and link.get("href") == f"/edev/{sfdi}/frq"
    binding = bind(
        svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", binding_id=uid("B")
    )
    start = int(now(svc).timestamp())

    body = frq(binding["binding_id"], start, 8 * 3600, 20_000, 7_200)
    bad = [
        frq(binding["binding_id"], start, 8 * 3600, 20_000, 7_200, status=1),  # cancel
        frq("B-NO-SUCH", start, 8 * 3600, 20_000, 7_200),  # unknown binding
        frq(binding["binding_id"], start - 8 * 3600, 3600, 20_000, 7_200),  # departed
    ]
    for b in bad:
        r = post(alice, f"/edev/{sfdi}/frq", b)
        assert 400 <= r.status_code < 500, r.text
        schema.validate(r.text)
    assert get(alice, schema, f"/edev/{sfdi}/frp").get("all") == "0"
    r = post(alice, f"/edev/{sfdi}/frq", body)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/edev/{sfdi}/frq/{REQUEST_MRID}"
    assert post(alice, f"/edev/{sfdi}/frq", body).status_code == 201  # idempotent

    frps = get(alice, schema, f"/edev/{sfdi}/frp").findall("s:FlowReservationResponse", NS)
    assert len(frps) == 1
    frp = frps[0]
    assert frp.findtext("s:subject", namespaces=NS) == REQUEST_MRID
    assert frp.findtext("s:description", namespaces=NS) == binding["binding_id"]
    frqs = get(alice, schema, f"/edev/{sfdi}/frq").findall("s:FlowReservationRequest", NS)
    assert [e.findtext("s:mRID", namespaces=NS) for e in frqs] == [REQUEST_MRID]

    # the JSON API's retry of the same request returns the same grant
    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        r = c.post(
            f"/bindings/{binding['binding_id']}/energy-requests",
            json={
                "request_id": REQUEST_MRID,
                "energy_requested_kwh": "20.000",  # as the Wh value × 10^-3
                "power_requested_kw": "7.200",
                "departure": datetime.fromtimestamp(start + 8 * 3600, UTC).isoformat(),
            },
        )
    assert r.status_code == 200, r.text
    grant = r.json()
    energy = Decimal(frp.findtext("s:energyAvailable/s:value", namespaces=NS) or "")
    assert energy.scaleb(-6) == Decimal(grant["energy_available_kwh"])
    power = Decimal(frp.findtext("s:powerAvailable/s:value", namespaces=NS) or "")
    mult = int(frp.findtext("s:powerAvailable/s:multiplier", namespaces=NS) or "")
    assert power.scaleb(mult - 3) == Decimal(grant["power_available_kw"])
    interval_start = int(frp.findtext("s:interval/s:start", namespaces=NS) or "")
    assert abs(interval_start - start - grant["start_delay_s"]) <= 1


def test_drlc_responses_are_recorded_and_audited(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    lfdi = alice.headers["X-Test-LFDI"]
    edcs = get(alice, schema, "/dr/dlc/edc").findall("s:EndDeviceControl", NS)
    assert edcs and all(e.get("replyTo") == "/rsps/dlc/rsp" for e in edcs)
    subject = edcs[0].findtext("s:mRID", namespaces=NS) or ""

    def rsp(status: int, subj: str = subject, device: str = lfdi) -> str:
        return (
            f'<Response xmlns="urn:ieee:std:2030.5:ns"><createdDateTime>{int(now(svc).timestamp())}'
            f"</createdDateTime><endDeviceLFDI>{device}</endDeviceLFDI><status>{status}</status>"
            f"<subject>{subj}</subject></Response>"
        )

    for bad, code in [
        (rsp(1, subj=mrid("HPL", "edc", "NO-SUCH-EVENT")), 404),
        (rsp(1, device="AB" * 20), 403),
        (rsp(99), 400),
    ]:
        r = post(alice, "/rsps/dlc/rsp", bad)
        assert r.status_code == code, r.text
        schema.validate(r.text)
    locations = []
    for status in (1, 2, 3):  # received, started, completed
        r = post(alice, "/rsps/dlc/rsp", rsp(status))
        assert r.status_code == 201, r.text
        locations.append(r.headers["location"])
    listed = get(alice, schema, "/rsps/dlc/rsp").findall("s:Response", NS)
    assert [
        (e.findtext("s:subject", namespaces=NS), e.findtext("s:status", namespaces=NS))
        for e in listed
    ] == [(subject, "1"), (subject, "2"), (subject, "3")]
    with svc.client("HPL", as_caller="HPL") as c:
        audit = c.get("/audit", params={"limit": 1000}).json()
    rows = audit["entries"] if isinstance(audit, dict) else audit
    posted = [a for a in rows if a["path"] == "/rsps/dlc/rsp" and a["method"] == "POST"]
    assert [a["status"] for a in posted][-3:] == [201, 201, 201]
    assert all(a["caller"] == "esi:ESI-ALICE" for a in posted)
