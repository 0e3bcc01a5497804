"""The ESI outbox: outage and recovery, duplicate delivery, restart mid-outage, backoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.clock import VirtualClock
from rig.esi.audit import AuditLog, read_audit
from rig.esi.outbox import Outbox, OutboxMessage, OutboxStuck, Rejected

T0 = 1_800_000_000.0


class FakeUtility:
    """A utility endpoint that is idempotent on the message key, like the real service."""

    def __init__(self) -> None:
        self.up = True
        self.received: dict[str, dict[str, object]] = {}
        self.order: list[str] = []
        self.attempts: list[tuple[float, str]] = []
        self.lose_reply_to: set[str] = set()
        self.refuse: set[str] = set()
        self.clock: VirtualClock | None = None

    def __call__(self, message: OutboxMessage) -> None:
        self.attempts.append((self.clock.now() if self.clock else 0.0, message.key))
        if not self.up:
            raise ConnectionError("utility unreachable")
        if message.key in self.refuse:
            raise Rejected("422: interval in the future")
        if message.key not in self.received:
            self.received[message.key] = message.body
            self.order.append(message.key)
        if message.key in self.lose_reply_to:
            self.lose_reply_to.discard(message.key)
            raise TimeoutError("recorded, but the reply was lost")


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def utility(clock: VirtualClock) -> FakeUtility:
    fake = FakeUtility()
    fake.clock = clock
    return fake


def session_messages(outbox: Outbox, count: int) -> None:
    for n in range(count):
        outbox.put(f"B-1:interval:{n}", "interval", "utility-a", {"n": n, "kwh": "0.500"})


def test_outage_then_recovery_delivers_all_exactly_once_in_order(
    tmp_path: Path, clock: VirtualClock, utility: FakeUtility
) -> None:
    utility.up = False
    with Outbox(tmp_path / "outbox.sqlite", clock, utility) as outbox:
        session_messages(outbox, 5)
        assert outbox.deliver_due() == 0
        clock.advance(60)
        assert outbox.deliver_due() == 0
        assert len(outbox.messages("pending")) == 5
        utility.up = True
        outbox.drain(timeout_s=600)
        assert outbox.messages("pending") == []
    assert utility.order == [f"B-1:interval:{n}" for n in range(5)]
    # Head-of-line: while down, only the oldest message was tried.
    assert {key for _, key in utility.attempts[:2]} == {"B-1:interval:0"}


def test_a_lost_reply_is_redelivered_but_not_doubled(
    tmp_path: Path, clock: VirtualClock, utility: FakeUtility
) -> None:
    utility.lose_reply_to = {"B-1:interval:1"}
    with Outbox(tmp_path / "outbox.sqlite", clock, utility) as outbox:
        session_messages(outbox, 3)
        outbox.drain(timeout_s=60)
        assert [m.attempts for m in outbox.messages("delivered")] == [1, 2, 1]
    assert [key for _, key in utility.attempts].count("B-1:interval:1") == 2
    assert utility.order == ["B-1:interval:0", "B-1:interval:1", "B-1:interval:2"]


def test_putting_the_same_key_twice_queues_once(
    tmp_path: Path, clock: VirtualClock, utility: FakeUtility
) -> None:
    with Outbox(tmp_path / "outbox.sqlite", clock, utility) as outbox:
        assert outbox.put("B-1:close", "close", "utility-a", {"kwh": "2.0"})
        assert not outbox.put("B-1:close", "close", "utility-a", {"kwh": "2.0"})
        outbox.drain(timeout_s=1)
        assert not outbox.put("B-1:close", "close", "utility-a", {"kwh": "2.0"})
        outbox.drain(timeout_s=1)
    assert len(utility.attempts) == 1


def test_restart_mid_outage_loses_nothing(
    tmp_path: Path, clock: VirtualClock, utility: FakeUtility
) -> None:
    path = tmp_path / "outbox.sqlite"
    utility.up = False
    first = Outbox(path, clock, utility)
    session_messages(first, 3)
    first.deliver_due()
    first.close()  # the rig stops mid-outage
    clock.advance(3600)
    utility.up = True
    with Outbox(path, clock, utility) as second:
        assert [m.attempts for m in second.messages("pending")] == [1, 0, 0]
        second.drain(timeout_s=60)
        assert len(second.messages("delivered")) == 3
    assert utility.order == [f"B-1:interval:{n}" for n in range(3)]


def test_backoff_doubles_on_the_clock_and_is_capped(
    tmp_path: Path, clock: VirtualClock, utility: FakeUtility
) -> None:
    utility.up = False
    with Outbox(tmp_path / "o.sqlite", clock, utility, base_delay_s=1, max_delay_s=8) as outbox:
        session_messages(outbox, 1)
        with pytest.raises(OutboxStuck, match=r"failed 6 time\(s\): ConnectionError"):
            outbox.drain(timeout_s=30)
    # Tries at 0, then after 1, 2, 4, 8 and 8 (capped) seconds of virtual time.
    assert [t - T0 for t, _ in utility.attempts] == [0, 1, 3, 7, 15, 23]


def test_a_refused_message_is_set_aside_and_the_queue_moves_on(
    tmp_path: Path, clock: VirtualClock, utility: FakeUtility
) -> None:
    utility.refuse = {"B-1:interval:0"}
    audit = AuditLog(tmp_path / "audit.jsonl", clock)
    with Outbox(tmp_path / "outbox.sqlite", clock, utility, audit=audit) as outbox:
        session_messages(outbox, 2)
        outbox.drain(timeout_s=1)
        assert [m.key for m in outbox.messages("rejected")] == ["B-1:interval:0"]
        assert [m.key for m in outbox.messages("delivered")] == ["B-1:interval:1"]
    outcomes = [(e.key, e.outcome) for e in read_audit(tmp_path / "audit.jsonl")]
    assert outcomes == [
        ("B-1:interval:0", "queued"),
        ("B-1:interval:1", "queued"),
        ("B-1:interval:0", "rejected"),
        ("B-1:interval:1", "sent"),
    ]
