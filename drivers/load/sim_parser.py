"""The little SCPI parser the simulated loads use: headers, long/short forms, values.

SCPI keywords have a long form and a short form, the short form being the capital
letters of the long one (``CURRent`` → ``CURR``); either is accepted, in any case.
Nodes in brackets are optional: the pattern ``[SOURce:]CURRent[:LEVel]`` matches
``CURR``, ``SOUR:CURR``, ``source:current:level`` and so on. A trailing ``?`` makes
a header a query.

A message line may hold several commands separated by ``;``; each is taken from the
root of the command tree (the simulator does not implement SCPI's "same subsystem"
rule for a following command without a leading colon). The replies of the queries in
one line are joined by ``;`` into one reply line, as IEEE 488.2 prescribes.

Errors are raised as :class:`ScpiError` with the standard SCPI code and message;
the simulated instrument puts them in its error queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NODE = re.compile(r"\[:?([A-Za-z*]+):?\]|:?([A-Za-z*][A-Za-z0-9]*)")


class ScpiError(Exception):
    """A SCPI error-queue entry: code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f'{code},"{message}"')
        self.code = code
        self.message = message


UNDEFINED_HEADER = (-113, "Undefined header")
PARAMETER_NOT_ALLOWED = (-108, "Parameter not allowed")
MISSING_PARAMETER = (-109, "Missing parameter")
NUMERIC_DATA_ERROR = (-120, "Numeric data error")
ILLEGAL_PARAMETER = (-224, "Illegal parameter value")
OUT_OF_RANGE = (-222, "Data out of range")
SETTINGS_CONFLICT = (-221, "Settings conflict")
QUEUE_OVERFLOW = (-350, "Queue overflow")


def fail(entry: tuple[int, str]) -> ScpiError:
    return ScpiError(*entry)


@dataclass(frozen=True)
class Keyword:
    """One node of a command tree: accepted in its short or long form."""

    short: str
    long: str
    optional: bool = False

    @classmethod
    def of(cls, word: str, optional: bool = False) -> Keyword:
        short = "".join(c for c in word if c.isupper() or c.isdigit() or c == "*")
        return cls(short=short, long=word.upper(), optional=optional)

    def matches(self, token: str) -> bool:
        return token == self.short or token == self.long


def compile_header(pattern: str) -> tuple[Keyword, ...]:
    """``"[SOURce:]CURRent[:LEVel]"`` → its keyword nodes."""
    return tuple(
        Keyword.of(optional or required, optional=bool(optional))
        for optional, required in _NODE.findall(pattern)
    )


def header_matches(nodes: tuple[Keyword, ...], tokens: list[str]) -> bool:
    """Does the colon-split, upper-cased header ``tokens`` fit the pattern ``nodes``?"""

    def walk(i: int, j: int) -> bool:
        if j == len(nodes):
            return i == len(tokens)
        node = nodes[j]
        if i < len(tokens) and node.matches(tokens[i]) and walk(i + 1, j + 1):
            return True
        return node.optional and walk(i, j + 1)

    return walk(0, 0)


def split_command(command: str) -> tuple[str, bool, str]:
    """``" :SOUR:CURR 5 "`` → (``"SOUR:CURR"``, is_query, ``"5"``)."""
    text = command.strip()
    header, _, argument = text.partition(" ")
    header = header.lstrip(":").upper()
    query = header.endswith("?")
    return (header[:-1] if query else header), query, argument.strip()


def number(argument: str, *, minimum: float, maximum: float) -> float:
    """A numeric parameter (or ``MIN``/``MAX``) within the instrument's range."""
    if not argument:
        raise fail(MISSING_PARAMETER)
    word = argument.upper()
    if word in ("MIN", "MINIMUM"):
        return minimum
    if word in ("MAX", "MAXIMUM"):
        return maximum
    try:
        value = float(argument)
    except ValueError:
        raise fail(NUMERIC_DATA_ERROR) from None
    if not minimum <= value <= maximum:  # also false for NaN
        raise fail(OUT_OF_RANGE)
    return value


def boolean(argument: str) -> bool:
    """A SCPI boolean parameter: ``ON``/``OFF``/``1``/``0``."""
    word = argument.upper()
    if word in ("1", "ON"):
        return True
    if word in ("0", "OFF"):
        return False
    if not word:
        raise fail(MISSING_PARAMETER)
    raise fail(ILLEGAL_PARAMETER)


def choice(argument: str, choices: tuple[str, ...]) -> str:
    """A character parameter in long or short form; returns the short form."""
    if not argument:
        raise fail(MISSING_PARAMETER)
    word = argument.upper()
    for option in choices:
        keyword = Keyword.of(option)
        if keyword.matches(word):
            return keyword.short
    raise fail(ILLEGAL_PARAMETER)
