"""Load test plans: a valid :class:`~rig.plans.model.Plan`, or every problem at once.

:func:`load_plan` reads one file in three passes and reports what each pass finds,
all with ``file:line:col`` and the offending key::

    test_plans/sc1_home.yaml:14:21: steps.3.wait_for: unknown observable 'pilot.stat' (…)
    test_plans/common/pev_h1.yaml:6:13: pev.preferences.energy: give a unit: …

1. **Read and include** (:mod:`rig.plans.includes`): YAML syntax, duplicate keys,
   missing or cyclic includes, in the plan and in every fragment it includes.
   Problems here stop the load: validating half a document would only add noise.
2. **Validate** the assembled document against the model: unknown keys with a
   did-you-mean, wrong types, bad units and durations, conditions (at the column
   inside the expression), unknown requirement IDs. Positions point into whichever
   file wrote the value.
3. **Cohere** (:mod:`rig.plans.coherence`): rules across fields, at the step they
   concern.

Top-level keys starting with ``x-`` are ignored, so a plan has somewhere to define
the anchors it merges later (``x-event: &event {after: 10 min, duration: 30 min}``).

The plan keeps what loading learnt about where things are written
(:attr:`~rig.plans.model.Plan.source`, a :class:`~rig.yamlfile.SourceMap` with the
lines of every file read), so the runner shows a failing step as written, with
``file:line``, without reading the plan again.

Loading is pure: it reads files (through a ``read`` function that tests replace)
and never touches a bench or a service, so the pytest plugin can load every plan
at collection time and an invalid plan never starts a simulator.
:func:`load_plans` loads many plans — a directory's are :func:`plan_files`
(``*.yaml`` at its top level; fragments live in subdirectories such as
``common/``) — reporting the issues of all of them, and two files with the same
plan ID.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rig.plans import coherence
from rig.plans.includes import Reader, Resolver, flatten, read_utf8
from rig.plans.model import Plan
from rig.yamlfile import SourceMap, YamlFileError, YamlIssue, issues_at, validate_located

#: Top-level keys starting with this are the plan's scratch space — a home for YAML
#: anchors (``x-defaults: &dr {…}``) — and are not part of the plan.
SCRATCH = "x-"


def load_plan(path: str | Path, read: Reader = read_utf8) -> Plan:
    """Read, assemble and validate one plan; raise :class:`YamlFileError` listing every issue."""
    return load_located(Path(path), read)[0]


def load_located(file: Path, read: Reader = read_utf8) -> tuple[Plan, SourceMap]:
    """:func:`load_plan`, plus where each key path of the plan was written (also the plan's
    :attr:`~rig.plans.model.Plan.source`)."""
    resolver = Resolver(read)
    document = resolver.document(file)
    if document is None or resolver.issues:
        raise YamlFileError(resolver.issues)
    data, sources = flatten(document, resolver.lines)
    if isinstance(data, dict):
        data = {key: value for key, value in data.items() if not str(key).startswith(SCRATCH)}
    plan = validate_located(data, sources, Plan, str(file))
    issues = issues_at(file, sources, coherence.problems(plan))
    if issues:
        raise YamlFileError(issues)
    plan._source = sources
    return plan, sources


def plan_files(directory: str | Path) -> list[Path]:
    """The plan files of a directory, in name order."""
    return sorted(Path(directory).glob("*.yaml"))


def load_plans(files: Iterable[str | Path], read: Reader = read_utf8) -> dict[Path, Plan]:
    """Every plan in ``files`` (e.g. ``plan_files("test_plans")``) by file; raise
    :class:`YamlFileError` listing every issue of every file, and plan IDs used twice."""
    plans: dict[Path, Plan] = {}
    issues: list[YamlIssue] = []
    first_file: dict[str, Path] = {}
    for file in map(Path, files):
        try:
            plan, sources = load_located(file, read)
        except YamlFileError as error:
            issues += error.issues
            continue
        if plan.plan in first_file:
            message = f"plan ID '{plan.plan}' is also used by {first_file[plan.plan]}"
            issues += issues_at(file, sources, [(("plan",), message)])
        first_file.setdefault(plan.plan, file)
        plans[file] = plan
    if issues:
        raise YamlFileError(issues)
    return plans
