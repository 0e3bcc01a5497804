"""PG-RTP: the tariff as it stood, the latest publication of an hour winning."""

from __future__ import annotations

from decimal import Decimal

from tariff_cases import TOU, utc

from rig.oracle.publications import with_publications
from rig.services.tariffs import HourlyPrice


def test_the_latest_publication_of_an_hour_wins_and_others_are_untouched() -> None:
    first = HourlyPrice(start=utc(25, 21), price=Decimal("0.20"))
    later = HourlyPrice(start=utc(25, 21), price=Decimal("0.05"))
    next_hour = HourlyPrice(start=utc(25, 22), price=Decimal("0.07"))
    priced = with_publications(
        {TOU.id: TOU, "OTHER": TOU}, [(TOU.id, first), (TOU.id, next_hour), (TOU.id, later)]
    )
    assert [(h.start, h.price) for h in priced[TOU.id].hourly_prices] == [
        (utc(25, 21), Decimal("0.05")),
        (utc(25, 22), Decimal("0.07")),
    ]
    assert priced["OTHER"] is TOU
