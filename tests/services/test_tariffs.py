"""Tariff definitions and pricing: hand-computed bills, no I/O.

The reference tariff is a residential EV time-of-use plan in Pacific time:
weekdays on-peak 16:00-21:00 at 0.40 and mid-peak 07:00-16:00 at 0.25; weekends
and holidays mid-peak 16:00-21:00 at 0.20; everything else off-peak at 0.12.
2026-07-01 is a Wednesday, 2026-07-03 a holiday Friday, 2026-07-04 a Saturday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from rig.domain.tariff import RatePeriod, Tariff
from rig.services.tariffs import (
    BillLine,
    MeteredInterval,
    PricedSpan,
    PricingError,
    price_session,
    price_spans,
    settle_roaming,
)

PACIFIC = ZoneInfo("America/Los_Angeles")

EV_TOU_YAML = """
id: pge-ev-tou
currency: USD
time_zone: America/Los_Angeles
holidays: [2026-07-03, 2026-12-25]
elements:
  - period: on_peak
    price_components: [{type: ENERGY, price: "0.40", step_size: 1}]
    restrictions: {start_time: "16:00", end_time: "21:00", day_type: [weekday]}
  - period: mid_peak
    price_components: [{type: ENERGY, price: "0.25", step_size: 1}]
    restrictions: {start_time: "07:00", end_time: "16:00", day_type: [weekday]}
  - period: mid_peak
    price_components: [{type: ENERGY, price: "0.20", step_size: 1}]
    restrictions: {start_time: "16:00", end_time: "21:00", day_type: [weekend, holiday]}
  - period: off_peak
    price_components: [{type: ENERGY, price: "0.12", step_size: 1}]
"""
EV_TOU = Tariff.model_validate(yaml.safe_load(EV_TOU_YAML))


def flat(tariff_id: str, price: str, step_size: int = 1) -> Tariff:
    return Tariff.model_validate(
        {
            "id": tariff_id,
            "currency": "USD",
            "time_zone": "America/Los_Angeles",
            "elements": [{"price_components": [{"price": price, "step_size": step_size}]}],
        }
    )


PERIOD_PRICE = {"on_peak": "0.30", "off_peak": "0.10"}


def windowed(
    window: str, start: str, end: str, *, rest: str, time_zone: str = "America/Los_Angeles"
) -> Tariff:
    """Period ``window`` from ``start`` to ``end`` local time, ``rest`` otherwise.

    On-peak costs 0.30, off-peak 0.10.
    """
    return Tariff.model_validate(
        {
            "id": "window",
            "currency": "USD",
            "time_zone": time_zone,
            "elements": [
                {
                    "period": window,
                    "price_components": [{"price": PERIOD_PRICE[window]}],
                    "restrictions": {"start_time": start, "end_time": end},
                },
                {"period": rest, "price_components": [{"price": PERIOD_PRICE[rest]}]},
            ],
        }
    )


def pacific(day: int, hour: int, minute: int = 0, month: int = 7) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PACIFIC)


def interval(start: datetime, end: datetime, kwh: str) -> MeteredInterval:
    return MeteredInterval(start, end, Decimal(kwh))


def summary(lines: tuple[BillLine, ...]) -> list[tuple[str, str, str, str]]:
    return [(line.rate_period, str(line.kwh), str(line.rate), str(line.amount)) for line in lines]


def test_interval_straddling_a_boundary_splits_there_pro_rata_by_time() -> None:
    # 15:45-16:15, 3.3 kWh: half the time mid-peak, half on-peak.
    bill = price_session(EV_TOU, [interval(pacific(1, 15, 45), pacific(1, 16, 15), "3.3")])
    assert summary(bill.lines) == [
        ("mid_peak", "1.650", "0.25", "0.41"),  # 0.4125 -> 0.41
        ("on_peak", "1.650", "0.40", "0.66"),
    ]
    assert bill.lines[0].end == bill.lines[1].start == pacific(1, 16)
    assert (bill.metered_kwh, bill.total_kwh, bill.total_amount) == (
        Decimal("3.3"),
        Decimal("3.3"),
        Decimal("1.07"),
    )


def test_boundary_split_is_by_time_not_half_and_half() -> None:
    # 15:50-16:20, 3.0 kWh: 10 of 30 minutes mid-peak.
    bill = price_session(EV_TOU, [interval(pacific(1, 15, 50), pacific(1, 16, 20), "3.0")])
    assert summary(bill.lines) == [
        ("mid_peak", "1.000", "0.25", "0.25"),
        ("on_peak", "2.000", "0.40", "0.80"),
    ]


def test_contiguous_intervals_at_one_price_make_one_line() -> None:
    intervals = [
        interval(pacific(1, 16, 15 * k), pacific(1, 16, 15 * k + 15), "1.8") for k in range(3)
    ]
    bill = price_session(EV_TOU, intervals)
    assert summary(bill.lines) == [("on_peak", "5.4", "0.40", "2.16")]
    assert (bill.lines[0].start, bill.lines[0].end) == (pacific(1, 16), pacific(1, 16, 45))


def test_out_of_order_intervals_are_priced_in_time_order() -> None:
    late = interval(pacific(1, 16), pacific(1, 16, 15), "1")
    early = interval(pacific(1, 15, 45), pacific(1, 16), "1")
    assert price_session(EV_TOU, [late, early]) == price_session(EV_TOU, [early, late])


def test_a_gap_between_intervals_keeps_lines_apart() -> None:
    bill = price_session(
        EV_TOU,
        [
            interval(pacific(1, 16), pacific(1, 16, 15), "1"),
            interval(pacific(1, 16, 30), pacific(1, 16, 45), "1"),
        ],
    )
    assert len(bill.lines) == 2


@pytest.mark.parametrize(
    ("day", "period", "rate"),
    [
        pytest.param(1, "on_peak", "0.40", id="Wednesday weekday"),
        pytest.param(3, "mid_peak", "0.20", id="Friday holiday"),
        pytest.param(4, "mid_peak", "0.20", id="Saturday weekend"),
        pytest.param(5, "mid_peak", "0.20", id="Sunday weekend"),
        pytest.param(6, "on_peak", "0.40", id="Monday weekday"),
    ],
)
def test_day_types_weekday_weekend_and_holiday(day: int, period: str, rate: str) -> None:
    bill = price_session(EV_TOU, [interval(pacific(day, 17), pacific(day, 18), "7")])
    assert [(line.rate_period, str(line.rate)) for line in bill.lines] == [(period, rate)]


def test_midnight_between_weekday_and_weekend_is_not_a_price_change_off_peak() -> None:
    # Friday 2026-07-10 23:00 to Saturday 01:00: off-peak on both sides, one line.
    bill = price_session(EV_TOU, [interval(pacific(10, 23), pacific(11, 1), "4")])
    assert summary(bill.lines) == [("off_peak", "4", "0.12", "0.48")]


def test_price_spans_over_a_weekday() -> None:
    spans = price_spans(EV_TOU, pacific(1, 0), pacific(2, 0))
    assert [(span.start.astimezone(PACIFIC).hour, span.period) for span in spans] == [
        (0, RatePeriod.OFF_PEAK),
        (7, RatePeriod.MID_PEAK),
        (16, RatePeriod.ON_PEAK),
        (21, RatePeriod.OFF_PEAK),
    ]
    assert spans[-1].end == pacific(2, 0)


def test_a_window_wrapping_past_midnight() -> None:
    night = windowed("off_peak", "21:00", "07:00", rest="on_peak", time_zone="Europe/Berlin")
    berlin = ZoneInfo("Europe/Berlin")
    spans = price_spans(
        night, datetime(2026, 1, 5, 20, tzinfo=berlin), datetime(2026, 1, 6, 8, tzinfo=berlin)
    )
    assert [(span.start.astimezone(berlin).hour, span.period) for span in spans] == [
        (20, RatePeriod.ON_PEAK),
        (21, RatePeriod.OFF_PEAK),
        (7, RatePeriod.ON_PEAK),
    ]


def test_day_of_week_restriction_as_in_ocpi() -> None:
    sunday_special = Tariff.model_validate(
        {
            "id": "sunday",
            "currency": "USD",
            "time_zone": "America/Los_Angeles",
            "elements": [
                {
                    "period": "off_peak",
                    "price_components": [{"price": "0.05"}],
                    "restrictions": {"day_of_week": ["SUNDAY"]},
                },
                {"price_components": [{"price": "0.20"}]},
            ],
        }
    )
    saturday, sunday = pacific(4, 12), pacific(5, 12)
    assert price_spans(sunday_special, saturday, saturday + timedelta(hours=1))[0].rate == Decimal(
        "0.20"
    )
    assert price_spans(sunday_special, sunday, sunday + timedelta(hours=1))[0].rate == Decimal(
        "0.05"
    )


def test_seasonal_dates_end_exclusive() -> None:
    seasonal = Tariff.model_validate(
        {
            "id": "summer",
            "currency": "USD",
            "time_zone": "America/Los_Angeles",
            "elements": [
                {
                    "price_components": [{"price": "0.30"}],
                    "restrictions": {"start_date": "2026-06-01", "end_date": "2026-10-01"},
                },
                {"price_components": [{"price": "0.20"}]},
            ],
        }
    )
    spans = price_spans(seasonal, pacific(30, 23, month=9), pacific(1, 1, month=10))
    assert [(span.rate, span.end) for span in spans] == [
        (Decimal("0.30"), pacific(1, 0, month=10)),
        (Decimal("0.20"), pacific(1, 1, month=10)),
    ]


RTP = Tariff.model_validate(
    {
        "id": "pge-rtp",
        "currency": "USD",
        "time_zone": "America/Los_Angeles",
        "hourly_prices": [
            {"start": "2026-07-01T15:00:00-07:00", "price": "0.31"},
            {"start": "2026-07-01T14:00:00-07:00", "price": "0.17"},
        ],
        "elements": [{"period": "flat", "price_components": [{"price": "0.22"}]}],
    }
)


def test_hourly_prices_split_at_the_hour_and_fall_back_to_elements() -> None:
    # 14:30-16:30, 3 kWh: 0.75 at 14:xx, 1.5 at 15:xx, 0.75 at 16:xx (not published).
    bill = price_session(RTP, [interval(pacific(1, 14, 30), pacific(1, 16, 30), "3")])
    assert summary(bill.lines) == [
        ("hourly", "0.750", "0.17", "0.13"),  # 0.1275 -> 0.13
        ("hourly", "1.500", "0.31", "0.47"),  # 0.465 -> 0.47 (half up)
        ("flat", "0.750", "0.22", "0.17"),  # 0.165 -> 0.17 (half up)
    ]
    assert bill.total_amount == Decimal("0.77")


def test_hourly_prices_at_equal_rates_still_split_per_hour() -> None:
    same = RTP.model_copy(
        update={
            "hourly_prices": [
                price.model_copy(update={"price": Decimal("0.20")}) for price in RTP.hourly_prices
            ]
        }
    )
    spans = price_spans(same, pacific(1, 14), pacific(1, 16))
    assert [span.start for span in spans] == [pacific(1, 14), pacific(1, 15)]


def test_daylight_saving_spring_forward_boundary_in_the_missing_hour() -> None:
    # 2026-03-08 02:00 PST jumps to 03:00 PDT (10:00 UTC). A 02:30 boundary does not
    # exist that day: the peak price starts at the jump.
    tariff = windowed("on_peak", "02:30", "23:00", rest="off_peak")
    start = datetime(2026, 3, 8, 9, tzinfo=UTC)  # 01:00 PST
    bill = price_session(tariff, [MeteredInterval(start, start + timedelta(hours=2), Decimal(2))])
    assert [(line.start.hour, line.rate_period, str(line.kwh)) for line in bill.lines] == [
        (9, "off_peak", "1.000"),
        (10, "on_peak", "1.000"),
    ]


def test_daylight_saving_fall_back_repeats_a_boundary() -> None:
    # 2026-11-01 01:00-02:00 happens twice (PDT, then PST); 01:30-02:00 is peak both times.
    tariff = windowed("on_peak", "01:30", "02:00", rest="off_peak")
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)  # 01:00 PDT
    bill = price_session(tariff, [MeteredInterval(start, start + timedelta(hours=2), Decimal(4))])
    assert [(line.start.strftime("%H:%M"), line.rate_period) for line in bill.lines] == [
        ("08:00", "off_peak"),
        ("08:30", "on_peak"),
        ("09:00", "off_peak"),
        ("09:30", "on_peak"),
    ]
    assert {line.kwh for line in bill.lines} == {Decimal("1.000")}


def test_rounding_is_half_up_per_line_so_lines_add_up_to_the_total() -> None:
    # 0.375 + 0.375 unrounded is 0.75; per line it is 0.38 + 0.38 = 0.76.
    bill = price_session(
        flat("half", "0.25"),
        [
            interval(pacific(1, 1), pacific(1, 2), "1.5"),
            interval(pacific(1, 3), pacific(1, 4), "1.5"),
        ],
    )
    assert [line.amount for line in bill.lines] == [Decimal("0.38"), Decimal("0.38")]
    assert bill.total_amount == Decimal("0.76")


def test_rounding_just_below_half_a_cent_goes_down() -> None:
    bill = price_session(flat("down", "0.1249"), [interval(pacific(1, 1), pacific(1, 2), "0.1")])
    assert bill.total_amount == Decimal("0.01")  # 0.01249
    bill = price_session(flat("down", "0.0449"), [interval(pacific(1, 1), pacific(1, 2), "0.1")])
    assert bill.total_amount == Decimal("0.00")  # 0.00449


def test_split_energy_rounds_cumulatively_to_whole_wh() -> None:
    # 1 Wh over three equal hours: cumulative 0.33 Wh -> 0, 0.67 Wh -> 1, end 1.
    prices = [
        {"start": f"2026-07-01T0{hour}:00:00-07:00", "price": f"0.{hour}0"} for hour in (1, 2, 3)
    ]
    tariff = Tariff.model_validate(
        {
            "id": "rtp",
            "currency": "USD",
            "time_zone": "America/Los_Angeles",
            "hourly_prices": prices,
        }
    )
    bill = price_session(tariff, [interval(pacific(1, 1), pacific(1, 4), "0.001")])
    assert [line.kwh for line in bill.lines] == [
        Decimal("0.000"),
        Decimal("0.001"),
        Decimal("0.000"),
    ]
    # 3 Wh over two equal halves: 1.5 Wh rounds half up to 2, leaving 1.
    bill = price_session(tariff, [interval(pacific(1, 1, 30), pacific(1, 2, 30), "0.003")])
    assert [line.kwh for line in bill.lines] == [Decimal("0.002"), Decimal("0.001")]


def test_energy_step_size_rounds_the_session_up_at_the_last_price() -> None:
    kwh_steps = flat("steps", "0.30", step_size=1000)
    bill = price_session(kwh_steps, [interval(pacific(1, 1), pacific(1, 2), "2.3")])
    assert (bill.metered_kwh, bill.total_kwh, bill.total_amount) == (
        Decimal("2.3"),
        Decimal("3.000"),
        Decimal("0.90"),
    )


def test_sub_wh_metered_energy_is_billed_in_whole_wh() -> None:
    bill = price_session(flat("wh", "1"), [interval(pacific(1, 1), pacific(1, 2), "0.0012")])
    assert bill.total_kwh == Decimal("0.002")


def test_an_empty_session_bills_nothing() -> None:
    bill = price_session(EV_TOU, [])
    assert (bill.lines, bill.total_kwh, bill.total_amount) == ((), Decimal(0), Decimal(0))


SESSION_AT_NIGHT = [interval(pacific(1, 1), pacific(1, 3), "10")]
GUEST = flat("sce-guest", "0.50")
SETTLEMENT = flat("sce-settle", "0.20")


def test_settlement_guest_rate_option() -> None:
    settlement = settle_roaming(GUEST, SETTLEMENT, SESSION_AT_NIGHT)
    assert settlement.customer_amount == Decimal("5.00")
    assert settlement.roaming_utility_owed == Decimal("2.00")
    assert settlement.home_utility_keeps == Decimal("3.00")


def test_settlement_home_rate_option_can_leave_the_home_utility_short() -> None:
    settlement = settle_roaming(EV_TOU, SETTLEMENT, SESSION_AT_NIGHT)
    assert settlement.customer_bill.lines[0].rate_period == "off_peak"
    assert settlement.customer_amount == Decimal("1.20")
    assert settlement.roaming_utility_owed == Decimal("2.00")
    assert settlement.home_utility_keeps == Decimal("-0.80")


def test_settlement_refuses_mixed_currencies() -> None:
    euros = flat("eur", "0.2").model_copy(update={"currency": "EUR"})
    with pytest.raises(PricingError, match="EUR"):
        settle_roaming(GUEST, euros, SESSION_AT_NIGHT)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "unknown IANA time zone"),
        ({"currency": "usd"}, "currency"),
        ({"elements": [], "hourly_prices": []}, "needs elements"),
        ({"elements": [{"price_components": [{"type": "TIME", "price": "1"}]}]}, "ENERGY"),
        ({"elements": [{"period": "hourly", "price_components": [{"price": "1"}]}]}, "hourly"),
        (
            {"elements": [{"price_components": [{"price": "1"}], "restrictions": {"min_kwh": 1}}]},
            "min_kwh",
        ),
        (
            {
                "elements": [
                    {"price_components": [{"price": "1"}], "restrictions": {"start_time": "16:00"}}
                ]
            },
            "come together",
        ),
        (
            {
                "elements": [
                    {
                        "price_components": [{"price": "1"}],
                        "restrictions": {"start_time": 960, "end_time": "21:00"},
                    }
                ]
            },
            "quote times",
        ),
        ({"elements": [{"price_components": [{"price": "-1"}]}]}, "greater than or equal"),
        (
            {"hourly_prices": [{"start": "2026-07-01T14:00:00", "price": "1"}]},
            "timezone",
        ),
        (
            {
                "hourly_prices": [
                    {"start": "2026-07-01T14:00:00Z", "price": "1"},
                    {"start": "2026-07-01T14:30:00Z", "price": "1"},
                ]
            },
            "overlap",
        ),
    ],
)
def test_bad_definitions_are_refused_with_a_clear_message(
    change: dict[str, object], message: str
) -> None:
    definition = yaml.safe_load(EV_TOU_YAML) | change
    with pytest.raises(ValidationError, match=message):
        Tariff.model_validate(definition)


def test_no_applicable_price_is_a_pricing_error() -> None:
    weekdays_only = Tariff.model_validate(
        {
            "id": "gappy",
            "currency": "USD",
            "time_zone": "America/Los_Angeles",
            "elements": [
                {"price_components": [{"price": "1"}], "restrictions": {"day_type": ["weekday"]}}
            ],
        }
    )
    with pytest.raises(PricingError, match="no price at 2026-07-04"):
        price_session(weekdays_only, [interval(pacific(4, 1), pacific(4, 2), "1")])


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        ([interval(pacific(1, 2), pacific(1, 1), "1")], "does not move forward"),
        ([interval(pacific(1, 1), pacific(1, 2), "-1")], "negative"),
        (
            [
                interval(pacific(1, 1), pacific(1, 3), "1"),
                interval(pacific(1, 2), pacific(1, 4), "1"),
            ],
            "overlap",
        ),
        ([interval(datetime(2026, 7, 1, 1), datetime(2026, 7, 1, 2), "1")], "no time zone"),
    ],
)
def test_bad_intervals_are_pricing_errors(intervals: list[MeteredInterval], message: str) -> None:
    with pytest.raises(PricingError, match=message):
        price_session(EV_TOU, intervals)


@given(
    start_minute=st.integers(min_value=0, max_value=60 * 24 * 14),
    lengths=st.lists(st.integers(min_value=1, max_value=24 * 60), min_size=1, max_size=8),
    wh=st.lists(st.integers(min_value=0, max_value=50_000), min_size=8, max_size=8),
)
def test_split_pieces_always_sum_to_the_metered_energy_exactly(
    start_minute: int, lengths: list[int], wh: list[int]
) -> None:
    moment = pacific(1, 0) + timedelta(minutes=start_minute)
    intervals = []
    for length, energy_wh in zip(lengths, wh, strict=False):
        end = moment + timedelta(minutes=length)
        intervals.append(MeteredInterval(moment, end, Decimal(energy_wh) / 1000))
        moment = end
    for tariff in (EV_TOU, RTP):
        bill = price_session(tariff, intervals)
        assert bill.total_kwh == bill.metered_kwh
        assert all(line.kwh >= 0 for line in bill.lines)
        assert all(line.end > line.start for line in bill.lines)
        assert [line.start for line in bill.lines[1:]] == [line.end for line in bill.lines[:-1]]
        assert bill.total_amount == sum(
            (
                (line.kwh * line.rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
                for line in bill.lines
            ),
            Decimal(0),
        )


def test_price_spans_are_contiguous_priced_spans() -> None:
    spans = price_spans(EV_TOU, pacific(1, 6), pacific(1, 8))
    assert spans == (
        PricedSpan(pacific(1, 6), pacific(1, 7), RatePeriod.OFF_PEAK, Decimal("0.12")),
        PricedSpan(pacific(1, 7), pacific(1, 8), RatePeriod.MID_PEAK, Decimal("0.25")),
    )
