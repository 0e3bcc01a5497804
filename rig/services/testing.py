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
written by ``rig serve --endpoints`` or by a lab's own head-end; a key
``<utility>:2030.5`` names that utility's IEEE 2030.5 server) and
:func:`running_services` starts nothing: it yields the same
:class:`~rig.services.endpoints.ServiceEndpoints` pointing at those URLs (``clock``
is then ``None``: the services keep their own time). The data set is still read,
for IDs and tokens.

The pytest fixture :func:`services` (session scope, wall clock) does the same; bring
it into a ``conftest.py`` with ``from rig.services.testing import services``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rig.bundled import UTILITY_DATA
from rig.clock import Clock
from rig.services.cluster import Cluster
from rig.services.dataset import load_dataset
from rig.services.endpoints import ServiceEndpoints

DEFAULT_DATA = UTILITY_DATA / "two_utilities.yaml"
ENDPOINTS_ENV = "RIG_SERVICES_ENDPOINTS"
DATA_ENV = "RIG_SERVICES_DATA"


def _external(data: Path) -> ServiceEndpoints | None:
    path = os.environ.get(ENDPOINTS_ENV)
    if not path:
        return None
    urls = json.loads(Path(path).read_text(encoding="utf-8"))
    return ServiceEndpoints.from_urls(urls, load_dataset(data))


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
            yield ServiceEndpoints.of(cluster)


@pytest.fixture(scope="session")
def services() -> Iterator[ServiceEndpoints]:
    """The utilities and clearinghouse for the whole test session (wall clock)."""
    with running_services() as endpoints:
        yield endpoints
