"""The ESI's utility link over IEEE 2030.5 (SEP 2): the ``ieee2030.5`` utility protocol.

:class:`Sep2Link` is a :class:`~rig.esi.link.UtilityLink` that speaks 2030.5
resources as ``application/sep+xml`` to a utility server (the bundled one is
:mod:`rig.services.sep2_api`). Every body is parsed and written with the
pydantic-xml models of ``envoy-schema`` — the same model set the bundled server
writes with, loosened where envoy requires CSIP-AUS extensions that plain 2030.5
does not have (the server's own subclasses are reused; nothing here writes XML).

What a 2030.5 client does, in order, and what the link does:

1. **Discovery.** ``GET /dcap`` (DeviceCapability) and follow the links it returns —
   nothing but ``/dcap`` is a known path. Its ``pollRate`` is how often the link
   polls the function sets below.
2. **Time.** ``GET`` the TimeLink: :attr:`Sep2Link.server_offset_s` is the server's
   ``currentTime`` minus the rig's clock at discovery (0 on the bundled services,
   which share the rig's clock; the link reports, it does not correct).
3. **Registration.** Look for the ESI's EndDevice (its LFDI) in the EndDeviceList;
   if it is not there, ``POST`` an EndDevice (LFDI, SFDI from the LFDI via
   ``sep2tools``). Then ``GET`` its Registration and check the PIN against the one
   the ESI was given out of band: a mismatch is :class:`RegistrationFailed`, and the
   link talks no further (2030.5 §6.11: the PIN is how the device knows the server is
   the one it was installed for).
   Over TLS (``tls``, :class:`~rig.services.sep2_tls.Sep2Tls`) the link presents its
   client certificate and *is* that certificate's device: the LFDI is the
   certificate's fingerprint (``sep2tools``), the SFDI follows from it. Without TLS it
   stands in an LFDI made from the ESI's ID (:func:`stand_in_lfdi`).
4. **Signals**, polled at ``pollRate`` on the rig's clock (a poll before then answers
   what the last one read): every DemandResponseProgram's EndDeviceControls become
   ``dlc`` signals (the event's interval; 2030.5's EndDeviceControl carries no
   absolute kW cap, so ``limit_kw`` is ``None``), and every TimeTariffInterval on
   the hourly tier (``touTier`` TOU_D, the bundled server's mark for PG-RTP prices)
   becomes a ``price`` signal, its price from its ConsumptionTariffInterval
   (``price`` × 10^``pricePowerOfTenMultiplier``).

Operations the server does not offer raise :class:`~rig.esi.link.NotOffered`,
naming the 2030.5 resource they need — never a fallback to the JSON API:

- **binding** (BR-05, BR-12: bound, incentive, scenario, payer account, tariff):
  2030.5 validates the *device* (registration, done first), but the binding's
  answer has no 2030.5 resource on the bundled server (the billing function set,
  CustomerAccount/CustomerAgreement, is not linked from its DeviceCapability);
- **energy request** (BR-07): FlowReservationRequest/Response, linked from the
  EndDevice (``FlowReservationRequestListLink``);
- **interval reports and the session's close** (BR-09, BR-12): the metering mirror,
  ``MirrorUsagePointListLink`` on the DeviceCapability.

The message says whether the server links the resource: when it does, the client
side is the piece still to write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from envoy_schema.server.schema.sep2.der import (
    DemandResponseProgramListResponse,
)
from envoy_schema.server.schema.sep2.device_capability import DeviceCapabilityResponse
from envoy_schema.server.schema.sep2.end_device import (
    EndDeviceListResponse,
    EndDeviceRequest,
    EndDeviceResponse,
    RegistrationResponse,
)
from envoy_schema.server.schema.sep2.pricing import (
    ConsumptionTariffIntervalListResponse,
    RateComponentListResponse,
    TariffProfileListResponse,
    TimeTariffIntervalListResponse,
)
from envoy_schema.server.schema.sep2.time import TimeResponse
from pydantic import ValidationError
from pydantic_xml import BaseXmlModel, element
from pydantic_xml.errors import ParsingError
from sep2tools.cert_id import get_sfdi

from rig.domain.tariff import RatePeriod
from rig.esi.link import HttpLink, NotOffered, UnreachableLog, UtilityProtocol
from rig.esi.outbox import Rejected
from rig.services.sep2_common import SEP_XML
from rig.services.sep2_drlc import EndDeviceControlListResponse
from rig.services.sep2_pricing import TOU_TIERS
from rig.services.sep2_pricing import TariffProfile as PlainTariffProfile
from rig.services.sep2_pricing import TimeTariffInterval as PlainTimeTariffInterval
from rig.services.sep2_tls import Sep2Tls

M = TypeVar("M", bound=BaseXmlModel)
HOURLY_TIER = TOU_TIERS[RatePeriod.HOURLY]
"""The touTier the bundled server gives hourly (PG-RTP) prices."""


class TariffProfileList(TariffProfileListResponse, tag="TariffProfileList"):
    """envoy's list, holding the plain-2030.5 TariffProfile (no CSIP-AUS link required)."""

    TariffProfile: list[PlainTariffProfile] | None = element(default=None)  # type: ignore[assignment]


class TimeTariffIntervalList(TimeTariffIntervalListResponse, tag="TimeTariffIntervalList"):
    """envoy's list, holding the plain-2030.5 TimeTariffInterval."""

    TimeTariffInterval: list[PlainTimeTariffInterval] | None = element(default=None)  # type: ignore[assignment]


class RegistrationFailed(Rejected):
    """The server's Registration does not carry the PIN the ESI was given: not its utility."""


def stand_in_lfdi(esi_id: str) -> str:
    """The ESI's LFDI when the link presents no device certificate (plain HTTP).

    2030.5 takes the LFDI from the first 160 bits of the SHA-256 of the device
    certificate; here, of a stand-in text naming the ESI: stable, and unique per ESI.
    """
    return hashlib.sha256(f"rig ESI certificate {esi_id}".encode()).hexdigest()[:40].upper()


class Sep2Link(HttpLink):
    """The ``ieee2030.5`` utility protocol; see the module docstring."""

    protocol: UtilityProtocol = "ieee2030.5"

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str,
        *,
        lfdi: str,
        pin: int,
        now: Callable[[], float],
        timeout_s: float = 10.0,
        log: UnreachableLog | None = None,
        tls: Sep2Tls | None = None,
    ) -> None:
        context = tls.client_context() if tls is not None else None
        super().__init__(name, base_url, token, timeout_s=timeout_s, log=log, tls=context)
        self.lfdi = tls.lfdi if tls is not None else lfdi
        self.sfdi = int(get_sfdi(self.lfdi, group=False))
        self.pin = pin
        self._now = now
        self.dcap: DeviceCapabilityResponse | None = None
        self.device: EndDeviceResponse | None = None
        self.poll_rate_s = 0.0
        self.server_offset_s = 0.0
        self._next_poll = float("-inf")
        self._signals: list[dict[str, Any]] = []

    # ----------------------------------------------------------------- resources

    def read(self, href: str, model: type[M]) -> M:
        """``GET href`` as ``model``; an answer that is not that resource is ``Rejected``."""
        response = self.exchange("GET", href, headers={"Accept": SEP_XML})
        try:
            return model.from_xml(response.content)
        except (ParsingError, ValidationError, ValueError, SyntaxError) as error:
            raise Rejected(f"{self.name} GET {href}: not a {model.__xml_tag__}: {error}") from None

    def discover(self) -> DeviceCapabilityResponse:
        """DeviceCapability, Time and the ESI's registration (steps 1–3); once per link."""
        if self.dcap is not None:
            return self.dcap
        dcap = self.read("/dcap", DeviceCapabilityResponse)
        self.poll_rate_s = float(dcap.pollRate or 0)
        if dcap.TimeLink is not None:
            self.server_offset_s = self.read(dcap.TimeLink.href, TimeResponse).currentTime - (
                self._now()
            )
        if dcap.EndDeviceListLink is None:
            raise NotOffered(f"{self.name}: DeviceCapability links no EndDeviceList to register")
        self.device = self._register(dcap.EndDeviceListLink.href)
        self.dcap = dcap
        return dcap

    def _register(self, edev_href: str) -> EndDeviceResponse:
        mine = self._find_device(edev_href)
        if mine is None:
            body = EndDeviceRequest(lFDI=self.lfdi, sFDI=self.sfdi, changedTime=int(self._now()))
            xml = body.to_xml(skip_empty=True, exclude_none=True)
            self.exchange("POST", edev_href, content=xml, headers={"Content-Type": SEP_XML})
            mine = self._find_device(edev_href)
        if mine is None or mine.RegistrationLink is None:
            raise RegistrationFailed(f"{self.name}: the EndDevice {self.lfdi} was not registered")
        registration = self.read(mine.RegistrationLink.href, RegistrationResponse)
        if registration.pIN != self.pin:
            raise RegistrationFailed(
                f"{self.name}: Registration PIN {registration.pIN} is not the ESI's {self.pin}"
            )
        return mine

    def _find_device(self, edev_href: str) -> EndDeviceResponse | None:
        listed = self.read(edev_href, EndDeviceListResponse).EndDevice or []
        return next((d for d in listed if (d.lFDI or "").upper() == self.lfdi), None)

    # ----------------------------------------------------------------- UtilityLink

    def bind(self, body: dict[str, Any]) -> dict[str, Any]:
        dcap = self.discover()
        linked = "links" if dcap.CustomerAccountListLink else "does not link"
        raise NotOffered(
            f"{self.name} (IEEE 2030.5): binding PEV {body.get('pev_id')} at premise "
            f"{body.get('premise_id')}: the ESI's EndDevice {self.lfdi} is registered (PIN "
            "checked), but no 2030.5 resource answers the binding (bound, incentive, "
            "scenario, payer account, tariff); the billing function set "
            f"(CustomerAccountList), which the server {linked}, is not read by this client yet"
        )

    def request_energy(self, binding_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.discover()
        assert self.device is not None
        linked = "links" if self.device.FlowReservationRequestListLink else "does not link"
        raise NotOffered(
            f"{self.name} (IEEE 2030.5): energy request of {binding_id}: needs "
            f"FlowReservationRequest/Response, which the server's EndDevice {linked}; "
            "not written in this client yet"
        )

    def report(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        dcap = self.discover()
        linked = "links" if dcap.MirrorUsagePointListLink else "does not link"
        raise NotOffered(
            f"{self.name} (IEEE 2030.5): report of session {session_id}: needs the metering "
            f"mirror (MirrorUsagePoint, MirrorMeterReading), which the server's "
            f"DeviceCapability {linked}; not written in this client yet"
        )

    def signals(self, since: int, premise_id: str) -> dict[str, Any]:
        """DLC events and hourly prices as a JSON ``SignalsPage`` (see the module docstring).

        2030.5 has no cursor: each poll reads the function sets whole, and ``next_since``
        stays ``since`` (the ESI takes a signal heard again as the same signal). The
        server's resources are per caller, so ``premise_id`` is the ESI's own.
        """
        dcap = self.discover()
        if self._now() >= self._next_poll:
            self._signals = self._dlc(dcap) + self._prices(dcap)
            self._next_poll = self._now() + self.poll_rate_s
        return {"signals": list(self._signals), "next_since": since}

    def _dlc(self, dcap: DeviceCapabilityResponse) -> list[dict[str, Any]]:
        if dcap.DemandResponseProgramListLink is None:
            return []
        programs = self.read(
            dcap.DemandResponseProgramListLink.href, DemandResponseProgramListResponse
        )
        found = []
        for program in programs.DemandResponseProgram or []:
            if program.EndDeviceControlListLink is None:
                continue
            controls = self.read(
                program.EndDeviceControlListLink.href, EndDeviceControlListResponse
            )
            for control in controls.EndDeviceControl or []:
                start = control.interval.start
                found.append(
                    _signal("dlc", start, start + control.interval.duration, None, None, None)
                )
        return found

    def _prices(self, dcap: DeviceCapabilityResponse) -> list[dict[str, Any]]:
        if dcap.TariffProfileListLink is None:
            return []
        found = []
        for profile in (
            self.read(dcap.TariffProfileListLink.href, TariffProfileList).TariffProfile or []
        ):
            if profile.RateComponentListLink is None:
                continue
            scale = Decimal(10) ** (profile.pricePowerOfTenMultiplier or 0)
            tariff_id = profile.description or profile.rateCode
            components = self.read(profile.RateComponentListLink.href, RateComponentListResponse)
            for component in components.RateComponent or []:
                intervals = self.read(
                    component.TimeTariffIntervalListLink.href, TimeTariffIntervalList
                )
                for tti in intervals.TimeTariffInterval or []:
                    if tti.touTier != HOURLY_TIER:
                        continue
                    ctis = (
                        self.read(
                            tti.ConsumptionTariffIntervalListLink.href,
                            ConsumptionTariffIntervalListResponse,
                        ).ConsumptionTariffInterval
                        or []
                    )
                    if not ctis or ctis[0].price is None:
                        continue
                    start = tti.interval.start
                    end = start + tti.interval.duration
                    price = Decimal(ctis[0].price) * scale
                    found.append(_signal("price", start, end, None, price, tariff_id))
        return found


def _signal(
    kind: str,
    start: int,
    end: int,
    limit_kw: Decimal | None,
    price: Decimal | None,
    tariff_id: str | None,
) -> dict[str, Any]:
    """One signal in the JSON API's ``SignalOut`` shape (the fields the ESI reads)."""
    return {
        "kind": kind,
        "effective_from": datetime.fromtimestamp(start, UTC).isoformat(),
        "effective_until": datetime.fromtimestamp(end, UTC).isoformat(),
        "limit_kw": None if limit_kw is None else str(limit_kw),
        "price": None if price is None else str(_plain(price)),
        "tariff_id": tariff_id,
    }


def _plain(value: Decimal) -> Decimal:
    """``0.250000`` → ``0.25``, ``1E+1`` → ``10``: the price as the data set writes it."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value
