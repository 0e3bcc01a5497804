"""Energy request → grant (BR-07, BR-08, PG-DLC, PG-ALM): hand-computed schedules, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rig.domain.tariff import RatePeriod
from rig.services.grants import (
    CapacitySlot,
    DemandResponseEvent,
    EnergyRequest,
    Grant,
    GrantError,
    GrantStatus,
    LoadLimit,
    ScheduleSlot,
    grant,
)
from rig.services.tariffs import PricedSpan

PACIFIC = ZoneInfo("America/Los_Angeles")
NO_DELAY = timedelta(0)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 7, day, hour, minute, second, tzinfo=PACIFIC)


NOW = at(12)
# Wednesday: mid-peak until 16:00, on-peak 16:00-21:00, off-peak 21:00-07:00.
PRICES = (
    PricedSpan(at(12), at(16), RatePeriod.MID_PEAK, Decimal("0.25")),
    PricedSpan(at(16), at(21), RatePeriod.ON_PEAK, Decimal("0.40")),
    PricedSpan(at(21), at(7, day=2), RatePeriod.OFF_PEAK, Decimal("0.12")),
)


def request(kwh: str, kw: str, departure: datetime, *, off_peak: bool = False) -> EnergyRequest:
    return EnergyRequest(Decimal(kwh), Decimal(kw), departure, prefers_off_peak=off_peak)


def slots(granted: Grant) -> list[tuple[str, str, Decimal, Decimal]]:
    return [
        (slot.start.strftime("%H:%M:%S"), slot.end.strftime("%H:%M:%S"), slot.kw, slot.kwh)
        for slot in granted.schedule
    ]


def test_a_request_that_fits_is_confirmed_as_asked_at_once() -> None:
    granted = grant(request("10", "5", at(16)), now=NOW, seed=1, max_random_delay=NO_DELAY)
    assert granted.status is GrantStatus.CONFIRMED
    assert (granted.energy_available_kwh, granted.power_available_kw) == (Decimal(10), Decimal(5))
    assert granted.schedule == (ScheduleSlot(at(12), at(14), Decimal(5), Decimal(10)),)
    assert granted.start_delay == timedelta(0)
    assert granted.reasons == ()


def test_the_randomised_start_delay_is_short_seeded_and_reproducible() -> None:
    first = grant(request("10", "5", at(16)), now=NOW, seed="PEV-ALICE/7")
    again = grant(request("10", "5", at(16)), now=NOW, seed="PEV-ALICE/7")
    assert first == again
    assert timedelta(0) <= first.start_delay <= timedelta(minutes=5)
    assert first.start_delay.microseconds == 0
    assert first.schedule[0].start == NOW + first.start_delay
    small = [grant(request("1", "5", at(16)), now=NOW, seed=seed) for seed in range(20)]
    assert len({granted.start_delay for granted in small}) > 1
    delayed = next(granted for granted in small if granted.start_delay)
    assert delayed.requirement_ids == ("BR-08",)
    assert delayed.status is GrantStatus.CONFIRMED


def test_capacity_below_the_request_adjusts_energy_and_power() -> None:
    granted = grant(
        request("10", "5", at(14)),
        now=NOW,
        seed=1,
        capacity=[CapacitySlot(at(12), at(14), Decimal(3))],
        max_random_delay=NO_DELAY,
    )
    assert granted.status is GrantStatus.ADJUSTED
    assert (granted.energy_available_kwh, granted.power_available_kw) == (Decimal(6), Decimal(3))
    assert slots(granted) == [("12:00:00", "14:00:00", Decimal("3"), Decimal("6.000"))]
    assert granted.requirement_ids == ("BR-07",)
    assert len(granted.reasons) == 3  # the capacity slot, the energy short, the power short


def test_capacity_for_part_of_the_window_reshapes_but_confirms() -> None:
    # 12-13 at 2 kW gives 2 kWh; the other 8 kWh at 5 kW take 1.6 h: 13:00-14:36.
    granted = grant(
        request("10", "5", at(16)),
        now=NOW,
        seed=1,
        capacity=[CapacitySlot(at(12), at(13), Decimal(2))],
        max_random_delay=NO_DELAY,
    )
    assert granted.status is GrantStatus.CONFIRMED
    assert slots(granted) == [
        ("12:00:00", "13:00:00", Decimal("2"), Decimal("2.000")),
        ("13:00:00", "14:36:00", Decimal("5"), Decimal("8.000")),
    ]
    assert granted.requirement_ids == ("BR-07",)


def test_a_dr_event_stops_charging_for_its_window() -> None:
    granted = grant(
        request("10", "5", at(16)),
        now=NOW,
        seed=1,
        dr_events=[DemandResponseEvent("DLC-42", at(13), at(14))],
        max_random_delay=NO_DELAY,
    )
    assert slots(granted) == [
        ("12:00:00", "13:00:00", Decimal("5"), Decimal("5.000")),
        ("14:00:00", "15:00:00", Decimal("5"), Decimal("5.000")),
    ]
    assert granted.status is GrantStatus.CONFIRMED
    assert granted.requirement_ids == ("PG-DLC", "BR-08")
    assert "DLC-42" in granted.reasons[0].message


def test_a_dr_event_with_a_limit_slows_charging() -> None:
    granted = grant(
        request("10", "5", at(14)),
        now=NOW,
        seed=1,
        dr_events=[DemandResponseEvent("DLC-43", at(13), at(14), limit_kw=Decimal("2.5"))],
        max_random_delay=NO_DELAY,
    )
    assert slots(granted) == [
        ("12:00:00", "13:00:00", Decimal("5"), Decimal("5.000")),
        ("13:00:00", "14:00:00", Decimal("2.5"), Decimal("2.500")),
    ]
    assert (granted.status, granted.energy_available_kwh) == (GrantStatus.ADJUSTED, Decimal("7.5"))


def test_a_dr_event_after_charging_is_done_is_not_a_reason() -> None:
    granted = grant(
        request("5", "5", at(20)),
        now=NOW,
        seed=1,
        dr_events=[DemandResponseEvent("DLC-44", at(17), at(19))],
        max_random_delay=NO_DELAY,
    )
    assert granted.reasons == ()


def test_an_alm_limit_takes_effect_mid_session() -> None:
    # 12:00-12:30 at 4 kW gives 2 kWh; the other 4 kWh at 2 kW take 2 h.
    granted = grant(
        request("6", "4", at(16)),
        now=NOW,
        seed=1,
        load_limits=[LoadLimit(at(12, 30), Decimal(2))],
        max_random_delay=NO_DELAY,
    )
    assert slots(granted) == [
        ("12:00:00", "12:30:00", Decimal("4"), Decimal("2.000")),
        ("12:30:00", "14:30:00", Decimal("2"), Decimal("4.000")),
    ]
    assert granted.status is GrantStatus.CONFIRMED
    assert granted.requirement_ids == ("PG-ALM",)


def test_the_latest_alm_limit_in_force_applies_from_before_now() -> None:
    granted = grant(
        request("6", "4", at(16)),
        now=NOW,
        seed=1,
        load_limits=[LoadLimit(at(11), Decimal(3)), LoadLimit(at(10), Decimal(1))],
        max_random_delay=NO_DELAY,
    )
    assert slots(granted) == [("12:00:00", "14:00:00", Decimal("3"), Decimal("6.000"))]
    assert (granted.status, granted.power_available_kw) == (GrantStatus.ADJUSTED, Decimal(3))


def test_off_peak_preference_moves_charging_to_the_cheapest_period() -> None:
    granted = grant(
        request("20", "5", at(7, day=2), off_peak=True),
        now=NOW,
        seed=1,
        prices=PRICES,
        max_random_delay=NO_DELAY,
    )
    assert slots(granted) == [("21:00:00", "01:00:00", Decimal("5"), Decimal("20.000"))]
    assert granted.status is GrantStatus.CONFIRMED
    assert granted.requirement_ids == ("BR-08",)
    assert "off-peak" in granted.reasons[0].message


def test_without_the_preference_the_same_request_charges_at_once() -> None:
    granted = grant(
        request("20", "5", at(7, day=2)), now=NOW, seed=1, prices=PRICES, max_random_delay=NO_DELAY
    )
    assert slots(granted) == [("12:00:00", "16:00:00", Decimal("5"), Decimal("20.000"))]


def test_off_peak_too_short_spills_into_the_next_cheapest_period() -> None:
    # Off-peak 21:00-07:00 holds 50 kWh; the other 10 kWh go to mid-peak, earliest first.
    granted = grant(
        request("60", "5", at(7, day=2), off_peak=True),
        now=NOW,
        seed=1,
        prices=PRICES,
        max_random_delay=NO_DELAY,
    )
    assert slots(granted) == [
        ("12:00:00", "14:00:00", Decimal("5"), Decimal("10.000")),
        ("21:00:00", "07:00:00", Decimal("5"), Decimal("50.000")),
    ]


def test_no_time_before_departure_grants_nothing() -> None:
    granted = grant(request("10", "5", NOW), now=NOW, seed=1, max_random_delay=NO_DELAY)
    assert granted.schedule == ()
    assert (granted.status, granted.energy_available_kwh, granted.power_available_kw) == (
        GrantStatus.ADJUSTED,
        Decimal(0),
        Decimal(0),
    )
    assert granted.requirement_ids == ("BR-07",)


def test_the_last_slot_is_cut_to_the_second_rounded_up_with_exact_energy() -> None:
    # 1 kWh at 7 kW takes 514.29 s: the slot ends after 515 s and carries exactly 1 kWh.
    granted = grant(request("1", "7", at(16)), now=NOW, seed=1, max_random_delay=NO_DELAY)
    assert slots(granted) == [("12:00:00", "12:08:35", Decimal("7"), Decimal("1"))]


def test_full_slots_round_down_to_whole_wh_and_the_total_stays_exact() -> None:
    # 7 kW for 20 minutes is 2.3333 kWh, scheduled as 2.333; 2.667 follow.
    prices = (
        PricedSpan(at(12), at(12, 20), RatePeriod.MID_PEAK, Decimal("0.25")),
        PricedSpan(at(12, 20), at(16), RatePeriod.MID_PEAK, Decimal("0.26")),
    )
    granted = grant(
        request("5", "7", at(16)), now=NOW, seed=1, prices=prices, max_random_delay=NO_DELAY
    )
    assert granted.energy_available_kwh == Decimal(5)
    assert [slot.kwh for slot in granted.schedule] == [Decimal("5.000")]  # merged at 7 kW


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"now": datetime(2026, 7, 1, 12)}, "aware"),
        ({"the_request": request("1", "0", at(16))}, "power requested"),
        ({"the_request": request("-1", "5", at(16))}, "energy requested"),
        ({"capacity": [CapacitySlot(at(13), at(12), Decimal(1))]}, "end after"),
        ({"load_limits": [LoadLimit(at(13), Decimal(-1))]}, "≥ 0 kW"),
        ({"max_random_delay": timedelta(seconds=-1)}, "max_random_delay"),
    ],
)
def test_malformed_input_is_a_grant_error(arguments: dict[str, object], message: str) -> None:
    the_request = arguments.pop("the_request", request("1", "5", at(16)))
    assert isinstance(the_request, EnergyRequest)
    with pytest.raises(GrantError, match=message):
        grant(the_request, **({"now": NOW, "seed": 1} | arguments))  # type: ignore[arg-type]


@given(
    kwh=st.integers(min_value=0, max_value=80_000),
    kw=st.integers(min_value=1, max_value=19_200),
    hours_to_departure=st.integers(min_value=0, max_value=20),
    capacity_kw=st.integers(min_value=0, max_value=19_200),
    dr_start=st.integers(min_value=0, max_value=20),
    seed=st.integers(),
)
def test_a_grant_never_promises_more_than_asked_or_allowed(
    kwh: int, kw: int, hours_to_departure: int, capacity_kw: int, dr_start: int, seed: int
) -> None:
    the_request = EnergyRequest(
        Decimal(kwh) / 1000, Decimal(kw) / 1000, NOW + timedelta(hours=hours_to_departure)
    )
    capacity = CapacitySlot(at(12), at(18), Decimal(capacity_kw) / 1000)
    event = DemandResponseEvent(
        "DR", NOW + timedelta(hours=dr_start), NOW + timedelta(hours=dr_start + 2)
    )
    granted = grant(
        the_request, now=NOW, seed=seed, capacity=[capacity], dr_events=[event], prices=PRICES
    )
    assert granted.energy_available_kwh <= the_request.energy_requested_kwh
    assert granted.energy_available_kwh == sum((slot.kwh for slot in granted.schedule), Decimal(0))
    for slot in granted.schedule:
        assert NOW <= slot.start < slot.end <= the_request.departure
        assert 0 < slot.kw <= the_request.power_requested_kw
        assert slot.kwh > 0
        assert slot.kwh <= slot.kw * Decimal(
            (slot.end - slot.start).total_seconds()
        ) / 3600 + Decimal("0.001")
        if capacity.start <= slot.start < capacity.end:
            assert slot.kw <= capacity.available_kw
        assert not (event.start <= slot.start < event.end)
    confirmed = granted.status is GrantStatus.CONFIRMED
    assert confirmed == (
        granted.energy_available_kwh == the_request.energy_requested_kwh
        and granted.power_available_kw == the_request.power_requested_kw
    )
