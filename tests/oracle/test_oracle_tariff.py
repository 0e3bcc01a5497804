"""The oracle's own pricing against bills computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tariff_cases import HOURLY, STRADDLE, STRADDLE_TOTAL, TOU, interval, local, utc

from rig.domain.tariff import HourlyPrice, Tariff
from rig.oracle.tariff import TariffGap, as_published, expected_bill, price_at


def test_session_straddling_off_to_on_peak_is_split_exactly() -> None:
    bill = expected_bill(TOU, STRADDLE)
    first = [p for p in bill.pieces if p.interval == 1]
    assert [(p.start, p.end, p.kwh, p.price.period) for p in first] == [
        (local(25, 15, 52), local(25, 16), Decimal("1.067"), "off_peak"),
        (local(25, 16), local(25, 16, 7), Decimal("0.933"), "on_peak"),
    ]
    assert [(line.kwh, line.rate, line.amount) for line in bill.lines] == [
        (Decimal("1.067"), Decimal("0.12"), Decimal("0.13")),
        (Decimal("2.933"), Decimal("0.31"), Decimal("0.91")),
    ]
    assert bill.total_kwh == Decimal("4.000") and bill.total_amount == STRADDLE_TOTAL


def test_weekend_and_holiday_are_off_peak_all_day() -> None:
    saturday = expected_bill(TOU, [interval(local(28, 17), local(28, 17, 30), "3.000")])
    holiday = expected_bill(TOU, [interval(local(26, 17), local(26, 17, 30), "3.000")])
    weekday = expected_bill(TOU, [interval(local(25, 17), local(25, 17, 30), "3.000")])
    assert saturday.total_amount == holiday.total_amount == Decimal("0.36")
    assert {line.period for line in holiday.lines} == {"off_peak"}
    assert weekday.total_amount == Decimal("0.93")


def test_hourly_prices_win_and_fall_back_to_elements() -> None:
    bill = expected_bill(
        HOURLY,
        [
            interval(utc(25, 10, 30), utc(25, 11, 30), "4.000"),
            interval(utc(25, 11, 45), utc(25, 12, 15), "1.000"),
        ],
    )
    # 2.000 × 0.05 = 0.10; 2.000 × 0.09 = 0.18; 0.500 × 0.09 = 0.045 → 0.05 (half up);
    # 0.500 × 0.15 = 0.075 → 0.08. The 11:30–11:45 gap keeps 11:xx as two lines.
    assert [(line.period, line.kwh, line.amount) for line in bill.lines] == [
        ("hourly", Decimal("2.000"), Decimal("0.10")),
        ("hourly", Decimal("2.000"), Decimal("0.18")),
        ("hourly", Decimal("0.500"), Decimal("0.05")),
        ("flat", Decimal("0.500"), Decimal("0.08")),
    ]
    assert bill.total_amount == Decimal("0.41")


def test_rounding_is_half_up_per_line() -> None:
    same_price = HOURLY.model_copy(
        update={
            "hourly_prices": [
                hp.model_copy(update={"price": Decimal("0.25")}) for hp in HOURLY.hourly_prices
            ]
        }
    )
    bill = expected_bill(same_price, [interval(utc(25, 10, 30), utc(25, 11, 30), "0.040")])
    # Two published hours are two lines even at one price: 0.020 × 0.25 = 0.005 → 0.01
    # each (half up, not to even), 0.02 in all, where rounding the sum would give 0.01.
    assert [line.amount for line in bill.lines] == [Decimal("0.01"), Decimal("0.01")]
    assert bill.total_amount == Decimal("0.02")


def test_energy_share_never_loses_a_watt_hour() -> None:
    # 1.0001 kWh over three prices: the pieces still add up to the interval exactly.
    bill = expected_bill(
        TOU,
        [
            interval(
                local(
                    25,
                    15,
                    59,
                ),
                local(25, 16, 2),
                "1.0001",
            )
        ],
    )
    assert sum(p.kwh for p in bill.pieces) == Decimal("1.0001")


def test_step_size_rounds_the_session_up() -> None:
    stepped = TOU.model_copy(
        update={
            "elements": [
                e.model_copy(
                    update={
                        "price_components": [
                            c.model_copy(update={"step_size": 1000}) for c in e.price_components
                        ]
                    }
                )
                for e in TOU.elements
            ]
        }
    )
    bill = expected_bill(stepped, [interval(local(25, 10), local(25, 10, 15), "2.300")])
    assert bill.total_kwh == Decimal("3.000") and bill.total_amount == Decimal("0.36")


def test_a_gap_in_the_tariff_is_an_error() -> None:
    weekdays_only = Tariff.model_validate(
        {
            "id": "GAPPY",
            "currency": "USD",
            "time_zone": "UTC",
            "elements": [
                {"price_components": [{"price": "0.1"}], "restrictions": {"day_type": ["weekday"]}}
            ],
        }
    )
    with pytest.raises(TariffGap, match="prices nothing"):
        price_at(weekdays_only, utc(28, 12))


def test_the_latest_publication_for_an_hour_wins() -> None:
    """Rule 5: a publication replaces the hours it overlaps, the data set's and earlier ones."""
    first = HourlyPrice(start=utc(25, 11), price=Decimal("0.20"))
    later = HourlyPrice(start=utc(25, 11, 30), price=Decimal("0.30"))
    tariff = as_published(HOURLY, [first, later])
    assert [(h.start, h.price) for h in tariff.hourly_prices] == [
        (utc(25, 10), Decimal("0.05")),
        (utc(25, 11, 30), Decimal("0.30")),
    ]
    assert as_published(HOURLY, []) == HOURLY
