"""The services on PostgreSQL: scenarios, idempotency and restart durability.

The module starts its own throwaway PostgreSQL cluster — ``initdb`` into a temporary
directory, listening only on ``127.0.0.1`` at a free port (its unix socket in that
directory too), trust authentication for the superuser ``rig`` — and deletes it
afterwards. As root (PostgreSQL refuses to run as root) the cluster belongs to the
``postgres`` system user (``runuser -u postgres``). ``initdb``/``pg_ctl`` are found
on ``PATH`` or under ``/usr/lib/postgresql/<version>/bin``.

Without PostgreSQL or the ``psycopg`` driver the tests *fail* on CI (``CI=true``),
naming the install command, and are skipped with it on a developer machine.

What runs here:

* every SC-1…SC-6 scenario test and every idempotency test (duplicate, retried,
  reordered and concurrent posts) of ``test_scenarios`` / ``test_idempotency``,
  unchanged, against one database per service (``…/{service}`` in the URL);
* a cluster on one shared database (tables prefixed per service) that records a
  home session and a roaming one through the clearinghouse, is stopped, and is
  started again on the same database: nothing is lost, a re-sent report is all
  duplicates and bills nothing twice;
* the longest IDs the API accepts, whose derived keys (grant IDs, line-item source
  keys) must fit their VARCHAR columns — SQLite never checks lengths;
* writers of two "processes" on one database take turns (the advisory lock);
* a database of another schema version is refused.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, update

from rig.clock import VirtualClock
from rig.services.db import Database, StorageError
from rig.services.endpoints import ServiceEndpoints
from rig.services.testing import running_services
from tests.services import test_idempotency as idempotency
from tests.services import test_scenarios as scenarios
from tests.services.helpers import (
    T0,
    WIDE,
    bind,
    charge,
    get,
    intervals,
    next_local,
    now,
    session_lines,
    statement,
    total,
)

INSTALL = "apt-get install -y postgresql && .venv/bin/pip install 'psycopg[binary]'"
DATABASES = ("hpl", "sge", "clearinghouse", "shared", "edges", "versions")


def _pg_binary(name: str) -> str | None:
    """``name`` (initdb, pg_ctl) on PATH, else the newest /usr/lib/postgresql/<v>/bin/."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        v = Path(path).parts[-3]
        return tuple(int(p) for p in v.split(".") if p.isdigit())

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    return candidates[-1] if candidates else None


def _missing() -> str | None:
    """Why PostgreSQL cannot be started here, or None."""
    lacking = [name for name in ("initdb", "pg_ctl") if _pg_binary(name) is None]
    try:
        import psycopg  # noqa: F401
    except ImportError:
        lacking.append("the psycopg driver")
    if lacking:
        return f"no {', '.join(lacking)} (install: {INSTALL})"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return f"running as root and no 'postgres' user to run PostgreSQL as ({INSTALL})"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class PostgreSQL:
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://rig@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def postgresql() -> Iterator[PostgreSQL]:
    why = _missing()
    if why is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and PostgreSQL cannot be started: {why}", pytrace=False)
        pytest.skip(f"PostgreSQL cannot be started: {why}")
    import psycopg

    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    assert initdb is not None and pg_ctl is not None
    # not pytest's tmp_path: its parents are private to the current user, and as root
    # the cluster runs as 'postgres', which must reach its directory
    root = Path(tempfile.mkdtemp(prefix="rig-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]

    data, log = root / "data", root / "log"

    def run(*args: str, check: bool = True) -> None:
        done = subprocess.run([*as_owner, *args], capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}{server_log}")

    port = _free_port()
    # throwaway: no fsync (a restart of the *services* is tested, not of PostgreSQL)
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=200 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    initdb_args = ["-D", str(data), "-U", "rig", "-A", "trust", "-E", "UTF8", "--no-locale"]
    try:
        run(initdb, *initdb_args, "--no-sync")
        run(pg_ctl, "-D", str(data), "-l", str(log), "-w", "-o", options, "start")
        conninfo = f"host=127.0.0.1 port={port} user=rig dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for name in DATABASES:
                conn.execute(f'CREATE DATABASE "{name}"')
        yield PostgreSQL(port)
    finally:
        if (data / "postmaster.pid").exists():
            run(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def svc(postgresql: PostgreSQL) -> Iterator[ServiceEndpoints]:
    """The module's cluster (overrides conftest's): one PostgreSQL database per service."""
    with running_services(clock=VirtualClock(T0), db=postgresql.url("{service}")) as endpoints:
        yield endpoints


# The SQLite suites, unchanged, on PostgreSQL (collected here with this module's `svc`).
test_sc1 = scenarios.test_sc1_home_premise_bills_owner_at_programme_tou_split_exactly
test_sc2 = scenarios.test_sc2_other_premise_host_pays_at_host_tariff_with_pev_recorded
test_sc3 = scenarios.test_sc3_pev_owner_pays_and_host_revenue_meter_is_netted
test_sc4 = scenarios.test_sc4_foreign_territory_each_option_is_posted_home_and_settled
test_settlement = scenarios.test_settlement_statement_adds_up_per_option
test_sc5_unknown = scenarios.test_sc5_unknown_pev_is_asked_of_the_clearinghouse_then_premise_pays
test_sc5_silent = scenarios.test_sc5_not_communicating_pev_charges_at_premise_default
test_br05 = scenarios.test_br05_unenrolled_pev_cannot_bind_or_get_a_grant
test_br01 = scenarios.test_br01_failed_communication_means_premise_default_no_incentive
test_br04 = scenarios.test_br04_eumd_unavailable_premise_pays_and_session_is_flagged
test_br11 = scenarios.test_br11_host_not_allowing_guests_means_no_binding
test_foreign_pev = scenarios.test_foreign_pev_at_host_pays_premise_is_billed_to_the_host
test_sc6 = scenarios.test_sc6_each_site_kind_and_portal_arrangement
test_sc6_public = scenarios.test_sc6_foreign_pev_at_public_site
test_statement = scenarios.test_statement_totals_add_up_and_cover_the_period
test_br10 = scenarios.test_br10_every_call_is_in_the_audit_log_refusals_too
test_duplicates = idempotency.test_duplicate_and_retried_posts_are_recorded_once
test_out_of_order = idempotency.test_out_of_order_batches_and_late_intervals_bill_once
test_concurrent_same = idempotency.test_concurrent_identical_posts_bill_once
test_concurrent_disjoint = idempotency.test_concurrent_disjoint_posts_all_land
test_changed = idempotency.test_a_changed_interval_is_refused_and_changes_nothing
test_retries = idempotency.test_binding_and_grant_retries_return_the_first_answer
test_concurrent_binding = idempotency.test_concurrent_binding_with_one_id_stores_one_binding


def test_one_database_per_service_holds_unprefixed_tables(
    svc: ServiceEndpoints, postgresql: PostgreSQL
) -> None:
    assert svc.cluster is not None
    for name, service in svc.cluster.services.items():
        assert service.db.url == postgresql.url(name.lower())
        assert {"bindings", "intervals", "line_items", "schema_version"} <= set(
            inspect(service.db.engine).get_table_names()
        )


def _snapshot(svc: ServiceEndpoints, sessions: list[str]) -> dict[str, Any]:
    """Everything the restart must keep: statements, session records, settlements, audit."""
    out: dict[str, Any] = {
        "alice": statement(svc, "HPL", "ACC-ALICE"),
        "hank": statement(svc, "SGE", "ACC-HANK"),
        "alice@SGE": statement(svc, "SGE", "ACC-ALICE"),
    }
    with svc.client("HPL", as_caller="ESI-ALICE") as c:
        out["home"] = get(c, f"/sessions/{sessions[0]}")
    with svc.client("SGE", as_caller="ESI-HANK") as c:
        out["roaming"] = get(c, f"/sessions/{sessions[1]}")
    with svc.client("clearinghouse", as_caller="HPL") as ch:
        out["settlement"] = get(
            ch, "/settlements", roaming_utility_id="SGE", home_utility_id="HPL", **WIDE
        )
        out["ch_audit"] = len(get(ch, "/audit"))
    with svc.client("HPL", as_caller="HPL") as c:
        out["hpl_audit"] = get(c, "/audit", limit=10_000)
    return out


def test_restarted_on_a_shared_database_nothing_is_lost(postgresql: PostgreSQL) -> None:
    url = postgresql.url("shared")  # no {service}: one database, tables prefixed per service
    clock = VirtualClock(T0)  # the same clock on both runs: time never goes back
    with running_services(clock=clock, db=url) as svc:
        next_local(svc, 23, 0)
        home = charge(
            svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", ["1.0"] * 4
        )
        roaming = charge(
            svc,
            "SGE",
            "ESI-HANK",
            "PREM-HANK",
            "EP-HANK-240",
            "PEV-ALICE",
            ["1.0"] * 4,
            binding_extra={"roaming_option": "guest_rate"},
        )
        assert (home.binding["scenario"], roaming.binding["scenario"]) == ("SC-1", "SC-4")
        # off-peak 0.06 × 4 at home; SGE-GUEST 0.25 × 4 roaming, posted home via the CH
        assert total(session_lines(svc, "HPL", "ACC-ALICE", home.session_id)) == Decimal("0.24")
        assert total(session_lines(svc, "HPL", "ACC-ALICE", roaming.session_id)) == Decimal("1.00")
        before = _snapshot(svc, [home.session_id, roaming.session_id])
        assert svc.cluster is not None
        tables = set(inspect(svc.cluster.services["HPL"].db.engine).get_table_names())
        assert {"hpl_intervals", "sge_intervals", "clearinghouse_roaming_charges"} <= tables
    with running_services(clock=clock, db=url) as svc:
        after = _snapshot(svc, [home.session_id, roaming.session_id])
        # the audit logs kept every entry (and grew by the snapshot's own reads)
        assert after["ch_audit"] > before["ch_audit"]
        assert len(after["hpl_audit"]) > len(before["hpl_audit"])
        assert all(e in after["hpl_audit"] for e in before["hpl_audit"])
        for key in ("alice", "hank", "alice@SGE", "home", "roaming", "settlement"):
            assert after[key] == before[key], key
        # the ESI re-sends its whole report after the restart: all duplicates, billed once
        for utility, esi, premise, s in (
            ("HPL", "ESI-ALICE", "PREM-ALICE", home),
            ("SGE", "ESI-HANK", "PREM-HANK", roaming),
        ):
            body = {
                "binding_id": s.binding["binding_id"],
                "premise_id": premise,
                "pev_id": "PEV-ALICE",
                "intervals": intervals(
                    datetime.fromisoformat(s.record["start_date_time"]), ["1.0"] * 4
                ),
            }
            with svc.client(utility, as_caller=esi) as c:
                r = c.post(f"/sessions/{s.session_id}/intervals", json=body)
            assert r.status_code == 200, r.text
            assert (r.json()["intervals_accepted"], r.json()["intervals_duplicate"]) == (0, 4)
        assert statement(svc, "HPL", "ACC-ALICE") == before["alice"]
        assert statement(svc, "SGE", "ACC-HANK") == before["hank"]


def test_a_database_of_another_schema_version_is_refused(postgresql: PostgreSQL) -> None:
    url = postgresql.url("versions")
    db = Database(url)
    db.create(0.0)
    with db.write() as conn:
        conn.execute(update(db.tables.schema_version).values(version=99))
    db.dispose()
    again = Database(url)
    try:
        with pytest.raises(StorageError, match="schema version 99"):
            again.create(0.0)
    finally:
        again.dispose()


def test_the_longest_ids_the_api_accepts_fit_their_columns(postgresql: PostgreSQL) -> None:
    # SQLite ignores VARCHAR lengths, PostgreSQL does not: derived keys are longer than
    # the IDs they are built from (a grant is "<binding>/<request>", 80 + 1 + 80; a
    # forwarded charge's line items are keyed "roaming:<charge_id>", 8 + 200).
    with running_services(clock=VirtualClock(T0), db=postgresql.url("edges")) as svc:
        binding_id, request_id = "B" * 80, "R" * 80
        bind(
            svc,
            "HPL",
            "ESI-ALICE",
            "PREM-ALICE",
            "EP-ALICE-240",
            "PEV-ALICE",
            binding_id=binding_id,
        )
        request = {
            "request_id": request_id,
            "energy_requested_kwh": "10",
            "power_requested_kw": "7.2",
            "departure": (now(svc) + timedelta(hours=12)).isoformat(),
        }
        with svc.client("HPL", as_caller="ESI-ALICE") as c:
            grants = [c.post(f"/bindings/{binding_id}/energy-requests", json=request)]
            grants.append(c.post(f"/bindings/{binding_id}/energy-requests", json=request))
        assert [g.status_code for g in grants] == [200, 200], grants[0].text
        assert grants[0].json()["grant_id"] == f"{binding_id}/{request_id}"
        assert grants[1].json() == grants[0].json()

        next_local(svc, 23, 0)
        s = charge(
            svc,
            "SGE",
            "ESI-HANK",
            "PREM-HANK",
            "EP-HANK-240",
            "PEV-ALICE",
            ["1.0"] * 4,
            binding_extra={"roaming_option": "home_rate"},
        )
        with svc.client("clearinghouse", as_caller="SGE") as ch:
            posted = get(ch, f"/roaming-charges/SGE:{s.session_id}")["charge"]
            long_id = "L" * 200
            r = ch.post("/roaming-charges", json={**posted, "charge_id": long_id})
            assert r.status_code == 200, r.text
            assert (r.json()["status"], r.json()["forwarded"]) == ("recorded", True)
            assert get(ch, f"/roaming-charges/{long_id}")["charge"]["option"] == "home_rate"
        # at home: the original charge and the long-named copy, each billed once
        lines = session_lines(svc, "HPL", "ACC-ALICE", s.session_id)
        assert total(lines) == 2 * Decimal("0.24")


def test_writers_of_two_processes_on_one_database_take_turns(postgresql: PostgreSQL) -> None:
    # Two Database objects stand for two processes (each has its own in-process lock):
    # the second writer waits for the first's commit, as BEGIN IMMEDIATE does on SQLite.
    url = postgresql.url("versions")
    first, second = Database(url, prefix="turns_"), Database(url, prefix="turns_")
    first.create(0.0)
    order: list[str] = []
    try:
        with first.write():
            waiting = threading.Thread(target=lambda: _write_and_note(second, order))
            waiting.start()
            time.sleep(0.3)
            order.append("first commits")
        waiting.join(timeout=10)
        assert order == ["first commits", "second wrote"]
        other = Database(url, prefix="other_")  # another service's tables: no waiting
        try:
            with first.write(), other.write():
                pass
        finally:
            other.dispose()
    finally:
        first.dispose()
        second.dispose()


def _write_and_note(db: Database, order: list[str]) -> None:
    with db.write() as conn:
        conn.execute(select(db.tables.schema_version.c.version))
        order.append("second wrote")
