"""Where a plan's or a test's services are, what data set they hold, whose token is whose.

A :class:`ServiceEndpoints` is what the rest of the rig knows of the back office:
each service's base URL by name (a utility ID or ``clearinghouse``), each
utility's IEEE 2030.5 server, the data set they were started with (for IDs and
credentials) and, when they run in this process, their clock and
:class:`~rig.services.cluster.Cluster`. The runner builds one per plan
(:mod:`rig.runner.world`); tests get one from
:func:`rig.services.testing.running_services`.

Endpoint files (``rig serve --endpoints``, a lab's own head-end) name a utility's
IEEE 2030.5 server under the key ``<utility>:2030.5``; :meth:`ServiceEndpoints.from_urls`
splits such a map.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from rig.clock import Clock
from rig.services.cluster import CLEARINGHOUSE, SEP2_SUFFIX, Cluster
from rig.services.dataset import LoadedDataset
from rig.services.faults import DEFECTS_PATH, FAULT_PATH, ServiceDefects
from rig.services.http import peer_client
from rig.services.sep2_tls import Sep2Tls


@dataclass
class ServiceEndpoints:
    """Where the services are, what data set they hold, and whose token is whose."""

    urls: dict[str, str]
    dataset: LoadedDataset
    clock: Clock | None
    cluster: Cluster | None = None
    sep2_urls: dict[str, str] = field(default_factory=dict)
    """Each utility's IEEE 2030.5 server (:mod:`rig.services.sep2_api`), by utility ID."""
    sep2_tls: Sep2Tls | None = None
    """The ESIs' client certificates for ``https://`` 2030.5 servers (:meth:`Sep2Tls.for_esi`)."""

    @classmethod
    def from_urls(cls, urls: Mapping[str, str], dataset: LoadedDataset) -> ServiceEndpoints:
        """Services running elsewhere, from an endpoints map (``<utility>:2030.5`` keys too)."""
        return cls(
            urls={k: str(v) for k, v in urls.items() if not k.endswith(SEP2_SUFFIX)},
            dataset=dataset,
            clock=None,
            sep2_urls={
                k.removesuffix(SEP2_SUFFIX): str(v)
                for k, v in urls.items()
                if k.endswith(SEP2_SUFFIX)
            },
        )

    @classmethod
    def of(cls, cluster: Cluster) -> ServiceEndpoints:
        """The services of a cluster started in this process, on its clock."""
        return cls(
            urls=dict(cluster.endpoints),
            dataset=cluster.dataset,
            clock=cluster.clock,
            cluster=cluster,
            sep2_urls=dict(cluster.sep2_endpoints),
        )

    def token(self, caller_id: str) -> str:
        """The bearer token of an ESI, a utility or the clearinghouse, by ID."""
        data = self.dataset.data
        if caller_id in (data.clearinghouse.id, CLEARINGHOUSE):
            return data.clearinghouse.token
        if caller_id in self.dataset.utilities:
            return self.dataset.utilities[caller_id].token
        if caller_id in self.dataset.esis:
            return self.dataset.esis[caller_id][0].token
        raise KeyError(f"no caller '{caller_id}' in the data set")

    def client(self, service: str, as_caller: str | None = None) -> httpx.Client:
        """An ``httpx.Client`` for ``service``, authenticated as ``as_caller`` if given."""
        headers = {"Authorization": f"Bearer {self.token(as_caller)}"} if as_caller else {}
        return httpx.Client(base_url=self.urls[service], headers=headers, timeout=10.0)

    def set_reachable(self, service: str, reachable: bool) -> None:
        """Cut (503 to every request) or restore one service (a utility ID or ``clearinghouse``).

        In-process through the cluster; otherwise over HTTP (``PUT /_fault/reachable``
        with the service's own credential), so it also works for services started in
        another process. An external back office without that switch raises
        :class:`NoFaultSwitch`.
        """
        if self.cluster is not None:
            self.cluster.set_reachable(service, reachable)
            return
        self._fault_switch(service, FAULT_PATH, {"reachable": reachable})

    def inject(self, service: str, defects: ServiceDefects) -> None:
        """Make one service defective on purpose, in-process or over HTTP (``PUT
        /_fault/defects``); :class:`NoFaultSwitch` where the service has no such door."""
        if self.cluster is not None:
            self.cluster.inject(service, defects)
            return
        self._fault_switch(service, DEFECTS_PATH, defects.to_json())

    def _fault_switch(self, service: str, path: str, body: dict[str, object]) -> None:
        try:
            with peer_client([self.urls[service]], timeout=10.0) as c:
                r = c.put(
                    self.urls[service].rstrip("/") + path,
                    json=body,
                    headers={"Authorization": f"Bearer {self.token(service)}"},
                )
        except httpx.HTTPError as exc:
            raise NoFaultSwitch(f"{service}: {type(exc).__name__}: {exc}") from None
        if r.status_code != 200:
            raise NoFaultSwitch(
                f"{service} at {self.urls[service]} has no fault switch "
                f"(PUT {path} answered {r.status_code})"
            )


class NoFaultSwitch(RuntimeError):
    """The service cannot be cut off on demand (an external back office)."""
