"""The services host: a fresh cluster per plan, started one plan ahead, on the plan's clock."""

from __future__ import annotations

import mmap

import pytest

from rig.plans import load_plan
from rig.runner.api import run_plan
from rig.services import host as sh
from tests.runner.support import EXAMPLES


def test_the_host_reads_the_time_the_plan_clock_writes() -> None:
    memory = mmap.mmap(-1, sh.SLOTS * 8)
    clock = sh.MirroredClock(1000.0)
    reader = sh.SlotClock(memory, 3)
    assert reader.now() == 0.0  # not bound yet: nothing written
    clock.bind(memory, 3)
    assert reader.now() == 1000.0
    clock.advance(2.5)
    assert reader.now() == 1002.5
    clock.advance_to(2000.0)
    assert reader.now() == 2000.0 == clock.now()
    assert sh.SlotClock(memory, 4).now() == 0.0  # slots are apart


def test_consecutive_plans_get_fresh_clusters_from_the_host() -> None:
    host = sh.services_host()
    if host is None:
        pytest.skip("services host switched off (RIG_SERVICES_HOST=0)")
    leases: list[sh.Lease] = []
    take = host.take

    def recording(data: str) -> sh.Lease | None:
        lease = take(data)
        if lease is not None:
            leases.append(lease)
        return lease

    host.take = recording  # type: ignore[method-assign]
    try:
        # an ALM change for PREM-ALICE must not reach the next plan at the same premise
        for name in ("pg_alm_change", "sc1_home", "sc1_home"):
            path = EXAMPLES / f"{name}.yaml"
            outcome = run_plan(load_plan(path), plan_file=path)
            assert outcome.verdict == "pass", (name, outcome.failure)
    finally:
        del host.take
    assert leases, "no plan ran on a cluster from the host"
    assert len({lease.id for lease in leases}) == len(leases)
    urls = [tuple(sorted(lease.urls.values())) for lease in leases]
    assert len(set(urls)) == len(urls)  # each its own servers


def test_switched_off_the_services_start_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIG_SERVICES_HOST", "0")
    assert sh.services_host() is None
    path = EXAMPLES / "sc1_home.yaml"
    assert run_plan(load_plan(path), plan_file=path).verdict == "pass"
