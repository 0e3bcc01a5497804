"""Two independent implementations of the same written billing rules must agree.

The oracle never calls the services' pricing; this test does, to show that where
both are right they give the same bill to the cent and the Wh — for random sessions
over TOU boundaries, weekends, a holiday and published hourly prices — so a failing
plan points at a real defect, not at two readings of the tariff rules.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tariff_cases import HOURLY, TOU, interval, utc

from rig.domain.tariff import Tariff
from rig.oracle.tariff import expected_bill
from rig.record import MeteringInterval
from rig.services.tariffs import MeteredInterval, price_session

RTP_OVER_TOU = TOU.model_copy(update={"id": "RTP-TOU", "hourly_prices": HOURLY.hourly_prices})


@st.composite
def sessions(draw: st.DrawFn) -> list[MeteringInterval]:
    start = utc(24, 0) + timedelta(minutes=draw(st.integers(0, 6 * 24 * 60)))
    length = timedelta(minutes=draw(st.sampled_from([5, 15, 60])))
    count = draw(st.integers(1, 12))
    kwh = st.decimals(Decimal("0"), Decimal("20"), places=draw(st.sampled_from([3, 4])))
    return [
        interval(start + n * length, start + (n + 1) * length, str(draw(kwh))) for n in range(count)
    ]


@settings(max_examples=60, deadline=None)
@given(session=sessions(), tariff=st.sampled_from([TOU, HOURLY, RTP_OVER_TOU]))
def test_oracle_and_service_price_alike(session: list[MeteringInterval], tariff: Tariff) -> None:
    ours = expected_bill(tariff, session)
    theirs = price_session(tariff, [MeteredInterval(i.start, i.end, i.kwh) for i in session])
    assert [(o.start, o.end, o.kwh, o.period, o.rate, o.amount) for o in ours.lines] == [
        (s.start, s.end, s.kwh, str(s.rate_period), s.rate, s.amount) for s in theirs.lines
    ]
    assert (ours.total_kwh, ours.total_amount) == (theirs.total_kwh, theirs.total_amount)


def test_daylight_saving_fall_back_repeats_the_window() -> None:
    # On 2026-11-01 New York falls back at 06:00 UTC (02:00 EDT → 01:00 EST), so the
    # local window 01:30–03:00 holds 05:30–06:00 UTC (EDT) and again 06:30–08:00 UTC.
    night = Tariff.model_validate(
        {
            "id": "NIGHT",
            "currency": "USD",
            "time_zone": "America/New_York",
            "elements": [
                {
                    "price_components": [{"price": "0.30"}],
                    "restrictions": {"start_time": "01:30", "end_time": "03:00"},
                    "period": "on_peak",
                },
                {"price_components": [{"price": "0.10"}], "period": "off_peak"},
            ],
        }
    )
    session = [interval(utc(1, 5), utc(1, 9), "4.000")]
    ours = expected_bill(night, session)
    assert [(p.start.hour, p.start.minute, p.price.period) for p in ours.pieces] == [
        (5, 0, "off_peak"),
        (5, 30, "on_peak"),
        (6, 0, "off_peak"),
        (6, 30, "on_peak"),
        (8, 0, "off_peak"),
    ]
    theirs = price_session(night, [MeteredInterval(i.start, i.end, i.kwh) for i in session])
    assert [line.amount for line in ours.lines] == [line.amount for line in theirs.lines]
