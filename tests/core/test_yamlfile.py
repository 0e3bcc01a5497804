"""The YAML loader reports every problem with file, line and column, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from rig.yamlfile import YamlFileError, load_model


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
