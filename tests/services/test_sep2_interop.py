"""A 2030.5 client written by others (``py20305``, DER Security / SunSpec Project Satori)
walks the bundled utility's 2030.5 server; what it reads must agree with the JSON API.

``py20305`` parses every answer with its own xsdata models generated from the
2030.5 schema, so a body the rig's server wrote wrongly fails here even where
the rig's own tests would read it leniently. The client sends the ESI's bearer
token as an extra header (plain HTTP, 127.0.0.1; TLS is not built yet).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from py20305.client.http import Sep2Client
from py20305.models.sep import (
    ConsumptionTariffIntervalList,
    DemandResponseProgramList,
    DeviceCapability,
    EndDevice,
    EndDeviceControlList,
    EndDeviceList,
    RateComponentList,
    Registration,
    Sfditype,
    TariffProfileList,
    Time,
    TimeTariffIntervalList,
    TimeType,
)
from sep2tools.cert_id import get_sfdi

from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_api import POLL_RATE_S, pin
from rig.services.sep2_drlc import UNTIL_FURTHER_NOTICE


def val(x: Any) -> Any:
    """The value of an xsdata simple-type wrapper (``TimeType(value=…)``), or ``x``."""
    return getattr(x, "value", x)


def href(link: Any) -> str:
    assert link is not None and link.href, link
    return str(link.href)


async def walk(url: str, token: str) -> dict[str, Any]:
    """Discovery from /dcap, following only the links the server returns."""
    seen: dict[str, Any] = {}
    async with Sep2Client(url, request_headers={"Authorization": f"Bearer {token}"}) as c:
        dcap = await c.get("/dcap", DeviceCapability)
        seen["poll_rate"] = val(dcap.poll_rate)
        seen["time"] = val((await c.get(href(dcap.time_link), Time)).current_time)

        lfdi = hashlib.sha256(b"py20305 interop device").hexdigest()[:40].upper()
        sfdi = int(get_sfdi(lfdi, group=False))
        device = EndDevice(
            l_fdi=bytes.fromhex(lfdi), s_fdi=Sfditype(value=sfdi), changed_time=TimeType(value=0)
        )
        location = await c.post(href(dcap.end_device_list_link), device)
        pages = await c.get_list(href(dcap.end_device_list_link), EndDeviceList)
        devices = [d for page in pages for d in page.end_device]
        mine = next(d for d in devices if val(d.s_fdi) == sfdi)
        registration = await c.get(href(mine.registration_link), Registration)
        seen["registration"] = (location, sfdi, val(registration.p_in))

        prices: dict[str, list[tuple[int, int, int]]] = {}
        for page in await c.get_list(href(dcap.tariff_profile_list_link), TariffProfileList):
            for tp in page.tariff_profile:
                rcs = await c.get(href(tp.rate_component_list_link), RateComponentList)
                rc = rcs.rate_component[0]
                ttis = await c.get(href(rc.time_tariff_interval_list_link), TimeTariffIntervalList)
                spans = []
                for tti in ttis.time_tariff_interval[:3]:
                    ctis = await c.get(
                        href(tti.consumption_tariff_interval_list_link),
                        ConsumptionTariffIntervalList,
                    )
                    price = val(ctis.consumption_tariff_interval[0].price)
                    spans.append((val(tti.interval.start), val(tti.interval.duration), price))
                prices[str(val(tp.description))] = spans
        seen["prices"] = prices

        programs = await c.get(
            href(dcap.demand_response_program_list_link), DemandResponseProgramList
        )
        events = set()
        for program in programs.demand_response_program:
            edcs = await c.get(href(program.end_device_control_list_link), EndDeviceControlList)
            for e in edcs.end_device_control:
                events.add((val(e.description), val(e.interval.start), val(e.interval.duration)))
        seen["events"] = events
    return seen


def test_py20305_walks_the_server_and_agrees_with_the_json_api(svc: ServiceEndpoints) -> None:
    seen = asyncio.run(walk(svc.sep2_urls["HPL"], svc.token("ESI-ALICE")))

    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        health = c.get("/health").json()
        signals = c.get("/signals").json()["signals"]

    assert seen["poll_rate"] == POLL_RATE_S
    assert abs(seen["time"] - datetime.fromisoformat(health["now"]).timestamp()) <= 1

    location, sfdi, shown_pin = seen["registration"]
    assert location.endswith(f"/edev/{sfdi}")
    assert shown_pin == pin("HPL", "ESI-ALICE")

    tariffs = {t.id: t for t in svc.dataset.utilities["HPL"].tariffs}
    assert set(seen["prices"]) == set(tariffs)
    for tariff_id, spans in seen["prices"].items():
        rates = {Decimal(str(e.price_components[0].price)) for e in tariffs[tariff_id].elements}
        rates |= {Decimal(str(hp.price)) for hp in tariffs[tariff_id].hourly_prices}
        assert spans, tariff_id
        for _start, duration, price in spans:
            assert duration > 0 and Decimal(price).scaleb(-6) in rates

    def stamp(text: str) -> int:
        return int(datetime.fromisoformat(text).timestamp())

    expected = {
        (
            s["signal_id"],
            stamp(s["effective_from"]),
            UNTIL_FURTHER_NOTICE
            if s["effective_until"] is None
            else stamp(s["effective_until"]) - stamp(s["effective_from"]),
        )
        for s in signals
        if s["kind"] in ("dlc", "alm")
    }
    assert expected and seen["events"] == expected
