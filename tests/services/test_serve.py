"""``rig serve`` as a real process: endpoints file, OpenAPI, clean stop, and restart
durability — killed with SIGKILL in the middle of a stream of posts, restarted on the
same files, nothing acknowledged is lost and nothing is billed twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from rig.services.testing import DEFAULT_DATA, ENDPOINTS_ENV, running_services

ROOT = Path(__file__).resolve().parents[2]
ALICE = {"Authorization": "Bearer esi-alice-token-5d2c8e1f"}
OPERATOR = {"Authorization": "Bearer hpl-token-1c8e4a7b9d2f3e51"}


@contextmanager
def serve(state: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str]]]:
    endpoints = state / "endpoints.json"
    endpoints.unlink(missing_ok=True)
    args = [sys.executable, "-m", "rig.services.serve", "--data", str(DEFAULT_DATA)]
    args += ["--state-dir", str(state), "--endpoints", str(endpoints), *extra]
    proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not endpoints.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "rig serve did not write its endpoints"
            time.sleep(0.05)
        yield proc, json.loads(endpoints.read_text())
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


def test_serve_writes_endpoints_publishes_openapi_and_stops_on_sigterm(tmp_path: Path) -> None:
    with serve(tmp_path) as (proc, urls):
        assert set(urls) == {"HPL", "SGE", "clearinghouse", "HPL:2030.5", "SGE:2030.5"}
        for utility in ("HPL", "SGE"):  # each utility's IEEE 2030.5 server, same credentials
            bearer = {"Authorization": "Bearer esi-alice-token-5d2c8e1f"}
            dcap = httpx.get(urls[f"{utility}:2030.5"] + "/dcap", headers=bearer)
            assert dcap.headers["content-type"] == "application/sep+xml"
            assert dcap.status_code == (200 if utility == "HPL" else 401), dcap.text
        sep2 = {k.removesuffix(":2030.5"): urls.pop(k) for k in list(urls) if ":" in k}
        for url in urls.values():
            assert url.startswith("http://127.0.0.1:")
            spec = httpx.get(url + "/openapi.json").json()
            assert spec["openapi"].startswith("3.") and spec["paths"]
            assert httpx.get(url + "/health").json()["schema_version"] == 1
        # the same running services, used as "external" ones by URL
        os.environ[ENDPOINTS_ENV] = str(tmp_path / "endpoints.json")
        try:
            with running_services() as external:
                assert external.cluster is None and external.clock is None
                assert external.urls == urls
                assert external.sep2_urls == sep2
                with external.client("HPL", as_caller="ESI-BOB") as bob:
                    r = bob.post(
                        "/bindings",
                        json={
                            "premise_id": "PREM-BOB",
                            "esi_id": "ESI-BOB",
                            "portal_id": "EP-BOB-240",
                            "pev_id": "PEV-ALICE",
                        },
                    )
                assert r.status_code == 200 and r.json()["scenario"] == "SC-2"
        finally:
            del os.environ[ENDPOINTS_ENV]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


def test_serve_refuses_a_broken_data_set_with_positions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = DEFAULT_DATA.read_text().replace("account_id: ACC-BOB\n", "account_id: ACC-BOBB\n", 1)
    bad.write_text(text)
    args = [sys.executable, "-m", "rig.services.serve", "--data", str(bad)]
    args += ["--endpoints", str(tmp_path / "e.json"), "--state-dir", str(tmp_path)]
    r = subprocess.run(
        args,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2
    assert f"{bad}:" in r.stderr and "did you mean 'ACC-BOB'" in r.stderr


def _post_stream(
    base: str, binding_id: str, session_id: str, items: list[dict[str, str]], acked: list[int]
) -> None:
    """Post one interval per call until the service dies; note each acknowledged one."""
    with httpx.Client(base_url=base, headers=ALICE, timeout=5) as c:
        for i, iv in enumerate(items):
            body = {"binding_id": binding_id, "premise_id": "PREM-ALICE", "intervals": [iv]}
            try:
                r = c.post(f"/sessions/{session_id}/intervals", json=body)
            except httpx.HTTPError:
                return
            if r.status_code != 200:
                return
            acked.append(i)


def test_killed_mid_run_and_restarted_nothing_is_lost(tmp_path: Path) -> None:
    # wall clock shifted to a known weekday afternoon (flat HPL-RES-TOU is not involved:
    # Alice at home pays HPL-PEV-TOU mid-peak 0.12 at 12:xx local)
    start_at = "2026-03-02T12:00:00-06:00"
    with serve(tmp_path, "--clock-start", start_at) as (proc, urls):
        hpl = urls["HPL"]
        r = httpx.post(
            hpl + "/bindings",
            headers=ALICE,
            json={
                "binding_id": "B-DURABLE",
                "premise_id": "PREM-ALICE",
                "esi_id": "ESI-ALICE",
                "portal_id": "EP-ALICE-240",
                "pev_id": "PEV-ALICE",
            },
        )
        assert r.status_code == 200, r.text
        t0 = datetime.fromisoformat(r.json()["created_at"]) - timedelta(seconds=800)
        items = [
            {
                "start": (t0 + timedelta(seconds=i)).isoformat(),
                "end": (t0 + timedelta(seconds=i + 1)).isoformat(),
                "kwh": "0.001",
            }
            for i in range(1000)
        ]
        acked: list[int] = []
        poster = threading.Thread(
            target=_post_stream, args=(hpl, "B-DURABLE", "S-DURABLE", items, acked)
        )
        poster.start()
        deadline = time.monotonic() + 30
        while len(acked) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # mid-run: posts are in flight
        proc.wait(timeout=10)
        poster.join(timeout=10)
    assert len(acked) >= 60
    with serve(tmp_path, "--clock-start", start_at) as (_proc, urls):
        hpl = urls["HPL"]
        record = httpx.get(hpl + "/sessions/S-DURABLE", headers=ALICE).json()
        assert record["interval_count"] >= len(acked)  # every acknowledged interval survived
        assert record["binding_id"] == "B-DURABLE"
        # the ESI re-sends everything (its outbox does not know what landed): no double count
        body: dict[str, Any] = {
            "binding_id": "B-DURABLE",
            "premise_id": "PREM-ALICE",
            "intervals": items,
            "close": {
                "started_at": items[0]["start"],
                "ended_at": items[-1]["end"],
                "duration_s": 1000,
                "energy_kwh": "1.000",
            },
        }
        r = httpx.post(hpl + "/sessions/S-DURABLE/intervals", headers=ALICE, json=body)
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["intervals_duplicate"] == record["interval_count"]
        assert done["interval_count"] == 1000 and Decimal(done["total_energy"]) == Decimal("1")
        billed = sum(Decimal(x["kwh"]) for x in done["line_items"])
        assert billed == Decimal("1.000") and done["flags"] == []
        # the audit log survived the kill too: an answer is sent only once its row is in
        log = httpx.get(hpl + "/audit", headers=OPERATOR, params={"limit": 10_000}).json()
        answered = [
            e for e in log if e["path"] == "/sessions/S-DURABLE/intervals" and e["status"] == 200
        ]
        assert len(answered) >= len(acked) + 1
        assert datetime.fromisoformat(log[0]["at"]) < datetime.now(UTC) + timedelta(days=400)
