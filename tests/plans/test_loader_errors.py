"""Every class of plan error is reported with file:line:col and the offending key, all at once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from rig.plans.includes import MAX_INCLUDES
from rig.plans.loader import load_plan
from rig.yamlfile import MAX_NODES, YamlFileError
from tests.core.hostile import alias_bomb
from tests.plans.conftest import MINIMAL, Files


def with_line(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new)


def test_yaml_syntax_error_points_at_the_problem(files: Files) -> None:
    files["p.yaml"] = with_line("  - charge: 1 h\n", "  - charge: [1 h\n")
    (issue,) = files.issues()
    assert issue == "p.yaml:12:7: YAML syntax: expected ',' or ']', but got ':'"


def test_duplicate_key(files: Files) -> None:
    files["p.yaml"] = MINIMAL + "title: again\n"
    assert files.issues() == ["p.yaml:14:1: title: duplicate key (first set on line 2)"]


def test_unknown_key_with_suggestion(files: Files) -> None:
    files["p.yaml"] = with_line("premise: PREM-ALICE\n", "premis: PREM-ALICE\n")
    assert files.issues() == [
        "p.yaml:1:1: premise: missing required key 'premise'",
        "p.yaml:7:1: premis: unknown key (did you mean 'premise'?)",
    ]


def test_unknown_nested_key_with_suggestion(files: Files) -> None:
    files["p.yaml"] = with_line("{energy: 10 kWh}", "{energy: 10 kWh, of_peak: true}")
    assert files.issues() == [
        "p.yaml:6:52: pev.preferences.of_peak: unknown key (did you mean 'off_peak'?)"
    ]


def test_unknown_step_with_suggestion(files: Files) -> None:
    files["p.yaml"] = with_line("  - plug_in\n", "  - plug_inn\n")
    assert files.issues() == [
        "p.yaml:10:5: steps.0: unknown step 'plug_inn' (did you mean 'plug_in'?)"
    ]


def test_unknown_check_with_suggestion(files: Files) -> None:
    files["p.yaml"] = with_line("  - payer: ACC-ALICE\n", "  - payor: ACC-ALICE\n")
    assert files.issues() == [
        "p.yaml:13:5: checks.0: unknown check 'payor' (did you mean 'payer'?)"
    ]


def test_argument_that_lost_its_indentation(files: Files) -> None:
    files["p.yaml"] = with_line(
        "  - charge: 1 h\n", "  - wait_for: pilot.state == B\n    within: 2 s\n"
    )
    assert files.issues() == [
        "p.yaml:11:5: steps.1: 'within' belongs inside 'wait_for:' (indent it under 'wait_for')"
    ]


def test_wrong_type(files: Files) -> None:
    files["p.yaml"] = with_line("{id: PEV-ALICE,", "{id: PEV-ALICE, communicating: maybe,")
    assert files.issues() == [
        "p.yaml:6:22: pev.communicating: Input should be a valid boolean, unable to interpret input"
    ]


def test_bad_unit_points_at_the_unit(files: Files) -> None:
    files["p.yaml"] = with_line("{energy: 10 kWh}", "{energy: 10 kW}")
    assert files.issues() == [
        "p.yaml:6:47: pev.preferences.energy: 'kW' is a unit of a power: "
        "expected an energy such as '2 kWh' or '500 Wh' (units: Wh, kWh, MWh)"
    ]


def test_missing_unit(files: Files) -> None:
    files["p.yaml"] = with_line("{energy: 10 kWh}", "{energy: 10}")
    assert files.issues() == [
        "p.yaml:6:44: pev.preferences.energy: give a unit: "
        "expected an energy such as '2 kWh' or '500 Wh' (units: Wh, kWh, MWh), got 10"
    ]


def test_bad_duration(files: Files) -> None:
    files["p.yaml"] = with_line("  - charge: 1 h\n", "  - charge: 1 hour\n")
    assert files.issues() == [
        "p.yaml:11:15: steps.1.charge: unknown unit 'hour': "
        "expected a duration such as '90 s', '15 min' or '2 h' (units: ms, s, min, h)"
    ]


def test_bad_duration_inside_a_wait_for_points_at_its_column(files: Files) -> None:
    files["p.yaml"] = with_line(
        "  - charge: 1 h\n", '  - wait_for: "pilot.state == C within 3 sec"\n'
    )
    assert files.issues() == [
        "p.yaml:11:42: steps.1.wait_for: unknown unit 'sec': "
        "expected a duration such as '90 s', '15 min' or '2 h' (units: ms, s, min, h)"
    ]


def test_bad_condition_points_at_the_column_inside_the_expression(files: Files) -> None:
    files["p.yaml"] = with_line(
        "  - charge: 1 h\n", "  - wait_for: pilot.state == B and contactor == shut within 3 s\n"
    )
    assert files.issues() == [
        "p.yaml:11:49: steps.1.wait_for: contactor is one of open, closed; got 'shut'"
    ]


def test_unknown_observable_in_the_long_form(files: Files) -> None:
    files["p.yaml"] = with_line(
        "  - charge: 1 h\n", "  - wait_for:\n      until: load.curent_a >= 15\n      within: 5 s\n"
    )
    assert files.issues() == [
        "p.yaml:12:14: steps.1.wait_for.until: unknown observable 'load.curent_a' "
        "(did you mean 'load.current_a'?)"
    ]


def test_wait_for_without_a_timeout(files: Files) -> None:
    files["p.yaml"] = with_line("  - charge: 1 h\n", "  - wait_for: pilot.state == C\n")
    assert files.issues() == [
        "p.yaml:11:31: steps.1.wait_for: say how long to wait: '<condition> within 3 s'"
    ]


def test_unknown_requirement_id(files: Files) -> None:
    files["p.yaml"] = with_line("covers: [SC-1]", "covers: [SC-1, BR-1, XX-99]")
    assert files.issues() == [
        "p.yaml:4:16: covers.1: unknown requirement ID 'BR-1' (did you mean 'BR-01'?)",
        "p.yaml:4:22: covers.2: unknown requirement ID 'XX-99'",
    ]


def test_step_argument_rules(files: Files) -> None:
    files["p.yaml"] = with_line("  - charge: 1 h\n", "  - charge: {until: 2 kWh}\n")
    assert files.issues() == [
        "p.yaml:11:5: steps.1.charge: 'until' needs 'within: <duration>', the longest it may take"
    ]


def test_missing_include(files: Files) -> None:
    files["p.yaml"] = "include: [common/a.yaml, common/nope.yaml]\n" + MINIMAL
    files["common/a.yaml"] = "title: from a\n"
    assert files.issues() == [
        "p.yaml:1:26: include: cannot read included file common/nope.yaml: "
        "No such file or directory"
    ]


def test_include_cycle(files: Files) -> None:
    files["p.yaml"] = "include: common/a.yaml\n" + MINIMAL
    files["common/a.yaml"] = "include: b.yaml\n"
    files["common/b.yaml"] = "title: b\ninclude: a.yaml\n"
    assert files.issues() == [
        "common/b.yaml:2:10: include: include cycle: p.yaml → a.yaml → b.yaml → a.yaml"
    ]


def test_included_fragment_of_the_wrong_shape(files: Files) -> None:
    files["p.yaml"] = with_line("  - plug_in\n", "  - include: common/steps.yaml\n")
    files["common/steps.yaml"] = "plug_in: ~\n"
    assert files.issues() == [
        "p.yaml:10:14: include: common/steps.yaml must hold a list of items to be included here"
    ]


def test_error_inside_an_included_file_points_into_that_file(files: Files) -> None:
    files["p.yaml"] = "include: common/pev.yaml\n" + with_line(
        "pev: {id: PEV-ALICE, preferences: {energy: 10 kWh}}\n", ""
    ).replace("  - plug_in\n", "  - include: common/opening.yaml\n")
    files["common/pev.yaml"] = "pev:\n  id: PEV-ALICE\n  preferences:\n    energy: ten kWh\n"
    files["common/opening.yaml"] = "- plug_in\n- wait_for: pilot.state == Q within 2 s\n"
    assert files.issues() == [
        "common/opening.yaml:2:28: steps.1.wait_for: pilot.state is one of A, B, C, D, E, F; "
        "got 'Q'",
        "common/pev.yaml:4:13: pev.preferences.energy: expected an energy such as '2 kWh' or "
        "'500 Wh' (units: Wh, kWh, MWh), got 'ten kWh'",
    ]


def test_syntax_error_in_an_included_file(files: Files) -> None:
    files["p.yaml"] = "include: common/bad.yaml\n" + MINIMAL
    files["common/bad.yaml"] = "title: [unclosed\n"
    (issue,) = files.issues()
    assert issue.startswith("common/bad.yaml:2:1: YAML syntax:")


def test_error_in_a_merged_anchor_points_at_the_anchor(files: Files) -> None:
    files["p.yaml"] = "x-dr: &dr {after: 10 min, duration: 30 mins}\n" + MINIMAL.replace(
        "  - charge: 1 h\n", "  - dr_event: {<<: *dr, limit: 0 A}\n"
    )
    assert files.issues() == [
        "p.yaml:1:40: steps.1.dr_event.duration: unknown unit 'mins': "
        "expected a duration such as '90 s', '15 min' or '2 h' (units: ms, s, min, h)",
    ]


def test_several_errors_are_reported_at_once(files: Files) -> None:
    text = (
        MINIMAL.replace("scenario: sc1", "scenario: sc7")
        .replace("{energy: 10 kWh}", "{energy: 10 kWh, max_power: 7 kVA}")
        .replace("  - charge: 1 h\n", "  - charge: 1 h\n  - set_ampacity: 16\n  - unplugg\n")
    )
    files["p.yaml"] = text
    assert files.issues() == [
        "p.yaml:3:1: scenario: Input should be 'sc1', 'sc2', 'sc3', 'sc4', 'sc5' or 'sc6'",
        "p.yaml:6:65: pev.preferences.max_power: unknown unit 'kVA': "
        "expected a power such as '7.2 kW' or '1500 W' (units: W, kW)",
        "p.yaml:12:19: steps.2.set_ampacity: give a unit: "
        "expected a current such as '16 A' or '500 mA' (units: mA, A), got 16",
        "p.yaml:13:5: steps.3: unknown step 'unplugg' (did you mean 'unplug'?)",
    ]


def test_cross_field_problems_point_at_the_step(files: Files) -> None:
    files["p.yaml"] = (
        MINIMAL.replace("{id: PEV-ALICE,", "{id: PEV-ALICE, communicating: false,")
        .replace("  - plug_in\n", "  - bind\n  - plug_in\n  - utility_back\n")
        .replace("covers: [SC-1]", "covers: [SC-1, SC-1]")
    )
    assert files.issues() == [
        "p.yaml:4:16: covers.1: SC-1 is listed twice",
        "p.yaml:10:5: steps.0: 'bind' needs a PEV that communicates (pev.communicating is false)",
        "p.yaml:10:5: steps.0: 'bind' while the vehicle is not plugged in",
        "p.yaml:12:5: steps.2: 'utility_back': the premise utility was not unreachable",
    ]


def test_energy_request_needs_an_energy(files: Files) -> None:
    files["p.yaml"] = MINIMAL.replace(", preferences: {energy: 10 kWh}", "").replace(
        "  - charge: 1 h\n", "  - energy_request\n"
    )
    assert files.issues() == [
        "p.yaml:11:5: steps.1: energy_request: give 'energy', or set pev.preferences.energy"
    ]


def test_unreadable_plan(files: Files) -> None:
    assert files.issues("nope.yaml") == ["nope.yaml:1:1: cannot read: No such file or directory"]


def test_errors_inside_step_and_check_arguments(files: Files) -> None:
    files["p.yaml"] = MINIMAL.replace(
        "  - charge: 1 h\n",
        "  - charge: {for: 1 h, wihtin: 2 h}\n  - wait_for: {until: contactor == closed}\n",
    ).replace("  - payer: ACC-ALICE\n", "  - tariff: {id: T, rates: [{period: peak}]}\n")
    assert files.issues() == [
        "p.yaml:11:24: steps.1.charge.wihtin: unknown key (did you mean 'within'?)",
        "p.yaml:12:5: steps.2.wait_for.within: missing required key 'within'",
        "p.yaml:14:30: checks.0.tariff.rates.0.period: "
        "Input should be 'off_peak', 'mid_peak', 'on_peak', 'flat' or 'hourly'",
    ]


# ---------------------------------------------------------------- hostile input (issue 8)


@pytest.mark.parametrize(
    ("value", "column", "message"),
    [
        (".nan", 13, "numbers must be finite, not '.nan'"),
        (".inf", 13, "numbers must be finite, not '.inf'"),
        ("9223372036854775808", 13, "a duration must be at most 168 h"),
        ('"9223372036854775808 s"', 14, "a duration must be at most 168 h"),
        (f'"{"9" * 400} s"', 14, "a duration must be a finite number"),
        ("1e400", 14, "unknown unit 'e400': expected a duration such as"),
    ],
)
def test_a_duration_that_would_never_end_is_refused(
    files: Files, value: str, column: int, message: str
) -> None:
    files["p.yaml"] = with_line("  - charge: 1 h\n", f"  - charge: {value}\n")
    (issue,) = files.issues()
    assert issue.startswith(f"p.yaml:11:{column}: steps.1.charge: {message}")


@pytest.mark.parametrize(
    ("old", "new", "spot", "message"),
    [
        (
            "{energy: 10 kWh}",
            "{energy: 1001 kWh}",
            "6:44: pev.preferences.energy",
            "an energy must be at most 1000 kWh",
        ),
        (
            "{energy: 10 kWh}",
            "{energy: 10 kWh, max_power: 2000 kW}",
            "6:63: pev.preferences.max_power",
            "a power must be at most 1000 kW",
        ),
        (
            "  - charge: 1 h\n",
            "  - set_ampacity: 1001 A\n",
            "11:19: steps.1.set_ampacity",
            "a current must be at most 1000 A",
        ),
    ],
)
def test_quantities_are_plausibly_bounded(
    files: Files, old: str, new: str, spot: str, message: str
) -> None:
    files["p.yaml"] = with_line(old, new)
    assert files.issues() == [f"p.yaml:{spot}: {message}"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/dev/zero", "/dev/zero is an absolute path; name a file relative to this one"),
        (
            "/etc/passwd",
            "/etc/passwd is an absolute path; name a file relative to this one",
        ),
        ("../../etc/passwd", "../../etc/passwd is outside the plan tree"),
        (
            "common/../../outside.yaml",
            "common/../../outside.yaml is outside the plan tree",
        ),
    ],
)
def test_an_include_outside_the_plan_tree_is_refused(files: Files, name: str, message: str) -> None:
    files["p.yaml"] = f"include: {name}\n" + MINIMAL
    (issue,) = files.issues()
    assert issue.startswith(f"p.yaml:1:10: include: {message}")


def test_an_include_inside_the_tree_may_climb_back_up(files: Files) -> None:
    files["p.yaml"] = "include: common/a.yaml\n" + MINIMAL.replace("title: T\n", "")
    files["common/a.yaml"] = "include: ../shared/b.yaml\n"
    files["shared/b.yaml"] = "title: from b\n"
    assert files.load().title == "from b"


def test_a_symbolic_link_out_of_the_plan_tree_is_refused(tmp_path: Path) -> None:
    tree, outside = tmp_path / "plans", tmp_path / "secret.yaml"
    (tree / "common").mkdir(parents=True)
    outside.write_text("title: secret\n")
    (tree / "common" / "link.yaml").symlink_to(outside)
    (tree / "p.yaml").write_text("include: common/link.yaml\n" + MINIMAL)
    with pytest.raises(YamlFileError) as caught:
        load_plan(tree / "p.yaml")
    assert [str(issue) for issue in caught.value.issues] == [
        f"{tree}/p.yaml:1:10: include: common/link.yaml is outside the plan tree {tree}"
    ]


def test_a_device_included_through_a_link_in_the_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "p.yaml").write_text("include: zero.yaml\n" + MINIMAL)
    with pytest.raises(YamlFileError) as caught:
        load_plan(tmp_path / "p.yaml")
    assert [str(issue) for issue in caught.value.issues] == [
        f"{tmp_path}/p.yaml:1:10: include: zero.yaml is outside the plan tree {tmp_path}"
    ]


def test_fragments_that_include_each_other_many_times_cannot_multiply(files: Files) -> None:
    files["p.yaml"] = with_line("  - plug_in\n", "  - include: f0.yaml\n")
    for level in range(6):
        files[f"f{level}.yaml"] = "".join(f"- include: f{level + 1}.yaml\n" for _ in range(10))
    files["f6.yaml"] = "- plug_in\n"
    started = time.monotonic()
    issues = files.issues()
    assert time.monotonic() - started < 5
    assert issues == [f"f5.yaml:7:12: include: a plan may include at most {MAX_INCLUDES} fragments"]


def test_an_alias_bomb_in_a_plan_is_refused(files: Files) -> None:
    files["p.yaml"] = MINIMAL + alias_bomb().replace("l", "x-l")
    (issue,) = files.issues()
    assert (
        issue
        == f"p.yaml:19:56: aliases expand this document beyond {MAX_NODES} nodes (an alias bomb?)"
    )


def test_pytest_refuses_a_charge_of_nan_at_collection_with_exit_2(tmp_path: Path) -> None:
    """End to end: the plan is refused at collection, so no bench is opened."""
    (tmp_path / "test_plans").mkdir()
    plan = with_line("  - charge: 1 h\n", "  - charge: .nan\n")
    (tmp_path / "test_plans" / "nan.yaml").write_text(plan)
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["rig.pytest_plugin"]\n')
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_plans"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert time.monotonic() - started < 30
    assert done.returncode == 2, done.stdout
    assert "nan.yaml:11:13: steps.1.charge: numbers must be finite, not '.nan'" in done.stdout
