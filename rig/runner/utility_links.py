"""The ESI's line to each utility of the data set, over the protocol the run chose."""

from __future__ import annotations

from rig.clock import Clock
from rig.esi.connect import open_utility_link
from rig.esi.link import UnreachableLog, UtilityLink, UtilityProtocol
from rig.runner.facts import Place
from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_api import pin


def open_links(
    protocol: UtilityProtocol,
    place: Place,
    endpoints: ServiceEndpoints,
    clock: Clock,
    log: UnreachableLog,
) -> dict[str, UtilityLink]:
    """The ESI's link to each utility of the data set, over ``protocol``.

    Over IEEE 2030.5 a utility without a 2030.5 server among the endpoints is a
    :class:`LookupError` (never the JSON API instead); the registration PIN is the
    bundled server's (:func:`rig.services.sep2_api.pin`), the data set being the
    out-of-band channel it comes by. With :attr:`ServiceEndpoints.sep2_tls` the ESI
    presents its own client certificate (its device's LFDI) to ``https://`` servers.
    """
    urls = endpoints.urls if protocol == "rest" else endpoints.sep2_urls
    missing = [u for u in endpoints.dataset.utilities if u not in urls]
    if protocol != "rest" and place.utility.id in missing:
        raise LookupError(
            f"{place.utility.id} has no IEEE 2030.5 server among the services' endpoints "
            f"(known: {', '.join(urls) or 'none'})"
        )
    tls = endpoints.sep2_tls.for_esi(place.esi_id) if endpoints.sep2_tls else None
    return {
        uid: open_utility_link(
            protocol,
            uid,
            url,
            endpoints.token(place.esi_id),
            esi_id=place.esi_id,
            pin=pin(uid, place.esi_id),
            now=clock.now,
            log=log,
            tls=tls,
        )
        for uid, url in urls.items()
        if uid in endpoints.dataset.utilities
    }
