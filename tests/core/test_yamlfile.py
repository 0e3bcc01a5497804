"""The YAML loader reports every problem with file, line and column, all at once."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from rig.yamlfile import MAX_BYTES, MAX_DEPTH, MAX_NODES, YamlFileError, load_model
from tests.core.hostile import alias_bomb, deep_flow


class Port(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: int = Field(ge=1, le=247)
    channel: str


class Bench(BaseModel):
    model_config = ConfigDict(extra="forbid")
    meter: Port
    more: list[Port] = []


def issues_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bench.yaml"
    path.write_text(text)
    with pytest.raises(YamlFileError) as caught:
        load_model(path, Bench)
    return [str(issue).removeprefix(f"{path}:") for issue in caught.value.issues]


def test_every_error_is_reported_at_once_with_its_position(tmp_path: Path) -> None:
    text = "meter:\n  unit: 300\n  chanel: x\nmore:\n  - unit: 2\n    channel: c\n  - unit: x\n"
    assert issues_of(tmp_path, text) == [
        "1:1: meter.channel: missing required key 'channel'",
        "2:3: meter.unit: Input should be less than or equal to 247",
        "3:3: meter.chanel: unknown key (did you mean 'channel'?)",
        "7:5: more.1.channel: missing required key 'channel'",
        "7:5: more.1.unit: Input should be a valid integer, unable to parse string as an integer",
    ]


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    assert issues_of(tmp_path, "meter:\n  unit: 3\n  unit: 4\n") == [
        "3:3: unit: duplicate key (first set on line 2)"
    ]


def test_syntax_errors_point_at_the_problem(tmp_path: Path) -> None:
    (issue,) = issues_of(tmp_path, "meter: [\n  unit: 3\n")
    assert issue.startswith("3:1: YAML syntax:")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(YamlFileError, match="cannot read"):
        load_model(tmp_path / "nope.yaml", Bench)


def test_anchors_and_merge_keys_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {unit: 1, channel: a}\nmeter: {<<: *b, unit: 2}\n")

    class WithBase(Bench):
        model_config = ConfigDict(extra="ignore")

    bench = load_model(path, WithBase)
    assert bench.meter == Port(unit=2, channel="a")


def test_a_value_yaml_cannot_build_is_placed(tmp_path: Path) -> None:
    (issue,) = issues_of(tmp_path, "meter:\n  unit: 3\n  channel: 2027-13-01\n")
    assert issue.startswith("3:12: meter.channel: cannot read '2027-13-01'")


# ---------------------------------------------------------------- hostile input (issue 8)
# Each cause the fuzz run found is refused at its position, quickly, before any
# model sees the data. tests/core/test_fuzz_loaders.py mutates files at random.


def refused(tmp_path: Path, text: str | bytes) -> str:
    """The one issue loading ``text`` raises, with the file name taken off, in < 2 s."""
    path = tmp_path / "hostile.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    started = time.monotonic()
    with pytest.raises(YamlFileError) as caught:
        load_model(path, Bench)
    assert time.monotonic() - started < 2
    (issue,) = caught.value.issues
    return str(issue).removeprefix(f"{path}:")


def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit(tmp_path: Path) -> None:
    assert refused(tmp_path, alias_bomb()) == (
        f"6:40: aliases expand this document beyond {MAX_NODES} nodes (an alias bomb?)"
    )


def test_an_alias_inside_the_node_it_names_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, "meter: &m {more: [*m]}\n") == (
        "1:19: alias *m is inside the node it names"
    )


def test_nesting_deeper_than_the_limit_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, deep_flow()) == f"1:{3 + MAX_DEPTH}: nested deeper than 64 levels"
    block = "".join(" " * level + "k:\n" for level in range(MAX_DEPTH + 10))
    assert refused(tmp_path, block) == f"{MAX_DEPTH}:{MAX_DEPTH}: nested deeper than 64 levels"


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    text = "meter: {unit: 1, channel: a}\n" + "#" * MAX_BYTES
    assert refused(tmp_path, text) == f"1:1: file is larger than {MAX_BYTES} bytes"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_unread(device: str) -> None:
    with pytest.raises(YamlFileError) as caught:
        load_model(device, Bench)
    assert str(caught.value) == f"{device}:1:1: cannot read: not a regular file"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(YamlFileError, match="not a regular file"):
        load_model(fifo, Bench)


def test_invalid_utf8_is_placed_at_the_first_bad_byte(tmp_path: Path) -> None:
    assert refused(tmp_path, b"meter:\n  channel: caf\xe9\n") == (
        "2:15: not UTF-8: byte 0xe9 invalid continuation byte"
    )


@pytest.mark.parametrize(("char", "code"), [("\x00", "0000"), ("\x07", "0007"), ("\x1b", "001b")])
def test_nul_and_control_characters_are_placed(tmp_path: Path, char: str, code: str) -> None:
    assert refused(tmp_path, f"meter:\n  channel: a{char}b\n") == (
        f"2:13: character #x{code} is not allowed in YAML (special characters are not allowed)"
    )


@pytest.mark.parametrize("number", [".nan", ".inf", "-.inf", "1.0e+400"])
def test_non_finite_numbers_are_refused_at_the_value(tmp_path: Path, number: str) -> None:
    assert refused(tmp_path, f"meter:\n  unit: {number}\n") == (
        f"2:9: meter.unit: numbers must be finite, not '{number}'"
    )


def test_an_integer_too_long_to_read_is_placed(tmp_path: Path) -> None:
    issue = refused(tmp_path, f"meter:\n  unit: {'9' * 5000}\n")
    assert issue.startswith("2:9: meter.unit: cannot read '999")
    assert "Exceeds the limit (4300 digits)" in issue


def test_a_collection_as_a_key_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, "meter:\n  ? [a, b]\n  : 1\n") == (
        "2:5: a key must be a scalar, not a collection"
    )
