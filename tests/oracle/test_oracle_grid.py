"""PG-DLC and PG-ALM: the load within the grid's limits once the follow time has passed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rig.oracle.grid import check_grid_limits
from rig.record import GridEvent, LoadSample
from rig.results.measurements import Verdict

T0 = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)


def readings(power_after_event_w: float, settle_s: float) -> list[LoadSample]:
    """7.68 kW until the event at T0 + 60 s, then ``power_after_event_w`` after ``settle_s``."""
    start = T0.timestamp()
    return [
        LoadSample(start + s, 240.0, 0.0, 7680.0 if s < 60 + settle_s else power_after_event_w)
        for s in range(0, 180)
    ]


def test_alm_limit_followed_within_the_follow_time_passes() -> None:
    alm = GridEvent("alm", T0.replace(minute=1), limit_kw=Decimal("3.84"))
    [measured] = check_grid_limits([alm], readings(3840.0, settle_s=3))
    assert measured.verdict is Verdict.PASS and measured.requirements == ("PG-ALM",)


def test_dr_event_ignored_by_the_load_fails() -> None:
    dr = GridEvent("dr", T0.replace(minute=1), effective_until=T0.replace(minute=2))
    [measured] = check_grid_limits([dr], readings(7680.0, settle_s=0))
    assert measured.verdict is Verdict.FAIL
    assert measured.message == (
        f"FAIL DR load power above limit: load drew 7680 W at t={T0.timestamp() + 65:.3f} s, "
        "DR limit 0 W"
    )


def test_price_signals_are_not_limits() -> None:
    price = GridEvent("price", T0, price=Decimal("0.50"))
    assert check_grid_limits([price], readings(7680.0, settle_s=0)) == []


def test_a_limit_binds_only_once_the_esi_received_it() -> None:
    """A standing ALM limit heard only at T0 + 60 s (utility down at plug-in).

    Judged from its ``effective_from`` (an hour before), the 7.68 kW drawn before the
    ESI could know of it would fail; from ``received_at`` it passes, and drawing on
    past the follow time after hearing it still fails.
    """
    alm = GridEvent(
        "alm",
        T0.replace(hour=21),
        limit_kw=Decimal("3.84"),
        received_at=T0.replace(minute=1),
    )
    [followed] = check_grid_limits([alm], readings(3840.0, settle_s=3))
    assert followed.verdict is Verdict.PASS
    [ignored] = check_grid_limits([alm], readings(7680.0, settle_s=0))
    assert ignored.verdict is Verdict.FAIL
    unknown = GridEvent("alm", T0.replace(hour=21), limit_kw=Decimal("3.84"))
    [as_before] = check_grid_limits([unknown], readings(3840.0, settle_s=3))
    assert as_before.verdict is Verdict.FAIL  # without received_at: from effective_from


def test_an_event_received_ahead_binds_from_its_effective_time() -> None:
    dr = GridEvent(
        "dr",
        T0.replace(minute=1),
        effective_until=T0.replace(minute=2),
        received_at=T0,
    )
    assert dr.binding_from == dr.effective_from


def test_a_raised_alm_limit_replaces_the_lower_one() -> None:
    """3.84 kW from T0 + 1 min, raised to 7.68 kW at T0 + 2 min: drawing 7.68 kW after is fine."""
    low = GridEvent("alm", T0.replace(minute=1), limit_kw=Decimal("3.84"))
    high = GridEvent("alm", T0.replace(minute=2), limit_kw=Decimal("7.68"))
    start = T0.timestamp()
    load = [
        LoadSample(start + s, 240.0, 0.0, 3840.0 if 60 + 3 <= s < 120 else 7680.0)
        for s in range(0, 180)
    ]
    [measured] = check_grid_limits([high, low], load)
    assert measured.verdict is Verdict.PASS


def test_a_standing_alm_limit_is_checked_but_is_not_pg_alm_evidence() -> None:
    standing = GridEvent("alm", T0.replace(hour=21), limit_kw=Decimal("9.6"))
    [measured] = check_grid_limits([standing], readings(7680.0, settle_s=0))
    assert measured.verdict is Verdict.PASS and measured.requirements == ()
