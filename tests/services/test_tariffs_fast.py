"""The faster pricing paths give exactly what the straightforward ones give.

``tariffs._pieces`` builds a range's price pieces from cached whole UTC days, and
``price_session`` walks the spans once instead of clipping each interval; both
are checked here against the direct construction (``_pieces_between``, then
``_clipped`` + ``_share_by_time`` + ``_contiguous_runs`` per interval) on the
data set's TOU, RTP and flat tariffs, across days, weekends and the March
daylight-saving change, with intervals straddling price boundaries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rig.services import tariffs as tf
from rig.services.dataset import load_dataset
from rig.services.testing import DEFAULT_DATA

DS = load_dataset(DEFAULT_DATA)
TARIFFS = [DS.tariffs[t] for t in ("HPL-PEV-TOU", "HPL-PEV-RTP", "HPL-RES-TOU", "SGE-RES-FLAT")]
# Thursday 5 March 2026 … Tuesday 10 March (US DST starts Sunday 8 March, 02:00)
BASE = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)


def reference_price(tariff: tf.Tariff, intervals: list[tf.MeteredInterval]) -> tf.SessionBill:
    ordered = tf._checked(intervals)
    spans = tf._pieces_between(
        tariff, ordered[0].start.astimezone(UTC), ordered[-1].end.astimezone(UTC)
    )
    priced: list[tuple[tf._Piece, Decimal]] = []
    for iv in ordered:
        pieces = tf._clipped(spans, iv)
        priced.extend(zip(pieces, tf._share_by_time(iv, pieces), strict=True))
    runs = tf._contiguous_runs(priced)
    metered = sum((iv.kwh for iv in intervals), Decimal(0))
    last_piece, last_kwh = runs[-1]
    runs[-1] = (last_piece, last_kwh + tf._step_rounding(metered, last_piece.price.step_size_wh))
    lines = tuple(
        tf.BillLine(
            start=p.start,
            end=p.end,
            kwh=k,
            rate_period=p.price.period,
            rate=p.price.rate,
            amount=(k * p.price.rate).quantize(tf.MONEY_QUANTUM, ROUND_HALF_UP),
        )
        for p, k in runs
    )
    return tf.SessionBill(
        tariff_id=tariff.id,
        currency=tariff.currency,
        lines=lines,
        metered_kwh=metered,
        total_kwh=sum((x.kwh for x in lines), Decimal(0)),
        total_amount=sum((x.amount for x in lines), Decimal(0)),
    )


sessions = st.tuples(
    st.sampled_from(range(len(TARIFFS))),
    st.integers(min_value=0, max_value=5 * 24 * 60),  # start, minutes after BASE
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=40),  # gap before, minutes
            st.integers(min_value=1, max_value=15),  # length, minutes
            st.integers(min_value=0, max_value=5000),  # Wh
        ),
        min_size=1,
        max_size=120,
    ),
)


@settings(max_examples=300, deadline=None)
@given(sessions)
def test_fast_pricing_equals_the_direct_construction(
    session: tuple[int, int, list[tuple[int, int, int]]],
) -> None:
    which, offset, shape = session
    tariff = TARIFFS[which]
    t = BASE + timedelta(minutes=offset, seconds=7 * (offset % 3))  # off-grid starts too
    intervals: list[tf.MeteredInterval] = []
    for gap, length, wh in shape:
        t += timedelta(minutes=gap)
        end = t + timedelta(minutes=length)
        intervals.append(tf.MeteredInterval(t, end, Decimal(wh) / 1000))
        t = end
    start, end = intervals[0].start, intervals[-1].end
    assert tf._pieces(tariff, start, end) == tf._pieces_between(tariff, start, end)
    assert tf.price_session(tariff, list(reversed(intervals))) == reference_price(tariff, intervals)
