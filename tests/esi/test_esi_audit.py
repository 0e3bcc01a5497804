"""The ESI audit log (BR-10): every transaction, on the rig's clock, validated on reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.clock import VirtualClock
from rig.esi.audit import AuditLog, AuditLogError, check_audit, read_audit


def test_entries_round_trip_with_clock_time(tmp_path: Path) -> None:
    clock = VirtualClock(1_800_000_000.0)
    log = AuditLog(tmp_path / "esi" / "audit.jsonl", clock)
    log.record("binding", "B-1", "utility-a", "sent", attempt=1)
    clock.advance(90)
    log.record("interval", "B-1:interval:0", "utility-a", "failed", attempt=1, detail="timeout")
    entries = read_audit(tmp_path / "esi" / "audit.jsonl")
    assert [(e.kind, e.outcome, e.detail) for e in entries] == [
        ("binding", "sent", ""),
        ("interval", "failed", "timeout"),
    ]
    assert (entries[1].at - entries[0].at).total_seconds() == 90


def test_a_malformed_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path, VirtualClock(0)).record("binding", "B-1", "u", "sent")
    with path.open("a") as f:
        f.write('{"kind": "binding"}\n')
    with pytest.raises(AuditLogError, match=r"audit.jsonl:2: "):
        read_audit(path)


def test_br10_every_transaction_ended_in_the_log(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", VirtualClock(0))
    log.record("binding", "B-1", "u", "sent", attempt=1)
    log.record("close", "B-1:close", "u", "failed", attempt=1)
    entries = read_audit(tmp_path / "audit.jsonl")
    assert check_audit(entries, ["B-1"]).passed
    assert check_audit(entries, ["B-1", "B-1:close"]).message == (
        "FAIL BR-10 ESI audit log: B-1:close not audited as sent or rejected"
    )
