"""Bad input to the 2030.5 server, over mutual TLS: a 2030.5 ``Error`` (4xx), nothing changed.

Issue 12, item 6. Alice's and Bob's ESIs have each registered the device of their
client certificate; Alice has a binding, a mirror usage point and one recorded
interval. Then each bad request below must be answered 4xx with
``application/sep+xml`` and a schema-valid ``Error`` body, and every table of the
utility's database (the audit log aside: it records the refusals) and the JSON
API's session record must be exactly as before:

* malformed or schema-invalid XML; a wrong (or no) content type;
* an unknown LFDI (a certificate nobody registered, or an unregistered
  ``deviceLFDI``);
* a certificate of another device acting for a premise it does not own (Bob's
  device posting to Alice's mirror, registering or naming Alice's device, or
  presented with Alice's token);
* a replayed reading with other figures, or one out of order (overlapping what is
  recorded, readings overlapping each other, before the binding).

An exact replay of a recorded reading is *not* an error: 2030.5 clients retry a
POST whose answer was lost, so it is acknowledged (201) and changes nothing.

Then the XML endpoints are fuzzed (:mod:`tests.services.sep2_payloads`, bounded:
``RIG_SEP2_FUZZ_EXAMPLES``, default 50 per endpoint): no answer is a 5xx.
"""

from __future__ import annotations

import dataclasses
import os
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_common import SEP_XML
from rig.services.sep2_tls import Sep2Tls, TestCA
from rig.services.utility_service import UtilityService
from tests.services.helpers import bind, clock_of, now, uid
from tests.services.sep2_payloads import payloads
from tests.services.test_sep2_flow import frq
from tests.services.test_sep2_mirror import MRID_BASE, mmr, mup, quarter_hours
from tests.services.test_sep2_server import end_device, lfdi_of, schema
from tests.services.test_sep2_tls import TlsServices, esi_link, tls_svc

__all__ = ["schema", "tls_svc"]  # shared fixtures

EXAMPLES = int(os.environ.get("RIG_SEP2_FUZZ_EXAMPLES", "50"))


@dataclasses.dataclass
class Scene:
    svc: ServiceEndpoints
    alice: Sep2Tls
    bob: Sep2Tls
    stranger: Sep2Tls
    binding_id: str
    session_id: str
    mirror: str
    recorded: tuple[int, int, int]
    next_ivs: list[tuple[int, int, int]]


def client(scene: Scene, tls: Sep2Tls, token_of: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {scene.svc.token(token_of)}"} if token_of else {}
    return httpx.Client(
        base_url=scene.svc.sep2_urls["HPL"],
        verify=tls.client_context(),
        headers=headers,
        timeout=10,
    )


@pytest.fixture(scope="module")
def scene(tls_svc: TlsServices) -> Scene:
    return make_scene(*tls_svc)


def make_scene(svc: ServiceEndpoints, ca: TestCA) -> Scene:
    """Alice's and Bob's devices registered, Alice's binding, mirror and one interval."""
    alice, bob = ca.client_tls("bad-alice"), ca.client_tls("bad-bob")
    for esi, tls in (("ESI-ALICE", alice), ("ESI-BOB", bob)):
        link = esi_link(svc, esi, tls)
        link.discover()  # registers the certificate's device
        link.close()
    binding = bind(
        svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", binding_id=uid("B")
    )
    start = now(svc).replace(second=0, microsecond=0)
    clock_of(svc).advance_to((start + timedelta(hours=1)).timestamp())
    session_id = uid("S-BAD")
    ivs = quarter_hours(start, [1000, 1000, 1000])
    scene = Scene(
        svc,
        alice,
        bob,
        ca.client_tls("bad-stranger"),
        binding["binding_id"],
        session_id,
        "",
        ivs[0],
        ivs[1:],
    )
    with client(scene, alice) as c:  # the certificate alone: Alice's device
        r = c.post(
            "/mup",
            content=mup(f"{MRID_BASE}3000", session_id, alice.lfdi),
            headers={"Content-Type": SEP_XML},
        )
        assert r.status_code == 201, r.text
        scene.mirror = r.headers["location"]
        r = c.post(
            scene.mirror, content=mmr(scene.binding_id, ivs[:1]), headers={"Content-Type": SEP_XML}
        )
        assert r.status_code == 201, r.text
    return scene


def state(scene: Scene) -> dict[str, Any]:
    """Every table of HPL's database but the audit log, and the JSON session record."""
    cluster = scene.svc.cluster
    assert cluster is not None
    service = cluster.services["HPL"]
    assert isinstance(service, UtilityService)
    tables = {
        f.name: getattr(service.t, f.name)
        for f in dataclasses.fields(service.t)
        if f.name not in ("metadata", "audit")
    }
    with service.db.read() as conn:
        found: dict[str, Any] = {
            name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            for name, table in tables.items()
        }
    with scene.svc.client("HPL", as_caller="ESI-ALICE") as c:
        found["json session"] = c.get(f"/sessions/{scene.session_id}").json()
    return found


def test_bad_input_gets_a_2030_5_error_and_changes_nothing(
    scene: Scene, schema: xmlschema.XMLSchema
) -> None:
    bid, ivs, (s0, d0, wh0) = scene.binding_id, scene.next_ivs, scene.recorded
    alice, bob, stranger = scene.alice, scene.bob, scene.stranger
    nobody = lfdi_of("a device nobody registered")
    readings = mmr(bid, ivs)
    huge_multiplier = readings.replace(  # the long fuzz found it: it was a 500
        "<powerOfTenMultiplier>0</powerOfTenMultiplier>",
        "<powerOfTenMultiplier>99</powerOfTenMultiplier>",
    )
    far_future = mmr(bid, [(10**15, 900, 10)])
    flow = frq(bid, s0 + 3600, 3600, 1000, 1000)
    huge_power = flow.replace("<powerRequested><multiplier>0<", "<powerRequested><multiplier>99<")
    cases: list[tuple[str, Sep2Tls, str | None, str, str, str, int]] = [
        # (what, certificate, token of, path, body, content type, status)
        ("not well-formed", alice, None, scene.mirror, "<MirrorMeterReading", SEP_XML, 400),
        ("not XML", alice, None, scene.mirror, "\x00\xff garbage", SEP_XML, 400),
        ("another resource", alice, None, scene.mirror, end_device(alice.lfdi), SEP_XML, 400),
        (
            "value not a number",
            alice,
            None,
            scene.mirror,
            readings.replace("<value>1000</value>", "<value>lots</value>", 1),
            SEP_XML,
            400,
        ),
        (
            "no mRID",
            alice,
            None,
            scene.mirror,
            readings.replace(f"<mRID>{MRID_BASE}0002</mRID>", ""),
            SEP_XML,
            400,
        ),
        ("LFDI not hex", alice, None, "/edev", end_device("Z" * 40, 1), SEP_XML, 400),
        ("no namespace", alice, None, scene.mirror, mmr(bid, ivs, xmlns=False), SEP_XML, 400),
        ("multiplier beyond -9..9", alice, None, scene.mirror, huge_multiplier, SEP_XML, 400),
        ("time beyond any calendar", alice, None, scene.mirror, far_future, SEP_XML, 400),
        (
            "flow: multiplier beyond",
            alice,
            None,
            f"/edev/{alice.sfdi}/frq",
            huge_power,
            SEP_XML,
            400,
        ),
        ("application/xml", alice, None, scene.mirror, readings, "application/xml", 415),
        ("text/plain", alice, None, scene.mirror, readings, "text/plain", 415),
        ("no content type", alice, None, scene.mirror, readings, "", 415),
        ("unknown certificate", stranger, None, scene.mirror, readings, SEP_XML, 403),
        (
            "unknown certificate registers",
            stranger,
            None,
            "/edev",
            end_device(stranger.lfdi),
            SEP_XML,
            403,
        ),
        (
            "unknown deviceLFDI",
            alice,
            None,
            "/mup",
            mup(f"{MRID_BASE}3001", uid("S-X"), nobody),
            SEP_XML,
            403,
        ),
        ("Bob's device, Alice's mirror", bob, None, scene.mirror, readings, SEP_XML, 404),
        (
            "Bob's device names Alice's",
            bob,
            None,
            "/mup",
            mup(f"{MRID_BASE}3002", uid("S-X"), alice.lfdi),
            SEP_XML,
            403,
        ),
        (
            "Bob's device registers Alice's",
            bob,
            "ESI-BOB",
            "/edev",
            end_device(alice.lfdi),
            SEP_XML,
            403,
        ),
        ("Bob's device, Alice's token", bob, "ESI-ALICE", scene.mirror, readings, SEP_XML, 403),
        (
            "Bob's device, Alice's token, new mirror",
            bob,
            "ESI-ALICE",
            "/mup",
            mup(f"{MRID_BASE}3003", uid("S-X"), alice.lfdi),
            SEP_XML,
            403,
        ),
        ("Alice's device, Bob's token", alice, "ESI-BOB", scene.mirror, readings, SEP_XML, 403),
        (
            "Bob's device, Alice's flow request",
            bob,
            None,
            f"/edev/{alice.sfdi}/frq",
            frq(bid, s0, 3600, 1000, 1000),
            SEP_XML,
            403,
        ),
        (
            "replayed, other figures",
            alice,
            None,
            scene.mirror,
            mmr(bid, [(s0, d0, wh0 + 1)]),
            SEP_XML,
            409,
        ),
        (
            "out of order: overlaps the recorded",
            alice,
            None,
            scene.mirror,
            mmr(bid, [(s0 + 300, d0, wh0)]),
            SEP_XML,
            409,
        ),
        (
            "out of order: readings overlap",
            alice,
            None,
            scene.mirror,
            mmr(bid, [ivs[0], (ivs[0][0] + 300, 900, 10)]),
            SEP_XML,
            400,
        ),
        (
            "before the binding",
            alice,
            None,
            scene.mirror,
            mmr(bid, [(s0 - 7200, 900, 10)]),
            SEP_XML,
            400,
        ),
    ]
    before = state(scene)
    for what, tls, token_of, path, body, ctype, status in cases:
        with client(scene, tls, token_of) as c:
            headers = {"Content-Type": ctype} if ctype else {}
            r = c.post(path, content=body.encode("utf-8", "surrogateescape"), headers=headers)
        assert r.status_code == status, (what, r.status_code, r.text)
        assert r.headers["content-type"] == SEP_XML, what
        schema.validate(r.text)
        assert ET.fromstring(r.text).tag == "{urn:ieee:std:2030.5:ns}Error", what
        assert state(scene) == before, what
    # an exact replay is acknowledged and changes nothing either
    with client(scene, alice) as c:
        r = c.post(
            scene.mirror, content=mmr(bid, [scene.recorded]), headers={"Content-Type": SEP_XML}
        )
    assert r.status_code == 201, r.text
    assert state(scene) == before


def templates(scene: Scene) -> dict[str, list[str]]:
    """Valid bodies of each XML endpoint, for the fuzz to mutate."""
    bid, ivs, alice = scene.binding_id, scene.next_ivs, scene.alice
    return {
        "/edev": [end_device(alice.lfdi)],
        "/mup": [
            mup(f"{MRID_BASE}4000", uid("S-F"), alice.lfdi),
            mup(f"{MRID_BASE}4001", uid("S-F"), alice.lfdi, mmr(bid, ivs)),
        ],
        scene.mirror: [mmr(bid, ivs, pev="PEV-ALICE"), mmr(bid, ivs, tag="MirrorMeterReadingList")],
        f"/edev/{alice.sfdi}/frq": [frq(bid, ivs[0][0], 3600, 1000, 1000)],
        "/rsps/dlc/rsp": [
            f'<Response xmlns="urn:ieee:std:2030.5:ns"><createdDateTime>{ivs[0][0]}'
            f"</createdDateTime><endDeviceLFDI>{alice.lfdi}</endDeviceLFDI><status>1</status>"
            f"<subject>{MRID_BASE}0000</subject></Response>"
        ],
    }


def fuzz(scene: Scene, path: str, bodies: list[str], examples: int) -> Counter[int]:
    """POST ``examples`` generated payloads to ``path`` as Alice (certificate and
    token); a 5xx fails (shrunk to the smallest payload). The statuses, counted."""
    statuses: Counter[int] = Counter()
    with client(scene, scene.alice, "ESI-ALICE") as c:

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(payloads(bodies))
        def post(payload: tuple[bytes, str]) -> None:
            body, ctype = payload
            r = c.post(path, content=body, headers={"Content-Type": ctype} if ctype else {})
            statuses[r.status_code] += 1
            assert r.status_code < 500, (path, body, ctype, r.status_code, r.text)

        post()
    return statuses


@pytest.mark.parametrize("endpoint", range(5))
def test_fuzzed_xml_never_gets_a_server_error(scene: Scene, endpoint: int) -> None:
    path, bodies = list(templates(scene).items())[endpoint]
    statuses = fuzz(scene, path, bodies, EXAMPLES)
    assert sum(statuses.values()) >= EXAMPLES // 2 and max(statuses) < 500
