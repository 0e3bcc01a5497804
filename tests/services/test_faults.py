"""Outages: a binding delivered late from the ESI's outbox, a clearinghouse cut off.

* An ESI that cannot reach its utility at plug-in queues the binding (with
  ``communication: failed``) and delivers it, under the same ID, when the utility is
  back — hours later. The binding carries the ESI's ``session_start``, so the
  intervals metered since plug-in are accepted and billed, none refused or lost.
* ``Cluster.set_reachable`` / ``PUT /_fault/reachable`` make a service answer 503
  until restored. A roaming utility that cannot ask the clearinghouse binds per
  BR-01 (premise pays, no incentive); a roaming charge that cannot be posted waits
  in the roaming utility's outbox and reaches the home account after recovery.
* ``GET /roaming-charges/{id}`` returns one posted charge to a party.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import httpx
import pytest

from rig.plans import load_plan
from rig.results import BenchIdentity, ResultsWriter, RunRecord
from rig.runner.api import run_plan
from rig.services.endpoints import ServiceEndpoints
from tests.services.helpers import (
    bind,
    clock_of,
    get,
    intervals,
    next_local,
    now,
    session_lines,
    total,
    uid,
)


def _report(
    svc: ServiceEndpoints,
    utility: str,
    esi: str,
    premise: str,
    binding_id: str,
    pev: str,
    start: Any,
    kwh: list[str],
) -> httpx.Response:
    end = start + timedelta(minutes=15 * len(kwh))
    body = {
        "binding_id": binding_id,
        "premise_id": premise,
        "pev_id": pev,
        "intervals": intervals(start, kwh),
        "close": {
            "started_at": start.isoformat(),
            "ended_at": end.isoformat(),
            "duration_s": (end - start).total_seconds(),
            "energy_kwh": str(sum((D(k) for k in kwh), D(0))),
        },
    }
    with svc.client(utility, as_caller=esi) as c:
        return c.post(f"/sessions/{uid('S')}/intervals", json=body)


ALICE = ("HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE")


def test_outage_from_plug_in_binding_delivered_late_every_interval_is_billed(
    svc: ServiceEndpoints,
) -> None:
    utility, esi, premise, portal, pev = ALICE
    plugged_in = next_local(svc, 9, 0)
    # the utility is unreachable from plug-in; the ESI meters 8 intervals meanwhile
    clock_of(svc).advance(2 * 3600 + 120)
    b = bind(
        svc,
        utility,
        esi,
        premise,
        portal,
        pev,
        communication="failed",  # as the ESI queues it (BR-01)
        session_start=plugged_in.isoformat(),
    )
    assert b["session_start"] is not None
    assert "BR-01" in b["requirement_ids"] and not b["incentive"]
    kwh = ["1.500"] * 8
    r = _report(svc, utility, esi, premise, b["binding_id"], pev, plugged_in, kwh)
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["intervals_accepted"] == 8 and record["interval_count"] == 8
    lines = session_lines(svc, utility, b["payer_account_id"], record["session_id"])
    assert total(lines, "kwh") == D("12.000")
    assert D(record["total_cost"]["excl_vat"]) == total(lines) > 0


def test_without_session_start_a_late_binding_refuses_the_earlier_intervals(
    svc: ServiceEndpoints,
) -> None:
    """What the ESI's ``session_start`` fixes: arrival time alone loses the intervals."""
    utility, esi, premise, portal, pev = ALICE
    plugged_in = next_local(svc, 9, 0)
    clock_of(svc).advance(2 * 3600 + 120)
    b = bind(svc, utility, esi, premise, portal, pev, communication="failed")
    r = _report(svc, utility, esi, premise, b["binding_id"], pev, plugged_in, ["1.0"] * 8)
    assert r.status_code == 422 and "before the binding" in r.text


@pytest.mark.parametrize(
    ("shift", "message"),
    [(timedelta(hours=1), "in the future"), (timedelta(days=-15), "days ago")],
)
def test_session_start_in_the_future_or_absurdly_old_is_refused(
    svc: ServiceEndpoints, shift: timedelta, message: str
) -> None:
    utility, esi, premise, portal, pev = ALICE
    key = uid("B-START")
    body = {
        "binding_id": key,
        "premise_id": premise,
        "esi_id": esi,
        "portal_id": portal,
        "pev_id": pev,
        "session_start": (now(svc) + shift).isoformat(),
    }
    with svc.client(utility, as_caller=esi) as c:
        r = c.post("/bindings", json=body)
    assert r.status_code == 422 and message in r.text
    assert svc.cluster is not None
    db = svc.cluster.services[utility].db
    with db.read() as conn:
        stored = conn.execute(
            db.tables.bindings.select().where(db.tables.bindings.c.binding_id == key)
        ).first()
    assert stored is None


def _wait(predicate: Any, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_clearinghouse_cut_binding_falls_back_per_br01(svc: ServiceEndpoints) -> None:
    cluster = svc.cluster
    assert cluster is not None
    cluster.set_reachable("clearinghouse", False)
    try:
        with httpx.Client(base_url=svc.urls["clearinghouse"]) as c:
            r = c.get("/health")
        assert r.status_code == 503 and "unreachable" in r.text
        b = bind(svc, "SGE", "ESI-HANK", "PREM-HANK", "EP-HANK-240", "PEV-ALICE")
    finally:
        cluster.set_reachable("clearinghouse", True)
    # the foreign PEV could not be validated: premise pays its default, no incentive
    assert "BR-01" in b["requirement_ids"]
    assert (b["payer_account_id"], b["incentive"], b["roaming"]) == ("ACC-HANK", False, None)
    again = bind(svc, "SGE", "ESI-HANK", "PREM-HANK", "EP-HANK-240", "PEV-ALICE")
    assert again["scenario"] == "SC-4" and again["payer_account_id"] == "ACC-ALICE"


def test_clearinghouse_cut_at_close_roaming_charge_posted_after_recovery(
    svc: ServiceEndpoints,
) -> None:
    """SC-4 bound before the outage; the session closes while the clearinghouse is down."""
    cluster = svc.cluster
    assert cluster is not None
    start = next_local(svc, 23, 0)
    b = bind(svc, "SGE", "ESI-HANK", "PREM-HANK", "EP-HANK-240", "PEV-ALICE")
    assert b["scenario"] == "SC-4"
    clock_of(svc).advance(3600)
    cluster.set_reachable("clearinghouse", False)
    try:
        r = _report(
            svc, "SGE", "ESI-HANK", "PREM-HANK", b["binding_id"], "PEV-ALICE", start, ["1.0"] * 4
        )
        assert r.status_code == 200, r.text
        session_id = r.json()["session_id"]
        charge_id = f"SGE:{session_id}"
        pending = {m["key"] for m in cluster.services["SGE"].outbox.pending()}
        assert charge_id in pending  # kept, not lost
        assert session_lines(svc, "HPL", "ACC-ALICE", session_id) == []
    finally:
        cluster.set_reachable("clearinghouse", True)  # nudges the outboxes
    assert _wait(lambda: bool(session_lines(svc, "HPL", "ACC-ALICE", session_id)))
    at_home = session_lines(svc, "HPL", "ACC-ALICE", session_id)
    at_sge = session_lines(svc, "SGE", "ACC-ALICE", session_id)
    assert total(at_home) == total(at_sge) == D("1.00")  # SGE-GUEST 0.25 × 4 kWh
    with svc.client("clearinghouse", as_caller="HPL") as ch:
        posted = get(ch, f"/roaming-charges/{charge_id}")
    assert posted["forwarded"] is True and posted["forward_attempts"] >= 1
    c = posted["charge"]
    assert (c["charge_id"], c["session_id"], c["account_id"], c["option"]) == (
        charge_id,
        session_id,
        "ACC-ALICE",
        "guest_rate",
    )
    assert D(c["customer_amount"]) == D("1.00")
    assert D(c["customer_amount"]) - D(c["settlement_amount"]) == D(c["difference"])


def test_get_roaming_charge_rights_and_unknown(svc: ServiceEndpoints) -> None:
    start = next_local(svc, 23, 0)
    b = bind(svc, "SGE", "ESI-HANK", "PREM-HANK", "EP-HANK-240", "PEV-ALICE")
    clock_of(svc).advance(3600)
    r = _report(
        svc, "SGE", "ESI-HANK", "PREM-HANK", b["binding_id"], "PEV-ALICE", start, ["0.5"] * 4
    )
    assert r.status_code == 200, r.text
    charge_id = f"SGE:{r.json()['session_id']}"
    for who in ("SGE", "HPL", "CH"):
        with svc.client("clearinghouse", as_caller=who) as ch:
            assert ch.get(f"/roaming-charges/{charge_id}").status_code == 200
    with svc.client("clearinghouse", as_caller="HPL") as ch:
        assert ch.get("/roaming-charges/SGE:S-nothing").status_code == 404
    with svc.client("clearinghouse", as_caller="ESI-HANK") as ch:
        assert ch.get(f"/roaming-charges/{charge_id}").status_code == 401
    with svc.client("clearinghouse") as ch:
        assert ch.get(f"/roaming-charges/{charge_id}").status_code == 401


def test_reachability_switch_over_http_needs_the_services_own_credential(
    svc: ServiceEndpoints,
) -> None:
    url = svc.urls["HPL"] + "/_fault/reachable"
    off, on = {"reachable": False}, {"reachable": True}
    with httpx.Client() as c:
        assert c.put(url, json=off, headers={"Authorization": "Bearer nope"}).status_code == 403
        esi = {"Authorization": f"Bearer {svc.token('ESI-ALICE')}"}
        assert c.put(url, json=off, headers=esi).status_code == 403
        own = {"Authorization": f"Bearer {svc.token('HPL')}"}
        assert c.put(url, json={"reachable": "no"}, headers=own).status_code == 422
        try:
            assert c.put(url, json=off, headers=own).json() == {
                "service": "HPL",
                "reachable": False,
            }
            assert c.get(svc.urls["HPL"] + "/health").status_code == 503
        finally:
            assert c.put(url, json=on, headers=own).status_code == 200
        assert c.get(svc.urls["HPL"] + "/health").status_code == 200
    # the same through ServiceEndpoints without the in-process cluster
    remote = ServiceEndpoints(urls=svc.urls, dataset=svc.dataset, clock=None)
    remote.set_reachable("clearinghouse", False)
    try:
        with httpx.Client() as c:
            assert c.get(svc.urls["clearinghouse"] + "/health").status_code == 503
    finally:
        remote.set_reachable("clearinghouse", True)
    assert svc.cluster is not None and svc.cluster.reachable("clearinghouse")


def test_plan_sc4_clearinghouse_outage_passes(tmp_path: Path) -> None:
    """The runner's ``clearinghouse_unreachable``/``_back`` steps on these services:
    SC-4 closes during the outage, the posting arrives after it (the oracle agrees)."""
    path = Path(__file__).resolve().parents[2] / "test_plans" / "sc4_clearinghouse_outage.yaml"
    plan = load_plan(path)
    run = RunRecord(
        run_id="faults",
        started_at=datetime(2026, 3, 2, tzinfo=UTC),
        software_version="test",
        bench=BenchIdentity(name="sim", simulated=True),
    )
    with ResultsWriter(tmp_path / "results.jsonl") as writer:
        writer.write(run)
        outcome = run_plan(plan, plan_file=path, results=writer, run_id=run.run_id)
    assert outcome.failure is None, outcome.failure
    assert outcome.verdict == "pass"
    keys = [(s.yaml or "").split("#")[0].strip() for s in outcome.steps]
    assert "clearinghouse_unreachable" in keys and "clearinghouse_back" in keys
    assert all(s.outcome == "passed" for s in outcome.steps)
