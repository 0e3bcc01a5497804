"""Open the ESI's link to its utility by the protocol's name (one of :data:`PROTOCOLS`).

Apart from :mod:`rig.esi.link` (the link protocol, the JSON API's link) and
:mod:`rig.esi.sep2_link` (IEEE 2030.5) so that neither imports the other: the
2030.5 link builds on the HTTP link, and this module knows both.
"""

from __future__ import annotations

from collections.abc import Callable

from rig.esi.link import PROTOCOLS, ServiceLink, UnreachableLog, UtilityLink, UtilityProtocol
from rig.esi.sep2_link import Sep2Link, stand_in_lfdi
from rig.services.sep2_tls import Sep2Tls


def open_utility_link(
    protocol: UtilityProtocol,
    name: str,
    url: str,
    token: str,
    *,
    esi_id: str,
    pin: int | None,
    now: Callable[[], float],
    log: UnreachableLog | None = None,
    tls: Sep2Tls | None = None,
) -> UtilityLink:
    """The ESI's link to utility ``name`` over ``protocol`` at ``url`` (that protocol's
    base URL), as ESI ``esi_id``; ``pin`` is its 2030.5 registration PIN, given out of
    band (unused by ``rest``), ``now`` the rig's clock; ``tls`` the ESI's client
    certificate for a 2030.5 server over ``https://`` (its LFDI is the device's)."""
    if protocol == "rest":
        return ServiceLink(name, url, token, log=log)
    if protocol == "ieee2030.5":
        if pin is None:
            raise ValueError(f"{name}: an IEEE 2030.5 link needs the ESI's registration PIN")
        lfdi = stand_in_lfdi(esi_id)
        return Sep2Link(name, url, token, lfdi=lfdi, pin=pin, now=now, log=log, tls=tls)
    raise ValueError(f"unknown utility protocol {protocol!r}: one of {', '.join(PROTOCOLS)}")
