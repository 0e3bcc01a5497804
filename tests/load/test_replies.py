"""Reply parsing on its own: cheap on the happy path, strict on everything else."""

from __future__ import annotations

import pytest

from drivers.errors import InstrumentReplyError
from drivers.kinds import Identity
from drivers.load import replies


@pytest.mark.parametrize(
    ("text", "value"), [("230.1", 230.1), ("+2.301E+02", 230.1), (" 16 ", 16.0), ("-0.01", -0.01)]
)
def test_numbers(text: str, value: float) -> None:
    assert replies.number("L", "Q?", text, -1.0, 1000.0) == value


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "9.91E37", "1001", "-2", "", "x"])
def test_impossible_numbers(text: str) -> None:
    with pytest.raises(InstrumentReplyError) as caught:
        replies.number("L", "Q?", text, -1.0, 1000.0)
    assert caught.value.sent == "Q?" and caught.value.received == text


def test_a_bad_field_quotes_the_whole_reply() -> None:
    with pytest.raises(InstrumentReplyError, match="field 'x'") as caught:
        replies.number("L", "MEAS?", "1,x,3", 0.0, 10.0, field="x")
    assert caught.value.received == "1,x,3"


@pytest.mark.parametrize(
    ("text", "value"), [("1", True), ("ON", True), ("0", False), ("off", False)]
)
def test_flags(text: str, value: bool) -> None:
    assert replies.flag("L", "Q?", text) is value


@pytest.mark.parametrize(
    ("text", "identity"),
    [
        ("Chroma ATE,63803,123,1.0", Identity("Chroma ATE", "63803", "123", "1.0")),
        ("ITECH,IT8615,SN,V1.0,B2", Identity("ITECH", "IT8615", "SN", "V1.0,B2")),
        ("ACME,L1", Identity("ACME", "L1", "", "")),
    ],
)
def test_identities(text: str, identity: Identity) -> None:
    assert replies.identity("L", "*IDN?", text) == identity


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ('0,"No error"', (0, "No error")),
        ('+0,"No error"', (0, "No error")),
        ('-222,"Data out of range"', (-222, "Data out of range")),
        ("-113", (-113, "")),
        ('-221, "Settings conflict; mode"', (-221, "Settings conflict; mode")),
    ],
)
def test_error_entries(text: str, entry: tuple[int, str]) -> None:
    assert replies.error_entry("L", "SYST:ERR?", text) == entry


@pytest.mark.parametrize("text", ["", "OK", "No error", "x,-1"])
def test_bad_error_entries(text: str) -> None:
    with pytest.raises(InstrumentReplyError, match="error-queue entry"):
        replies.error_entry("L", "SYST:ERR?", text)
