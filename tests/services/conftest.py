"""Shared fixtures for the service tests: a cluster per module on a virtual clock.

Each test module gets its own utilities and clearinghouse (fresh SQLite files) and
its own :class:`~rig.clock.VirtualClock`, starting Monday 2 March 2026, 12:00 US
Central. Time only moves forward, so a test that needs a particular hour moves the
clock to the next such hour (:func:`next_local`) — never backwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rig.clock import VirtualClock
from rig.services.endpoints import ServiceEndpoints
from rig.services.testing import running_services
from tests.services.helpers import T0


@pytest.fixture(scope="module")
def svc() -> Iterator[ServiceEndpoints]:
    with running_services(clock=VirtualClock(T0)) as endpoints:
        yield endpoints


@pytest.fixture
def fresh() -> Iterator[ServiceEndpoints]:
    """A cluster of its own, for tests that need the data set's fixed dates."""
    with running_services(clock=VirtualClock(T0)) as endpoints:
        yield endpoints
