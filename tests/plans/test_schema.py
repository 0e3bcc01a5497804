"""The checked-in JSON Schema is the one the model generates, and plans point editors at it."""

from __future__ import annotations

import json
from typing import get_args

import pytest
import yaml

from rig.plans import checks, steps
from rig.plans.schema import SCHEMA_FILE, plan_schema, render
from tests.plans.conftest import MINIMAL


def test_checked_in_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), (
        "test_plans/plan.schema.json is stale: run .venv/bin/python -m rig.plans.schema"
    )


def test_example_plans_reference_the_schema() -> None:
    for plan in SCHEMA_FILE.parent.glob("*.yaml"):
        first = plan.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=plan.schema.json", plan.name


def test_schema_offers_every_step_and_check_and_include() -> None:
    schema = plan_schema()
    names = {
        key for definition in schema["$defs"].values() for key in definition.get("properties", {})
    }
    step_keys = {action.key() for action in get_args(get_args(steps.Step)[0])}
    check_keys = {action.key() for action in get_args(get_args(checks.Check)[0])}
    assert len(step_keys) == 18 and len(check_keys) == 16
    assert step_keys | check_keys <= names
    assert "include" in schema["properties"]
    assert schema["else"]["required"][:2] == ["plan", "title"]


def test_editors_accept_the_example_plans_and_flag_mistakes() -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")  # comes with schemathesis (dev)
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    for plan in SCHEMA_FILE.parent.glob("*.yaml"):
        data = json.loads(json.dumps(yaml.safe_load(plan.read_text(encoding="utf-8")), default=str))
        assert [error.message for error in validator.iter_errors(data)] == [], plan.name
    bad = yaml.safe_load(MINIMAL.replace("plug_in", "plug_inn").replace("1 h", "1 hour"))
    assert len(list(validator.iter_errors(bad))) == 2
