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
4. **The session's messages**, each as the 2030.5 resource :mod:`rig.esi.sep2_bodies`
   maps it to: the **binding** a ``PEVBinding`` posted under the ESI's EndDevice (the
   rig's one extension: 2030.5 has no binding resource) and read back with the
   answer; the **energy request** a FlowReservationRequest to the EndDevice's
   ``FlowReservationRequestListLink``, the grant the FlowReservationResponse with
   its mRID as ``subject`` in ``FlowReservationResponseListLink``; each **interval
   report** and the **close** a MirrorMeterReading posted to the session's
   MirrorUsagePoint (``POST`` to ``MirrorUsagePointListLink`` once per session: the
   server's ``Location`` is where its readings go).
5. **Signals**, polled at ``pollRate`` on the rig's clock (a poll before then answers
   what the last one read): DRLC events (DLC and ALM, with their kW limit) and
   hourly prices (:mod:`rig.esi.sep2_signals`). Each event that asks for it
   (``responseRequired`` bit 0) is acknowledged once with a Response, status 1
   (event received), ``POST``-ed to its ``replyTo``.

**Audit (BR-10).** One ESI transaction is several 2030.5 requests (a binding is a
``POST`` and a ``GET``; a poll reads every function set), so the link notes each in
the ESI's audit log (:meth:`Sep2Link.log_to`): key ``METHOD path``, target the path,
kind ``signals`` for a ``GET`` (a read of the utility's resources, as the JSON link's
signal polls are) and the ESI's transaction kind for a ``POST``.

A function set the server does not link raises :class:`~rig.esi.link.NotOffered`,
naming the 2030.5 resource it needs — never a fallback to the JSON API.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from envoy_schema.server.schema.sep2.device_capability import DeviceCapabilityResponse
from envoy_schema.server.schema.sep2.end_device import (
    EndDeviceListResponse,
    EndDeviceRequest,
    EndDeviceResponse,
    RegistrationResponse,
)
from envoy_schema.server.schema.sep2.response import ResponseType
from envoy_schema.server.schema.sep2.time import TimeResponse
from pydantic import ValidationError
from pydantic_xml import BaseXmlModel
from pydantic_xml.errors import ParsingError
from sep2tools.cert_id import get_sfdi

from rig.esi import sep2_bodies as bodies
from rig.esi.audit import AuditLog, Outcome
from rig.esi.link import HttpLink, NotOffered, Unreachable, UnreachableLog, UtilityProtocol
from rig.esi.outbox import Rejected
from rig.esi.sep2_signals import dr_events, prices
from rig.services.sep2_binding import BINDINGS, PEVBinding
from rig.services.sep2_common import SEP_XML
from rig.services.sep2_flow import FlowReservationResponseList, ResponseIn
from rig.services.sep2_tls import Sep2Tls

M = TypeVar("M", bound=BaseXmlModel)


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
    resolution_s = 1.0
    """2030.5 times are whole epoch seconds."""

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
        self._prices: list[dict[str, Any]] = []
        self._next_price_poll = float("-inf")
        """Prices are read at the TariffProfileList's pollRate, DRLC events at pollRate."""
        self._acknowledged: set[str] = set()
        self._mirrors: dict[str, str] = {}
        """Session ID → its MirrorUsagePoint's href."""
        self._interval_s: int | None = None
        """The utility's metering interval, from the last binding answer."""
        self._audit: AuditLog | None = None
        self._kind = "registration"
        """The ESI transaction the link's POSTs are part of (for the audit log)."""

    # ----------------------------------------------------------------- resources

    def log_to(self, audit: AuditLog) -> None:
        self._audit = audit

    def exchange(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request (:meth:`HttpLink.exchange`), noted in the ESI's audit log."""
        kind = "signals" if method == "GET" else self._kind
        try:
            response = super().exchange(method, path, **options)
        except Unreachable as error:
            self._note(kind, method, path, "failed", str(error))
            raise
        except Rejected as error:
            self._note(kind, method, path, "rejected", str(error))
            raise
        self._note(kind, method, path, "sent", "")
        return response

    def _note(self, kind: str, method: str, path: str, outcome: Outcome, detail: str) -> None:
        if self._audit is not None:
            self._audit.record(kind, f"{method} {path}", path, outcome, attempt=1, detail=detail)

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

    def write(self, href: str, body: BaseXmlModel) -> str:
        """``POST`` ``body`` to ``href``; the ``Location`` the server answers (else ``href``)."""
        xml = body.to_xml(skip_empty=True, exclude_none=True)
        response = self.exchange("POST", href, content=xml, headers={"Content-Type": SEP_XML})
        return str(response.headers.get("Location", href))

    def _linked(self, link: Any, what: str) -> str:
        """The href of a link the server returned; :class:`NotOffered` if it has none."""
        if link is None:
            raise NotOffered(f"{self.name} (IEEE 2030.5): the server links no {what}")
        return str(link.href)

    # ----------------------------------------------------------------- UtilityLink

    def bind(self, body: dict[str, Any]) -> dict[str, Any]:
        """The binding as a PEVBinding under the ESI's EndDevice, read back answered."""
        self.discover()
        self._kind = "binding"
        assert self.device is not None
        where = self.write(f"{self.device.href}/{BINDINGS}", bodies.pev_binding(body))
        answer = bodies.binding_answer(self.read(where, PEVBinding), body)
        self._interval_s = int(answer["interval_s"])
        return answer

    def request_energy(self, binding_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The energy request as a FlowReservationRequest; the grant its response."""
        self.discover()
        self._kind = "energy_request"
        assert self.device is not None
        asked = bodies.flow_request(binding_id, body, self._now())
        self.write(
            self._linked(self.device.FlowReservationRequestListLink, "FlowReservationRequestList"),
            asked,
        )
        answers = self.read(
            self._linked(
                self.device.FlowReservationResponseListLink, "FlowReservationResponseList"
            ),
            FlowReservationResponseList,
        )
        for answer in answers.FlowReservationResponse_ or []:
            if answer.subject.upper() == asked.mRID:
                return bodies.grant(asked, answer)
        raise Rejected(f"{self.name}: no FlowReservationResponse answers request {asked.mRID}")

    def report(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Intervals or the close as a MirrorMeterReading on the session's mirror."""
        dcap = self.discover()
        self._kind = "close" if body.get("close") else "interval"
        mirror = self._mirrors.get(session_id)
        if mirror is None:
            mirror = self.write(
                self._linked(
                    dcap.MirrorUsagePointListLink, "MirrorUsagePointList (metering mirror)"
                ),
                bodies.usage_point(session_id, self.lfdi, self._interval_s),
            )
            self._mirrors[session_id] = mirror
        self.write(mirror, bodies.meter_reading(session_id, body, self._interval_s))
        return {"session_id": session_id}

    def signals(self, since: int, premise_id: str) -> dict[str, Any]:
        """DLC and ALM events and hourly prices as a JSON ``SignalsPage`` (see the
        module docstring); each new event that asks for it is acknowledged.

        2030.5 has no cursor: each poll reads the function sets whole, and ``next_since``
        stays ``since`` (the ESI takes a signal heard again as the same signal). The
        server's resources are per caller, so ``premise_id`` is the ESI's own.
        """
        dcap = self.discover()
        if self._now() >= self._next_poll:
            self._next_poll = self._now() + self.poll_rate_s  # a failed poll waits too
            events = dr_events(self.read, dcap)
            if self._now() >= self._next_price_poll:
                self._next_price_poll = self._now() + self.poll_rate_s
                self._prices, rate = prices(self.read, dcap)
                self._next_price_poll += max(0, rate - self.poll_rate_s)
            self._signals = [heard for _, heard in events] + self._prices
            for event, _ in events:
                self._acknowledge(event.mrid, event.reply_to, event.response_required)
        return {"signals": list(self._signals), "next_since": since}

    def next_poll(self) -> float | None:
        """The next poll at ``pollRate`` once polling has begun (before: at once)."""
        return self._next_poll if self.dcap is not None and self.poll_rate_s > 0 else None

    def _acknowledge(self, mrid: str, reply_to: str | None, required: int) -> None:
        """Response "event received" to an event that asks for one, once (a failed
        one is tried again at the next poll)."""
        if reply_to is None or not required & 1 or mrid in self._acknowledged:
            return
        self._kind = "response"
        received = ResponseIn(
            createdDateTime=int(self._now()),
            endDeviceLFDI=self.lfdi,
            status=ResponseType.EVENT_RECEIVED,
            subject=mrid,
        )
        try:
            self.write(reply_to, received)
        except (Unreachable, Rejected):
            return
        self._acknowledged.add(mrid)
