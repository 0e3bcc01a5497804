"""The 2030.5 metering mirror lands in the same session records as the JSON interval reports.

An ESI binds over the JSON API, registers its EndDevice over 2030.5, creates a
MirrorUsagePoint for its session and posts MirrorMeterReadings; the JSON API's
``GET /sessions/{id}`` must then show those intervals, PEV and premise, and the
close. Bad posts get a schema-valid 2030.5 ``Error`` (4xx) and change nothing.
Every answer is validated against the 2030.5 XSD.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import xmlschema

from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_common import SEP_XML
from tests.services.helpers import bind, clock_of, now, uid
from tests.services.test_sep2_server import NS, end_device, get, lfdi_of, post, schema

__all__ = ["schema"]  # the module-scoped XSD fixture, shared

MRID_BASE = "A1B2C3D4E5F60718293A4B5C6D7E"


@pytest.fixture
def alice(svc: ServiceEndpoints) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {svc.token('ESI-ALICE')}"}
    with httpx.Client(base_url=svc.sep2_urls["HPL"], headers=headers, timeout=10) as c:
        lfdi = lfdi_of("alice-mirror-device")
        assert post(c, "/edev", end_device(lfdi)).status_code == 201
        c.headers["X-Test-LFDI"] = lfdi  # the test's own note of the device
        yield c


def mup(mrid: str, session_id: str, lfdi: str, readings: str = "") -> str:
    return (
        f'<MirrorUsagePoint xmlns="urn:ieee:std:2030.5:ns"><mRID>{mrid}</mRID>'
        f"<description>{session_id}</description><roleFlags>0045</roleFlags>"
        f"<serviceCategoryKind>0</serviceCategoryKind><status>1</status>"
        f"<deviceLFDI>{lfdi}</deviceLFDI>{readings}</MirrorUsagePoint>"
    )


def mmr(
    binding_id: str,
    ivs: list[tuple[int, int, int]],
    *,
    pev: str | None = None,
    close: tuple[int, int, int] | None = None,
    tag: str = "MirrorMeterReading",
    xmlns: bool = True,
) -> str:
    """A MirrorMeterReading: intervals (start, duration s, Wh) and the optional close."""
    readings = "".join(
        f"<Reading><timePeriod><duration>{d}</duration><start>{s}</start></timePeriod>"
        f"<value>{wh}</value></Reading>"
        for s, d, wh in ivs
    )
    first = ivs[0][0] if ivs else 0
    span = ivs[-1][0] + ivs[-1][1] - first if ivs else 0
    rset = (
        f"<MirrorReadingSet><mRID>{MRID_BASE}0001</mRID>"
        + (f"<description>{pev}</description>" if pev else "")
        + f"<timePeriod><duration>{span}</duration><start>{first}</start></timePeriod>"
        f"{readings}</MirrorReadingSet>"
        if ivs
        else ""
    )
    closing = (
        f"<Reading><timePeriod><duration>{close[1]}</duration><start>{close[0]}</start>"
        f"</timePeriod><value>{close[2]}</value></Reading>"
        if close
        else ""
    )
    ns = ' xmlns="urn:ieee:std:2030.5:ns"' if xmlns else ""
    return (
        f"<{tag}{ns}><mRID>{MRID_BASE}0002</mRID><description>{binding_id}</description>"
        f"{rset}{closing}<ReadingType><accumulationBehaviour>4</accumulationBehaviour>"
        f"<flowDirection>1</flowDirection><intervalLength>900</intervalLength><kind>12</kind>"
        f"<powerOfTenMultiplier>0</powerOfTenMultiplier><uom>72</uom></ReadingType></{tag}>"
    )


def session(svc: ServiceEndpoints, session_id: str) -> tuple[int, dict[str, Any]]:
    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        r = c.get(f"/sessions/{session_id}")
    return r.status_code, r.json()


def quarter_hours(start: datetime, wh: list[int]) -> list[tuple[int, int, int]]:
    t0 = int(start.timestamp())
    return [(t0 + 900 * i, 900, v) for i, v in enumerate(wh)]


def test_mirror_readings_are_the_sessions_interval_records(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    lfdi = alice.headers["X-Test-LFDI"]
    dcap = get(alice, schema, "/dcap")
    link = dcap.find("s:MirrorUsagePointListLink", NS)
    assert link is not None and link.get("href") == "/mup"
    binding = bind(
        svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", binding_id=uid("B")
    )
    start = now(svc).replace(second=0, microsecond=0)
    clock_of(svc).advance_to((start + timedelta(hours=1)).timestamp())
    session_id = uid("S-MUP")
    r = post(alice, "/mup", mup(f"{MRID_BASE}1000", session_id, lfdi))
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    assert post(alice, "/mup", mup(f"{MRID_BASE}1000", session_id, lfdi)).status_code == 204
    ivs = quarter_hours(start, [1500, 1250, 2000, 1750])
    r = post(alice, location, mmr(binding["binding_id"], ivs[:2], pev="PEV-ALICE"))
    assert r.status_code == 201, r.text
    assert post(alice, location, mmr(binding["binding_id"], ivs[:2])).status_code == 201  # retry
    end = ivs[-1][0] + 900
    close = (ivs[0][0], end - ivs[0][0], 6500)
    r = post(alice, location, mmr(binding["binding_id"], ivs[2:], close=close))
    assert r.status_code == 201, r.text

    status, record = session(svc, session_id)
    assert status == 200
    assert record["binding_id"] == binding["binding_id"]
    assert record["premise_id"] == "PREM-ALICE" and record["pev_id"] == "PEV-ALICE"
    assert record["interval_count"] == 4 and record["status"] == "closed"
    assert Decimal(record["total_energy"]) == Decimal("6.5")
    assert Decimal(record["reported_energy_kwh"]) == Decimal("6.5")
    assert record["line_items"], "the closed session was billed"

    # read back over 2030.5: the same intervals (mWh) and close
    shown = get(alice, schema, location)
    assert shown.findtext("s:description", namespaces=NS) == session_id
    values = [
        int(v.text or "")
        for v in shown.findall("s:MirrorMeterReading/s:MirrorReadingSet/s:Reading/s:value", NS)
    ]
    assert values == [wh * 1000 for _, _, wh in ivs]
    assert shown.findtext("s:MirrorMeterReading/s:Reading/s:value", namespaces=NS) == "6500000"
    listed = get(alice, schema, "/mup")
    assert location in [e.get("href") for e in listed.findall("s:MirrorUsagePoint", NS)]


def test_bad_mirror_posts_get_a_4xx_error_and_change_nothing(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    lfdi = alice.headers["X-Test-LFDI"]
    binding = bind(
        svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", binding_id=uid("B")
    )
    bid = binding["binding_id"]
    start = now(svc).replace(second=0, microsecond=0)
    clock_of(svc).advance_to((start + timedelta(hours=1)).timestamp())
    session_id = uid("S-MUP")
    r = post(alice, "/mup", mup(f"{MRID_BASE}2000", session_id, lfdi))
    location = r.headers["location"]
    ivs = quarter_hours(start, [1000, 1000])
    assert post(alice, location, mmr(bid, ivs[:1])).status_code == 201
    _, before = session(svc, session_id)
    other_lfdi = lfdi_of("bob-mirror-device")
    bad: list[tuple[str, str, str, int]] = [
        (location, "<MirrorMeterReading", SEP_XML, 400),  # not well-formed
        (location, "<Time xmlns='urn:ieee:std:2030.5:ns'/>", SEP_XML, 400),  # another resource
        (location, mmr(bid, ivs[1:]), "application/xml", 415),  # wrong content type
        (location, mmr(bid, [(ivs[0][0], 900, 1001)]), SEP_XML, 409),  # replayed, changed
        (location, mmr(bid, [(ivs[0][0] + 300, 900, 1000)]), SEP_XML, 409),  # overlaps
        (location, mmr(bid, [(ivs[0][0] - 7200, 900, 10)]), SEP_XML, 400),  # before binding
        (location, mmr(bid, [(ivs[1][0], 3600, 10)]), SEP_XML, 400),  # longer than interval
        (location, mmr(bid, [(ivs[1][0], 900, 99_000)]), SEP_XML, 400),  # beyond portal
        (location, mmr(bid, [(ivs[1][0] + 7200, 900, 10)]), SEP_XML, 400),  # in the future
        (location, mmr(bid, ivs[1:], pev="PEV-BOB"), SEP_XML, 400),  # another PEV
        (location, mmr("B-NO-SUCH", ivs[1:]), SEP_XML, 404),  # unknown binding
        ("/mup/999999", mmr(bid, ivs[1:]), SEP_XML, 404),  # unknown mirror
        ("/mup", mup(f"{MRID_BASE}2000", uid("S-X"), lfdi), SEP_XML, 409),  # mRID taken
        ("/mup", mup(f"{MRID_BASE}2001", "S-X", other_lfdi), SEP_XML, 403),  # not her device
        ("/mup", mup(f"{MRID_BASE}2002", "bad id!", lfdi), SEP_XML, 400),  # no session ID
    ]
    for path, body, ctype, status in bad:
        r = post(alice, path, body, ctype)
        assert r.status_code == status, (body, r.status_code, r.text)
        assert r.headers["content-type"] == SEP_XML
        schema.validate(r.text)
        assert ET.fromstring(r.text).tag == "{urn:ieee:std:2030.5:ns}Error"
    _, after = session(svc, session_id)
    assert after == before
    hrefs = [e.get("href") for e in get(alice, schema, "/mup").findall("s:MirrorUsagePoint", NS)]
    assert hrefs.count(location) == 1 and len(set(hrefs)) == len(hrefs)
    # Bob's ESI cannot see or post to Alice's mirror
    headers = {"Authorization": f"Bearer {svc.token('ESI-BOB')}", "Content-Type": SEP_XML}
    with httpx.Client(base_url=svc.sep2_urls["HPL"], headers=headers) as bob:
        assert bob.get(location).status_code == 404
        assert bob.post(location, content=mmr(bid, ivs[1:])).status_code == 404
    assert session(svc, session_id)[1] == before
