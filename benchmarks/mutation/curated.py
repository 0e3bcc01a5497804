"""The curated defects: a catalogue kept as data, each run against the plan suite.

``catalogue.yaml`` lists realistic defects of the services and the simulated
instruments. A defect is never a copy of code; it is either

* **configuration**: a ``defects:`` section (:mod:`rig.bench.defects`) added to the
  default simulated bench, so the simulators or the services' front doors misbehave;
* **a source patch**: ``file``, the exact ``old`` text (it must occur once) and the
  ``new`` text, applied to the scratch copy of the tree (:mod:`.workspace`).

Each entry has an ``id``, an ``area`` (``services`` or ``instruments``), a sentence
saying what is wrong, and ``keywords``: words a failure message that *names* the
defect would contain (any one, case-insensitive). The plan suite runs with ``-x``:
the first failing plan catches the defect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mutation.workspace import PatchError, SuiteRun, Workspace

CATALOGUE = Path(__file__).with_name("catalogue.yaml")
DEFAULT_BENCH = "fixtures/benches/sim.yaml"
DEFECT_BENCH = "fixtures/benches/mutate-defects.yaml"


@dataclass(frozen=True)
class Patch:
    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Defect:
    id: str
    area: str
    what: str
    keywords: tuple[str, ...]
    config: dict[str, Any] | None = None
    patches: tuple[Patch, ...] = ()

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Defect:
        patches = tuple(Patch(p["file"], p["old"], p["new"]) for p in entry.get("patches", ()))
        if "file" in entry:
            patches += (Patch(entry["file"], entry["old"], entry["new"]),)
        config = entry.get("defects")
        if (config is None) == (not patches):
            raise ValueError(f"defect {entry.get('id')}: give either defects: or a patch")
        return cls(
            id=entry["id"],
            area=entry["area"],
            what=entry["what"],
            keywords=tuple(entry["keywords"]),
            config=config,
            patches=patches,
        )


@dataclass(frozen=True)
class Outcome:
    """What the suite did with one defect."""

    defect: Defect
    run: SuiteRun | None
    error: str = ""
    """Set when the defect could not be applied (a stale patch): neither caught nor survived."""

    @property
    def caught(self) -> bool:
        return self.run is not None and not self.run.passed

    @property
    def named(self) -> bool:
        """The failure message names the defect (one of its keywords)."""
        if not self.caught or self.run is None:
            return False
        text = self.run.failure.lower()
        return any(k.lower() in text for k in self.defect.keywords)

    def line(self) -> str:
        d = self.defect
        if self.error:
            return f"  NOT APPLIED {d.id}: {self.error}"
        assert self.run is not None
        if not self.caught:
            return f"  survived    {d.id} ({d.area}): {d.what}"
        named = "names it" if self.named else "does not name it"
        return f"  caught      {d.id} by {self.run.plan}; message {named}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.defect.id,
            "area": self.defect.area,
            "kind": "configuration" if self.defect.config is not None else "patch",
            "caught": self.caught,
            "plan": self.run.plan if self.run else "",
            "named": self.named,
            "seconds": round(self.run.seconds, 1) if self.run else 0.0,
            "error": self.error,
            "message": self.run.failure[:2000] if self.run else "",
        }


def catalogue(path: Path = CATALOGUE) -> list[Defect]:
    entries = yaml.safe_load(path.read_text("utf-8"))["defects"]
    defects = [Defect.of(e) for e in entries]
    ids = [d.id for d in defects]
    if len(set(ids)) != len(ids):
        raise ValueError("catalogue: duplicate defect IDs")
    return defects


def run_defect(workspace: Workspace, defect: Defect, *pytest_args: str) -> Outcome:
    """Apply one defect to the copy, run the suite with ``-x``, restore the copy."""
    try:
        changes = {} if defect.config is None else {"defects": defect.config}
        args = [*pytest_args, "--bench", workspace.bench(**changes)]
        for patch in defect.patches:
            workspace.patch(patch.file, patch.old, patch.new)
        return Outcome(defect, workspace.run_suite("-x", *args))
    except PatchError as error:
        return Outcome(defect, None, str(error))
    finally:
        workspace.restore()
