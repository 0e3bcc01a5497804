"""The plan format's JSON Schema, checked in as ``test_plans/plan.schema.json``.

Editors that speak the YAML language server complete and check a plan as it is
typed when the plan's first line is the modeline::

    # yaml-language-server: $schema=plan.schema.json

The schema is generated from the model (:class:`rig.plans.model.Plan`), so it
cannot drift from what the loader accepts, plus the one thing the model never
sees: ``include`` (resolved before validation, :mod:`rig.plans.includes`), at the
top of a plan and as an item of ``steps`` and ``checks``. A plan with an
``include`` may leave required keys to its fragments, so the schema requires them
only of a plan without one. Fragments under ``common/`` are partial plans and carry
no modeline.

Regenerate after changing the model (a test fails until you do)::

    .venv/bin/python -m rig.plans.schema
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rig.plans.model import Plan

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "test_plans" / "plan.schema.json"

_INCLUDE_NAMES = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    ],
    "description": "fragment file(s), relative to this file",
}
_INCLUDE_ITEM = {
    "type": "object",
    "properties": {"include": _INCLUDE_NAMES},
    "required": ["include"],
    "additionalProperties": False,
    "description": "splice the items of a fragment file (a YAML list) here",
}


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of a plan file."""
    schema = Plan.model_json_schema()
    properties = schema["properties"]
    properties["include"] = {
        **_INCLUDE_NAMES,
        "description": "fragment file(s) merged under this plan, relative to it",
    }
    for key in ("steps", "checks"):
        properties[key]["items"] = {"anyOf": [_INCLUDE_ITEM, properties[key]["items"]]}
    schema["patternProperties"] = {"^x-": {"description": "scratch space for YAML anchors"}}
    # Keys may come from included fragments: require them only of a plan without includes.
    schema["if"] = {"required": ["include"]}
    schema["else"] = _move_required(schema, schema["$defs"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "EV roaming rig test plan",
        **schema,
    }


def _move_required(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Take ``required`` out of ``schema`` and of the models its properties refer to
    (fragments merge into nested mappings too), and return the same requirements as one
    schema to apply where no fragment can supply them."""
    moved: dict[str, Any] = {"required": schema.pop("required", [])}
    nested = {}
    for name, prop in schema.get("properties", {}).items():
        refs = [p["$ref"] for p in [prop, *prop.get("anyOf", [])] if "$ref" in p]
        model = defs.get(refs[0].rsplit("/", 1)[-1]) if refs else None
        if model is not None and "properties" in model:
            inner = _move_required(model, defs)
            if inner != {"required": []}:
                nested[name] = inner
    if nested:
        moved["properties"] = nested
    return moved


def render() -> str:
    """The schema as the checked-in file holds it."""
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
