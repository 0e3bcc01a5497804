"""One-key mappings: how a plan names each step and check.

Plans read like a list of actions because every step (and every check) is a
mapping with exactly one key, the action's name, whose value holds its arguments::

    steps:
      - plug_in                                    # no arguments: a bare name will do
      - wait_for: pilot.state == B within 2 s      # shorthand for the usual arguments
      - charge: {until: 2 kWh, within: 1 h}        # the full form

In the model each action is a pydantic class with a single field named like the
key (:class:`Action`). Annotating a union of them with :class:`OneKey` makes it a
tagged union whose tag is the key, so an error inside ``charge`` is about
``charge`` only, never a list of every other action it did not match. An unknown
name gets a did-you-mean; two keys in one item — most often an argument that lost
its indentation — are named as such.

:class:`Shorthand` says how an argument model may be written short: no value at
all means every default, and one scalar may fill its main field (``charge: 2 h``
for ``charge: {for: 2 h}``). The short forms and the bare names are in the JSON
Schema too, so editors accept what the loader accepts.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema


class Strict(BaseModel):
    """Every plan model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class Action(Strict):
    """A step or check: a model with exactly one field, whose name is the YAML key."""

    @classmethod
    def key(cls) -> str:
        (name,) = cls.model_fields
        return name

    @classmethod
    def bare(cls) -> bool:
        """True when the action may be written as its name alone (no required arguments)."""
        return not cls.model_fields[cls.key()].is_required()


def invalid(message: str) -> PydanticCustomError:
    """A validation error shown as ``message`` (without pydantic's "Value error, " prefix)."""
    return PydanticCustomError("plan", "{message}", {"message": message})


@dataclass(frozen=True)
class OneKey:
    """Marks ``Annotated[A | B | …, OneKey("step")]``: a union of actions tagged by key."""

    noun: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        actions: dict[str, type[Action]] = {a.key(): a for a in typing.get_args(source)}
        choices = {key: handler.generate_schema(action) for key, action in actions.items()}
        union = core_schema.tagged_union_schema(choices, discriminator=_tag)
        bare = [key for key, action in actions.items() if action.bare()]
        return core_schema.no_info_before_validator_function(
            lambda value: self._normalise(value, actions), union, metadata={_BARE: bare}
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        union = handler(schema)
        names = schema.get("metadata", {})[_BARE]
        bare = {"type": "string", "enum": names, "description": f"a {self.noun} without arguments"}
        return {"anyOf": [bare, *union.get("oneOf", [union])]}

    def _normalise(self, value: Any, actions: dict[str, type[Action]]) -> Any:
        noun = self.noun
        if isinstance(value, str) and value in actions:
            if actions[value].bare():
                return {value: None}
            raise invalid(f"{noun} '{value}' needs arguments: write '{value}: …'")
        if isinstance(value, str):
            value = {value: None}
        if not isinstance(value, dict):
            raise invalid(
                f"a {noun} is a mapping with one key, its name (e.g. '{next(iter(actions))}')"
            )
        known = [key for key in value if key in actions]
        if len(value) != 1:
            if len(known) == 1:
                extra = ", ".join(f"'{key}'" for key in value if key not in actions)
                raise invalid(
                    f"{extra} belongs inside '{known[0]}:' (indent it under '{known[0]}')"
                )
            raise invalid(
                f"a {noun} has exactly one key, its name; got {', '.join(map(str, value))}"
            )
        (key,) = value
        if key not in actions:
            close = difflib.get_close_matches(str(key), actions, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; known: {', '.join(actions)}"
            raise invalid(f"unknown {noun} '{key}'{hint}")
        return value


def _tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return next(iter(value), None)
    return value.key() if isinstance(value, Action) else None


@dataclass(frozen=True)
class Shorthand:
    """Marks ``Annotated[Args, Shorthand("field")]``: how an argument model may be written short.

    No value (the bare name, or ``key:`` with nothing after it) means all defaults; with
    ``field``, a single scalar fills that field (``pilot_fault: E`` for
    ``pilot_fault: {state: E}``). The runner always sees an ``Args`` instance.
    """

    field: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        short: list[Any] = [{"type": "null"}]
        key = None
        if self.field is not None:
            field = source.model_fields[self.field]
            key = field.alias or self.field
            form: Any = field.annotation
            if field.metadata:
                form = typing.Annotated[form, *field.metadata]
            short.append(TypeAdapter(form).json_schema())

        def expand(value: Any) -> Any:
            if value is None:
                return {}
            if key is None or isinstance(value, dict | BaseModel):
                return value
            return {key: value}

        return core_schema.no_info_before_validator_function(
            expand, handler(source), metadata={_SHORT: short}
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [handler(schema), *schema.get("metadata", {})[_SHORT]]}


_BARE = "rig.plans.bare_names"
_SHORT = "rig.plans.short_forms"
