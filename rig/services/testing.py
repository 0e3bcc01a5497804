"""Services for a test session: start them here, or point at ones running elsewhere.

In a test::

    from rig.clock import VirtualClock
    from rig.services.testing import running_services

    with running_services("fixtures/utilities/two_utilities.yaml", clock=VirtualClock(t0)) as svc:
        hpl = svc.client("HPL", as_caller="ESI-ALICE")      # httpx.Client with its token
        hpl.post("/bindings", json={...})
        svc.clock.advance(900)                             # the services see the same clock

:func:`running_services` starts every service of the data set on 127.0.0.1 (free
ports, SQLite files in a temporary directory unless ``state_dir``/``db`` is given)
and stops them on exit. The services run in this process, so a
:class:`~rig.clock.VirtualClock` passed in is the services' clock too.

**External services.** Set ``RIG_SERVICES_ENDPOINTS`` to an endpoints JSON file (as
written by ``rig serve --endpoints`` or by a lab's own head-end; a key ``<utility>:2030.5``
names that utility's IEEE 2030.5 server, :attr:`ServiceEndpoints.sep2_urls`) and
:func:`running_services` starts nothing: it yields the same
:class:`ServiceEndpoints` pointing at those URLs (``clock`` is then ``None``: the
services keep their own time). The data set is still read, for IDs and tokens.

The pytest fixture :func:`services` (session scope, wall clock) does the same; bring
it into a ``conftest.py`` with ``from rig.services.testing import services``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from rig.bundled import UTILITY_DATA
from rig.clock import Clock
from rig.services.cluster import CLEARINGHOUSE, SEP2_SUFFIX, Cluster
from rig.services.dataset import LoadedDataset, load_dataset
from rig.services.faults import FAULT_PATH
from rig.services.http import peer_client

DEFAULT_DATA = UTILITY_DATA / "two_utilities.yaml"
ENDPOINTS_ENV = "RIG_SERVICES_ENDPOINTS"
DATA_ENV = "RIG_SERVICES_DATA"


@dataclass
class ServiceEndpoints:
    """Where the services are, what data set they hold, and whose token is whose."""

    urls: dict[str, str]
    dataset: LoadedDataset
    clock: Clock | None
    cluster: Cluster | None = None
    sep2_urls: dict[str, str] = field(default_factory=dict)
    """Each utility's IEEE 2030.5 server (:mod:`rig.services.sep2_api`), by utility ID."""

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
        try:
            with peer_client([self.urls[service]], timeout=10.0) as c:
                r = c.put(
                    self.urls[service].rstrip("/") + FAULT_PATH,
                    json={"reachable": reachable},
                    headers={"Authorization": f"Bearer {self.token(service)}"},
                )
        except httpx.HTTPError as exc:
            raise NoFaultSwitch(f"{service}: {type(exc).__name__}: {exc}") from None
        if r.status_code != 200:
            raise NoFaultSwitch(
                f"{service} at {self.urls[service]} has no reachability switch "
                f"(PUT {FAULT_PATH} answered {r.status_code})"
            )


class NoFaultSwitch(RuntimeError):
    """The service cannot be cut off on demand (an external back office)."""


def _external(data: Path) -> ServiceEndpoints | None:
    path = os.environ.get(ENDPOINTS_ENV)
    if not path:
        return None
    urls = json.loads(Path(path).read_text(encoding="utf-8"))
    return ServiceEndpoints(
        urls={k: str(v) for k, v in urls.items() if not k.endswith(SEP2_SUFFIX)},
        dataset=load_dataset(data),
        clock=None,
        sep2_urls={
            k.removesuffix(SEP2_SUFFIX): str(v) for k, v in urls.items() if k.endswith(SEP2_SUFFIX)
        },
    )


@contextmanager
def running_services(
    data: str | Path | None = None,
    *,
    clock: Clock | None = None,
    db: str | None = None,
    state_dir: str | Path | None = None,
) -> Iterator[ServiceEndpoints]:
    """Start the data set's services for the ``with`` block (or use external ones)."""
    data_path = Path(data or os.environ.get(DATA_ENV) or DEFAULT_DATA)
    external = _external(data_path)
    if external is not None:
        yield external
        return
    with tempfile.TemporaryDirectory(prefix="rig-services-") as tmp:
        cluster = Cluster(load_dataset(data_path), db=db, state_dir=Path(state_dir or tmp))
        if clock is not None:
            cluster.clock = clock
        with cluster:
            yield ServiceEndpoints(
                urls=dict(cluster.endpoints),
                dataset=cluster.dataset,
                clock=cluster.clock,
                cluster=cluster,
                sep2_urls=dict(cluster.sep2_endpoints),
            )


@pytest.fixture(scope="session")
def services() -> Iterator[ServiceEndpoints]:
    """The utilities and clearinghouse for the whole test session (wall clock)."""
    with running_services() as endpoints:
        yield endpoints
