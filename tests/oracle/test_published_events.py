"""The grid events the oracle judges: as published, with only the hearing's time (judging)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rig.record import GridEvent
from rig.runner.judging.published import Publication, judged_events, published_prices

T = datetime(2026, 3, 2, 16, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _dr(start: datetime, kw: str = "0", heard: datetime | None = None) -> GridEvent:
    return GridEvent("dr", start, start + 20 * MIN, Decimal(kw), received_at=heard)


def test_a_published_window_keeps_its_times_and_takes_only_when_it_was_heard() -> None:
    published = [Publication(_dr(T + 5 * MIN))]
    heard = [_dr(T + 15 * MIN, heard=T), _dr(T + 15 * MIN, heard=T)]  # shifted, heard twice
    standing = GridEvent("alm", T - 60 * MIN, None, Decimal("6.6"), received_at=T)
    (dr, alm) = judged_events(published, [*heard, standing])
    assert (dr.effective_from, dr.effective_until) == (T + 5 * MIN, T + 25 * MIN)
    assert dr.received_at == T and dr.binding_from == T + 5 * MIN
    assert alm == standing  # no step published it: judged as heard


def test_a_publication_never_heard_binds_from_its_start() -> None:
    (dr,) = judged_events([Publication(_dr(T))], [])
    assert dr.received_at is None and dr.binding_from == T


def test_the_same_limit_is_matched_first() -> None:
    published = [Publication(_dr(T, "2")), Publication(_dr(T, "0"))]
    heard = [_dr(T + MIN, "0", heard=T + 3 * MIN), _dr(T, "2", heard=T + 2 * MIN)]
    first, second = judged_events(published, heard)
    assert (first.received_at, second.received_at) == (T + 2 * MIN, T + 3 * MIN)


def test_prices_come_from_the_publications_only() -> None:
    hour = GridEvent("price", T, T + 60 * MIN, price=Decimal("0.040"))
    published = [Publication(hour, "HPL-PEV-RTP")]
    assert judged_events(published, [hour]) == []
    [(tariff, [price])] = published_prices(published).items()
    assert (tariff, price.start, price.price) == ("HPL-PEV-RTP", T, Decimal("0.040"))
