"""Every class of plan error is reported with file:line:col and the offending key, all at once."""

from __future__ import annotations

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
