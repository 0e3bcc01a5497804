"""The services' outbox follows the one delivery rule: a 4xx is set aside, an outage retried.

A peer that answers 4xx (other than 408 and 429) will never take the message, so
retrying it forever only hides it; the ESI's outbox sets such a message aside, and so
does this one. A 5xx, a 408 or 429 and no connection at all leave it pending.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from rig.clock import VirtualClock
from rig.services.db import Database, sqlite_url
from rig.services.outbox import Outbox

TOKEN = "outbox-test-token-0001"


class Peer(ThreadingHTTPServer):
    """A peer service that answers each path with the status it is told to."""

    answers: dict[str, int]


class _Answer(BaseHTTPRequestHandler):
    server: Peer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = self.server.answers.get(self.path, 200)
        body = b'{"detail": "no"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def peer() -> Iterator[Peer]:
    server = Peer(("127.0.0.1", 0), _Answer)
    server.answers = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def outbox(tmp_path: Path, peer: Peer) -> Iterator[Outbox]:
    db = Database(sqlite_url(str(tmp_path / "service.sqlite")))
    db.create(0.0)
    host, port = peer.server_address[:2]
    box = Outbox(db, VirtualClock(0.0), targets={"peer": f"http://{host!s}:{port}"}, token=TOKEN)
    yield box
    box.close()
    db.dispose()


def _put(outbox: Outbox, key: str, path: str) -> None:
    with outbox.db.write() as conn:
        outbox.enqueue(conn, key=key, target="peer", path=path, body={"key": key})


def _row(outbox: Outbox, key: str) -> tuple[str, int, str | None]:
    table = outbox.db.tables.outbox
    with outbox.db.read() as conn:
        row = conn.execute(
            select(table.c.status, table.c.attempts, table.c.last_error).where(table.c.key == key)
        ).one()
    return row.status, row.attempts, row.last_error


def test_a_refused_message_is_set_aside_not_retried(outbox: Outbox, peer: Peer) -> None:
    peer.answers["/refuse"] = 422
    _put(outbox, "M-1", "/refuse")
    assert outbox.deliver_pending() == 0
    assert outbox.pending() == []
    status, attempts, error = _row(outbox, "M-1")
    assert (status, attempts) == ("rejected", 1)
    assert error is not None and error.startswith("HTTP 422")
    assert outbox.deliver_pending() == 0  # never sent again
    assert _row(outbox, "M-1")[1] == 1


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_an_outage_answer_leaves_the_message_pending(
    outbox: Outbox, peer: Peer, status: int
) -> None:
    peer.answers["/busy"] = status
    _put(outbox, "M-2", "/busy")
    assert outbox.deliver_pending() == 1
    assert outbox.deliver_pending() == 1
    assert _row(outbox, "M-2")[:2] == ("pending", 2)
    peer.answers["/busy"] = 201
    assert outbox.deliver_pending() == 0
    assert _row(outbox, "M-2") == ("delivered", 3, None)


def test_a_refusal_does_not_hold_up_the_others(outbox: Outbox, peer: Peer) -> None:
    peer.answers["/refuse"] = 403
    _put(outbox, "M-3", "/refuse")
    _put(outbox, "M-4", "/accept")
    assert outbox.deliver_pending() == 0
    assert [_row(outbox, key)[0] for key in ("M-3", "M-4")] == ["rejected", "delivered"]


def test_no_connection_is_an_outage(outbox: Outbox) -> None:
    outbox.targets["peer"] = "http://127.0.0.1:9"  # nobody listens there
    _put(outbox, "M-5", "/accept")
    assert outbox.deliver_pending() == 1
    status, attempts, error = _row(outbox, "M-5")
    assert (status, attempts) == ("pending", 1)
    assert error is not None and error.startswith("ConnectError")
