"""Bad or hostile payloads get a 4xx with a clear message, and change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from rig.services.endpoints import ServiceEndpoints
from tests.services.helpers import bind, clock_of, intervals, now

TABLES = ("bindings", "sessions", "intervals", "line_items", "grants", "signals", "outbox")


def _counts(svc: ServiceEndpoints) -> dict[str, dict[str, int]]:
    assert svc.cluster is not None
    out: dict[str, dict[str, int]] = {}
    for name, service in svc.cluster.services.items():
        db = service.db
        with db.read() as conn:
            out[name] = {
                t: int(
                    conn.execute(
                        select(func.count()).select_from(getattr(db.tables, t))
                    ).scalar_one()
                )
                for t in TABLES
            }
    return out


@pytest.fixture(scope="module")
def open_session(svc: ServiceEndpoints) -> dict[str, Any]:
    """A bound session at Bob's with two recorded intervals, clock 1 h past its start."""
    b = bind(svc, "HPL", "ESI-BOB", "PREM-BOB", "EP-BOB-240", "PEV-ALICE")
    start = now(svc)
    clock_of(svc).advance(3600)
    ivs = intervals(start, ["1.0", "1.0"])
    body = {"binding_id": b["binding_id"], "premise_id": "PREM-BOB", "intervals": ivs}
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        assert c.post("/sessions/S-BAD/intervals", json=body).status_code == 200
    return {"binding": b, "start": start, "body": body}


@pytest.fixture
def unchanged(svc: ServiceEndpoints, open_session: dict[str, Any]) -> Iterator[None]:
    before = _counts(svc)
    yield
    assert _counts(svc) == before


def _interval_body(o: dict[str, Any], **iv: Any) -> dict[str, Any]:
    start = o["start"] + timedelta(minutes=30)
    base = {
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=15)).isoformat(),
        "kwh": "1.0",
    }
    return dict(o["body"], intervals=[{**base, **iv}])


BAD_REPORTS: dict[str, Any] = {
    "kwh not a number": lambda o: _interval_body(o, kwh="lots"),
    "kwh wrong type": lambda o: _interval_body(o, kwh=[1]),
    "kwh negative": lambda o: _interval_body(o, kwh="-0.5"),
    "kwh huge": lambda o: _interval_body(o, kwh="1e9"),
    "kwh NaN": lambda o: _interval_body(o, kwh="NaN"),
    "kwh Infinity": lambda o: _interval_body(o, kwh="Infinity"),
    "kwh too precise": lambda o: _interval_body(o, kwh="0.0000000001"),
    "kwh beyond the portal": lambda o: _interval_body(o, kwh="5.0"),
    "naive timestamp": lambda o: _interval_body(o, start="2026-03-02T18:00:00"),
    "not a timestamp": lambda o: _interval_body(o, start="yesterday"),
    "end before start": lambda o: _interval_body(
        o, end=(o["start"] + timedelta(minutes=20)).isoformat()
    ),
    "longer than the metering interval": lambda o: _interval_body(
        o, end=(o["start"] + timedelta(minutes=60)).isoformat()
    ),
    "far in the future": lambda o: _interval_body(
        o,
        start=(o["start"] + timedelta(days=30)).isoformat(),
        end=(o["start"] + timedelta(days=30, minutes=15)).isoformat(),
    ),
    "year 9999": lambda o: _interval_body(
        o, start="9999-12-31T23:00:00Z", end="9999-12-31T23:15:00Z"
    ),
    "before the binding": lambda o: _interval_body(
        o,
        start=(o["start"] - timedelta(days=2)).isoformat(),
        end=(o["start"] - timedelta(days=2) + timedelta(minutes=15)).isoformat(),
    ),
    "overlapping within the batch": lambda o: dict(
        o["body"], intervals=intervals(o["start"] + timedelta(minutes=30), ["1", "1"]) * 2
    ),
    "unknown field": lambda o: dict(o["body"], surprise=True),
    "unknown binding": lambda o: dict(o["body"], binding_id="B-NOPE"),
    "binding id wrong type": lambda o: dict(o["body"], binding_id=12),
    "someone else's PEV": lambda o: dict(o["body"], pev_id="PEV-ERIN"),
    "wrong EUMD": lambda o: dict(o["body"], eumd_id="EUMD-ALICE-240"),
    "too many intervals": lambda o: dict(o["body"], intervals=[o["body"]["intervals"][0]] * 2001),
    "intervals not a list": lambda o: dict(o["body"], intervals={"a": 1}),
    "close duration mismatch": lambda o: dict(
        o["body"],
        intervals=[],
        close={
            "started_at": o["start"].isoformat(),
            "ended_at": (o["start"] + timedelta(minutes=30)).isoformat(),
            "duration_s": 60,
            "energy_kwh": "2",
        },
    ),
    "close negative duration": lambda o: dict(
        o["body"],
        intervals=[],
        close={
            "started_at": o["start"].isoformat(),
            "ended_at": o["start"].isoformat(),
            "duration_s": -1,
            "energy_kwh": "2",
        },
    ),
    "close ends before it starts": lambda o: dict(
        o["body"],
        intervals=[],
        close={
            "started_at": (o["start"] + timedelta(minutes=30)).isoformat(),
            "ended_at": o["start"].isoformat(),
            "duration_s": 0,
            "energy_kwh": "2",
        },
    ),
    "a conflicting re-post": lambda o: dict(
        o["body"], intervals=[dict(o["body"]["intervals"][0], kwh="1.1")]
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REPORTS))
def test_bad_interval_report_is_refused_and_changes_nothing(
    svc: ServiceEndpoints, open_session: dict[str, Any], unchanged: None, case: str
) -> None:
    body = BAD_REPORTS[case](open_session)
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        r = c.post("/sessions/S-BAD/intervals", json=body)
    assert 400 <= r.status_code < 500, (case, r.status_code, r.text)
    detail = r.json()["detail"]
    assert detail and (isinstance(detail, str) or all("msg" in d for d in detail))


BAD_BINDINGS: dict[str, dict[str, Any]] = {
    "unknown portal": {"portal_id": "EP-NOPE"},
    "portal of another premise": {"portal_id": "EP-ALICE-240"},
    "premise wrong type": {"premise_id": 5},
    "id with spaces": {"pev_id": "PEV ALICE"},
    "id too long": {"pev_id": "P" * 81},
    "unknown communication": {"communication": "telepathy"},
    "unknown option": {"roaming_option": "free"},
    "missing premise": {"premise_id": None},
}


@pytest.mark.parametrize("case", sorted(BAD_BINDINGS))
def test_bad_binding_is_refused(svc: ServiceEndpoints, unchanged: None, case: str) -> None:
    body = {
        "premise_id": "PREM-BOB",
        "esi_id": "ESI-BOB",
        "portal_id": "EP-BOB-240",
        "pev_id": "PEV-ALICE",
        **BAD_BINDINGS[case],
    }
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        r = c.post("/bindings", json=body)
    assert r.status_code in (403, 422), (case, r.text)


BAD_REQUESTS: dict[str, dict[str, Any]] = {
    "zero power": {"power_requested_kw": "0"},
    "negative energy": {"energy_requested_kwh": "-5"},
    "huge energy": {"energy_requested_kwh": "1e12"},
    "departure in the past": {"departure": "2020-01-01T00:00:00Z"},
    "departure far ahead": {"departure": "2030-01-01T00:00:00Z"},
    "naive departure": {"departure": "2026-03-03T07:00:00"},
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_energy_request_is_refused(
    svc: ServiceEndpoints, open_session: dict[str, Any], unchanged: None, case: str
) -> None:
    body = {
        "energy_requested_kwh": "10",
        "power_requested_kw": "7.2",
        "departure": (now(svc) + timedelta(hours=8)).isoformat(),
        **BAD_REQUESTS[case],
    }
    binding_id = open_session["binding"]["binding_id"]
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        r = c.post(f"/bindings/{binding_id}/energy-requests", json=body)
    assert r.status_code == 422, (case, r.text)


def test_raw_garbage_and_oversized_bodies(
    svc: ServiceEndpoints, open_session: dict[str, Any], unchanged: None
) -> None:
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        path = "/sessions/S-BAD/intervals"
        assert (
            c.post(path, content=b"{", headers={"content-type": "application/json"}).status_code
            == 422
        )
        assert (
            c.post(
                path, content=b"\xff\xfe", headers={"content-type": "application/json"}
            ).status_code
            == 422
        )
        assert (
            c.post(path, content=b"kwh=1", headers={"content-type": "text/plain"}).status_code
            == 422
        )
        nan = json.dumps(open_session["body"]).replace('"1.0"', "NaN")
        assert (
            c.post(
                path, content=nan.encode(), headers={"content-type": "application/json"}
            ).status_code
            == 422
        )
        big = b'{"binding_id": "' + b"x" * 3_000_000 + b'"}'
        r = c.post(path, content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and "larger than" in r.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"binding_id": "'
            for _ in range(40):
                yield b"y" * 100_000
            yield b'"}'

        assert (
            c.post(path, content=chunks(), headers={"content-type": "application/json"}).status_code
            == 413
        )
        assert c.post("/sessions/%00bad/intervals", json=open_session["body"]).status_code == 422
        assert (
            c.post("/sessions/" + "s" * 200 + "/intervals", json=open_session["body"]).status_code
            == 422
        )
        assert c.get("/sessions/NOPE").status_code == 404
        assert c.get("/signals", params={"since": -1}).status_code == 422
        assert c.get("/signals", params={"since": "x"}).status_code == 422
        assert (
            c.get("/accounts/ACC-BOB/statement", params={"start": "x", "end": "y"}).status_code
            == 422
        )
        r = c.get(
            "/accounts/ACC-BOB/statement",
            params={"start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00Z"},
        )
        assert r.status_code == 422
        assert c.post("/bindings/B-NOPE/energy-requests", json={}).status_code == 422
        r = c.post(
            "/bindings/B-NOPE/energy-requests",
            json={
                "energy_requested_kwh": "1",
                "power_requested_kw": "1",
                "departure": "2026-03-03T00:00:00Z",
            },
        )
        assert r.status_code == 404 and "B-NOPE" in r.json()["detail"]
    with svc.client("HPL", as_caller="HPL") as op:
        assert (
            op.get(
                "/accounts/ACC-NOPE/statement",
                params={"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"},
            ).status_code
            == 404
        )
        for signal in (
            {
                "signal_id": "X1",
                "kind": "dlc",
                "effective_from": "2026-03-02T18:00:00Z",
                "limit_kw": "1",
            },
            {
                "signal_id": "X2",
                "kind": "alm",
                "effective_from": "2026-03-02T18:00:00Z",
                "limit_kw": "1",
            },
            {
                "signal_id": "X3",
                "kind": "price",
                "effective_from": "2026-03-02T18:30:00Z",
                "tariff_id": "HPL-PEV-RTP",
                "price": "0.1",
            },
            {
                "signal_id": "X4",
                "kind": "price",
                "effective_from": "2026-03-02T18:00:00Z",
                "tariff_id": "SGE-GUEST",
                "price": "0.1",
            },
            {
                "signal_id": "X5",
                "kind": "dlc",
                "effective_from": "2026-03-02T18:00:00Z",
                "effective_until": "2026-03-02T17:00:00Z",
                "limit_kw": "1",
            },
            {
                "signal_id": "X6",
                "kind": "alm",
                "premise_id": "PREM-NOPE",
                "effective_from": "2026-03-02T18:00:00Z",
                "limit_kw": "1",
            },
            {
                "signal_id": "X7",
                "kind": "alm",
                "premise_id": "PREM-ALICE",
                "effective_from": "2026-03-02T18:00:00Z",
                "limit_kw": "-1",
            },
        ):
            r = op.post("/signals", json=signal)
            assert r.status_code in (404, 422), (signal, r.text)


def test_interval_edges_may_be_off_the_grid_by_the_clock_tolerance(
    svc: ServiceEndpoints, open_session: dict[str, Any]
) -> None:
    """BR-09 with a meter clock a little off: up to 2 s per edge is accepted, more is not."""
    start = open_session["start"] + timedelta(minutes=30)

    def span(seconds: float) -> dict[str, Any]:
        end = start + timedelta(seconds=seconds)
        return _interval_body(open_session, start=start.isoformat(), end=end.isoformat())

    too_long, within = span(904.001), span(904)
    with svc.client("HPL", as_caller="ESI-BOB") as c:
        refused = c.post("/sessions/S-BAD/intervals", json=too_long)
        assert refused.status_code == 422
        assert "longer than this utility's metering interval of 900 s" in refused.text
        assert c.post("/sessions/S-BAD/intervals", json=within).status_code == 200
