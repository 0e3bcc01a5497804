"""One loading path: a file is parsed once, and its source map travels with what was loaded.

The source map keeps the lines of every file it points into, so a later stage — a
rule across fields, the runner showing the step that failed — places what it says
without reading or parsing the file again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.plans.loader import load_plan
from rig.plans.model import Plan
from rig.runner.source import locate
from rig.yamlfile import SourceMap, YamlIssue, issues_at, parse_located

TEXT = """\
steps:
  - plug_in
  - wait_for: pilot.state == C
      within 2 s

  - charge: 1 h
"""


def test_parsing_keeps_positions_and_the_lines_of_the_file() -> None:
    data, sources = parse_located(TEXT, "p.yaml")
    assert data["steps"][0] == "plug_in"
    assert sources.lines == {"p.yaml": TEXT.splitlines()}
    written = sources.written(("steps", 1))
    assert written is not None
    spot, text = written
    assert (spot.file, spot.line, spot.column) == ("p.yaml", 3, 5)
    assert text == "wait_for: pilot.state == C\n      within 2 s"
    assert sources.written(("steps", 9)) is None


def test_a_problem_is_placed_at_its_nearest_written_ancestor() -> None:
    _, sources = parse_located(TEXT, "p.yaml")
    problems = [(("steps", 2, "charge", "until"), "no"), (("steps", 0), "yes"), (("x",), "?")]
    assert issues_at("p.yaml", sources, problems) == [
        YamlIssue("p.yaml", 1, 1, "x", "?"),
        YamlIssue("p.yaml", 2, 5, "steps.0", "yes"),
        YamlIssue("p.yaml", 6, 5, "steps.2.charge.until", "no"),
    ]


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    fragment = tmp_path / "common" / "start.yaml"
    fragment.parent.mkdir()
    fragment.write_text("- plug_in\n- wait_for: pilot.state == C within 3 s\n")
    path = tmp_path / "p.yaml"
    path.write_text(
        "plan: p\ntitle: T\nscenario: sc1\ncovers: [SC-1]\nutility_data: two_utilities\n"
        "pev: {id: PEV-ALICE, preferences: {energy: 10 kWh}}\n"
        "premise: PREM-ALICE\nportal: EP-ALICE-240\n"
        "steps:\n  - include: common/start.yaml\n  - charge: 1 h\n"
        "checks:\n  - payer: ACC-ALICE\n"
    )
    return path


def test_a_loaded_plan_keeps_its_source_map(plan_file: Path) -> None:
    plan = load_plan(plan_file)
    assert isinstance(plan.source, SourceMap)
    assert set(plan.source.lines) == {str(plan_file), str(plan_file.parent / "common/start.yaml")}


def test_the_runner_locates_steps_from_the_source_map_without_reading_again(
    plan_file: Path,
) -> None:
    plan = load_plan(plan_file)
    for file in plan_file.parent.rglob("*.yaml"):
        file.write_text("not: [the plan any more\n")  # a re-read would see this
    located = locate(plan.source, {"steps": list(plan.steps), "checks": list(plan.checks)})
    where = [(str(at.spot), at.yaml) for at in located["steps"]]
    fragment = plan_file.parent / "common" / "start.yaml"
    assert where == [
        (f"{fragment}:1", "plug_in"),
        (f"{fragment}:2", "wait_for: pilot.state == C within 3 s"),
        (f"{plan_file}:11", "charge: 1 h"),
    ]
    assert [(str(at.spot), at.yaml) for at in located["checks"]] == [
        (f"{plan_file}:13", "payer: ACC-ALICE")
    ]


def test_a_plan_built_in_code_is_shown_as_its_own_yaml(plan_file: Path) -> None:
    plan = Plan.model_validate(load_plan(plan_file).model_dump())
    assert plan.source is None
    located = locate(plan.source, {"steps": list(plan.steps)})
    assert [(at.spot, at.yaml) for at in located["steps"]][-1] == (None, "charge: {for: 1 h}")
