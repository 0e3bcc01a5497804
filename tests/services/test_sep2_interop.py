"""A 2030.5 client written by others (``py20305``, DER Security / SunSpec Project Satori)
walks the bundled utility's 2030.5 server; what it reads must agree with the JSON API.

``py20305`` parses every answer with its own xsdata models generated from the
2030.5 schema, so a body the rig's server wrote wrongly fails here even where
the rig's own tests would read it leniently. The client sends the ESI's bearer
token as an extra header. Each test runs twice: over plain HTTP, and over mutual
TLS with py20305's own TLS set-up and a client certificate from the throw-away
test CA (:mod:`rig.services.sep2_tls`); over TLS py20305 registers the device of
its certificate, with the LFDI *it* computes from the certificate.
The walk runs once more against ``rig serve --sep2-test-ca`` as a separate process
(the issue's "a third-party 2030.5 client's test passes against ``rig serve``").

The second test mirrors a metering session with py20305's own models: a
MirrorUsagePoint with a MirrorMeterReading of interval Readings (BR-09), then the
close; it reads the MirrorUsagePointList and the usage point back and compares
them with the JSON API's session record.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from py20305.client.http import Sep2Client
from py20305.client.tls import TlsConfig
from py20305.models.sep import (
    ConsumptionTariffIntervalList,
    DateTimeInterval,
    DemandResponseProgramList,
    DeviceCapability,
    EndDevice,
    EndDeviceControlList,
    EndDeviceList,
    MirrorMeterReading,
    MirrorReadingSet,
    MirrorUsagePoint,
    MirrorUsagePointList,
    MRidtype,
    RateComponentList,
    Reading,
    ReadingType,
    Registration,
    RoleFlagsType,
    ServiceKind,
    Sfditype,
    TariffProfileList,
    Time,
    TimeTariffIntervalList,
    TimeType,
    UomType,
)
from sep2tools.cert_id import get_sfdi

from rig.services.dataset import load_dataset
from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_api import POLL_RATE_S, pin
from rig.services.sep2_drlc import UNTIL_FURTHER_NOTICE
from rig.services.sep2_tls import Sep2Tls
from rig.services.testing import DEFAULT_DATA
from tests.services.helpers import bind, clock_of, now, uid
from tests.services.test_sep2_tls import tls_svc
from tests.services.test_serve import serve

__all__ = ["tls_svc"]  # the mutual-TLS cluster, shared


def val(x: Any) -> Any:
    """The value of an xsdata simple-type wrapper (``TimeType(value=…)``), or ``x``."""
    return getattr(x, "value", x)


def href(link: Any) -> str:
    assert link is not None and link.href, link
    return str(link.href)


PY20305_LFDI = hashlib.sha256(b"py20305 interop device").hexdigest()[:40].upper()


@dataclass
class Target:
    """The server py20305 talks to: over plain HTTP, or mutual TLS as a device."""

    svc: ServiceEndpoints
    tls: TlsConfig | None = None
    lfdi: str = PY20305_LFDI

    def client(self) -> Sep2Client:
        token = self.svc.token("ESI-ALICE")
        headers = {"Authorization": f"Bearer {token}"}
        return Sep2Client(self.svc.sep2_urls["HPL"], tls=self.tls, request_headers=headers)


@pytest.fixture(params=["http", "mutual TLS"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "http":
        return Target(request.getfixturevalue("svc"))
    svc, ca = request.getfixturevalue("tls_svc")
    device = ca.client_tls(f"py20305-{uuid.uuid4().hex[:8]}")
    tls = TlsConfig(client_cert=device.certfile, client_key=device.keyfile, ca_cert=device.ca_certs)
    return Target(svc, tls, device.lfdi)


def end_device(lfdi: str) -> EndDevice:
    sfdi = int(get_sfdi(lfdi, group=False))
    return EndDevice(
        l_fdi=bytes.fromhex(lfdi), s_fdi=Sfditype(value=sfdi), changed_time=TimeType(value=0)
    )


async def walk(target: Target) -> dict[str, Any]:
    """Discovery from /dcap, following only the links the server returns."""
    seen: dict[str, Any] = {}
    async with target.client() as c:
        if target.tls is not None:  # py20305's LFDI of its certificate is the rig's
            assert (c.client_lfdi or "").replace("-", "").upper() == target.lfdi
        dcap = await c.get("/dcap", DeviceCapability)
        seen["poll_rate"] = val(dcap.poll_rate)
        seen["time"] = val((await c.get(href(dcap.time_link), Time)).current_time)

        sfdi = int(get_sfdi(target.lfdi, group=False))
        location = await c.post(href(dcap.end_device_list_link), end_device(target.lfdi))
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


def test_py20305_walks_the_server_and_agrees_with_the_json_api(target: Target) -> None:
    seen = asyncio.run(walk(target))
    agrees_with_the_json_api(target.svc, seen, time_slack_s=1)


def test_py20305_walks_rig_serve_over_mutual_tls(tmp_path: Path) -> None:
    """``rig serve`` as a process, its 2030.5 servers on mutual TLS with a throw-away CA."""
    certs = tmp_path / "certs"
    with serve(tmp_path, "--sep2-test-ca", str(certs)) as (_proc, urls):
        assert urls["HPL:2030.5"].startswith("https://")
        svc = ServiceEndpoints.from_urls(urls, load_dataset(DEFAULT_DATA))
        alice = Sep2Tls(certs / "ESI-ALICE.pem", certs / "ESI-ALICE.key", certs / "ca.pem")
        tls = TlsConfig(
            client_cert=alice.certfile, client_key=alice.keyfile, ca_cert=certs / "ca.pem"
        )
        started = time.monotonic()
        seen = asyncio.run(walk(Target(svc, tls, alice.lfdi)))
        # on the wall clock: Time was read up to the walk's duration before /health
        agrees_with_the_json_api(svc, seen, time_slack_s=1 + time.monotonic() - started)


def agrees_with_the_json_api(
    svc: ServiceEndpoints, seen: dict[str, Any], time_slack_s: float
) -> None:
    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        health = c.get("/health").json()
        signals = c.get("/signals").json()["signals"]

    assert seen["poll_rate"] == POLL_RATE_S
    assert abs(seen["time"] - datetime.fromisoformat(health["now"]).timestamp()) <= time_slack_s

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


def period(start: int, duration: int) -> DateTimeInterval:
    return DateTimeInterval(start=TimeType(value=start), duration=duration)


def mirror_reading(binding_id: str, pev_id: str | None, **parts: Any) -> MirrorMeterReading:
    """A MirrorMeterReading of the binding: interval readings (``mirror_reading_set``)
    and/or the close (``reading``); energy in Wh (uom 72, multiplier 0)."""
    return MirrorMeterReading(
        m_rid=MRidtype(value=bytes.fromhex(uuid.uuid4().hex)),
        description=binding_id,
        reading_type=ReadingType(uom=UomType(value=72), interval_length=900),
        **parts,
    )


async def mirror(
    target: Target, binding_id: str, session_id: str, t0: int, wh: list[int]
) -> dict[str, Any]:
    """Mirror a session with py20305's models; read it back from /mup."""
    async with target.client() as c:
        dcap = await c.get("/dcap", DeviceCapability)
        await c.post(href(dcap.end_device_list_link), end_device(target.lfdi))  # (again)
        mup = MirrorUsagePoint(
            m_rid=MRidtype(value=bytes.fromhex(uuid.uuid4().hex)),
            description=session_id,
            role_flags=RoleFlagsType(value=bytes.fromhex("0045")),
            service_category_kind=ServiceKind(value=0),
            status=1,
            device_lfdi=bytes.fromhex(target.lfdi),
        )
        location = await c.post(href(dcap.mirror_usage_point_list_link), mup)
        assert location, "POST /mup answers a Location"
        readings = [
            Reading(time_period=period(t0 + 900 * i, 900), value=v) for i, v in enumerate(wh)
        ]
        rset = MirrorReadingSet(
            m_rid=MRidtype(value=bytes.fromhex(uuid.uuid4().hex)),
            description="PEV-ALICE",
            time_period=period(t0, 900 * len(wh)),
            reading=readings,
        )
        await c.post(location, mirror_reading(binding_id, "PEV-ALICE", mirror_reading_set=[rset]))
        close = Reading(time_period=period(t0, 900 * len(wh)), value=sum(wh))
        await c.post(location, mirror_reading(binding_id, None, reading=close))

        listed = await c.get(href(dcap.mirror_usage_point_list_link), MirrorUsagePointList)
        shown = await c.get(location, MirrorUsagePoint)
    (meter,) = shown.mirror_meter_reading
    scale = Decimal(10) ** val(meter.reading_type.power_of_ten_multiplier)
    assert meter.reading is not None
    return {
        "location": location,
        "listed": [p.href for p in listed.mirror_usage_point],
        "session": shown.description,
        "device": shown.device_lfdi.hex().upper(),
        "binding": meter.description,
        "pev": [s.description for s in meter.mirror_reading_set],
        "intervals": [
            (val(r.time_period.start), r.time_period.duration, Decimal(r.value) * scale)
            for s in meter.mirror_reading_set
            for r in s.reading
        ],
        "close": (
            val(meter.reading.time_period.start),
            meter.reading.time_period.duration,
            Decimal(meter.reading.value) * scale,
        ),
    }


def test_py20305_mirrors_a_session_and_the_json_api_agrees(target: Target) -> None:
    svc = target.svc
    binding = bind(
        svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", binding_id=uid("B")
    )
    start = now(svc).replace(second=0, microsecond=0)
    clock_of(svc).advance_to(start.timestamp() + 3600)
    session_id, t0, wh = uid("S-PY"), int(start.timestamp()), [1500, 1250, 2000, 1750]
    seen = asyncio.run(mirror(target, binding["binding_id"], session_id, t0, wh))
    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        record = c.get(f"/sessions/{session_id}").json()

    assert seen["location"] in seen["listed"]
    assert (seen["session"], seen["device"]) == (session_id, target.lfdi)
    assert seen["binding"] == record["binding_id"] == binding["binding_id"]
    assert seen["pev"] == [record["pev_id"]] == ["PEV-ALICE"]
    assert record["premise_id"] == "PREM-ALICE" and record["status"] == "closed"
    assert [(s, d) for s, d, _ in seen["intervals"]] == [(t0 + 900 * i, 900) for i in range(4)]
    assert [wh_ for _, _, wh_ in seen["intervals"]] == [Decimal(v) for v in wh]
    assert record["interval_count"] == len(seen["intervals"])
    total_wh = sum(wh_ for _, _, wh_ in seen["intervals"])
    assert Decimal(record["total_energy"]) * 1000 == total_wh
    assert seen["close"] == (t0, 3600, Decimal(sum(wh)))
    assert Decimal(record["reported_energy_kwh"]) * 1000 == seen["close"][2]
    assert datetime.fromisoformat(record["start_date_time"]).timestamp() == t0
    assert datetime.fromisoformat(record["end_date_time"]).timestamp() == t0 + 3600
