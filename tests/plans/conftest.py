"""Plan-loader tests read plans from memory: an in-memory file tree stands in for the disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rig.plans.loader import load_plan
from rig.plans.model import Plan
from rig.yamlfile import YamlFileError

#: A small valid plan; tests change one thing in it at a time.
MINIMAL = """\
plan: p
title: T
scenario: sc1
covers: [SC-1]
utility_data: two_utilities
pev: {id: PEV-ALICE, preferences: {energy: 10 kWh}}
premise: PREM-ALICE
portal: EP-ALICE-240
steps:
  - plug_in
  - charge: 1 h
checks:
  - payer: ACC-ALICE
"""


class Files(dict[str, str]):
    """File name → text; ``read`` is the loader's reader."""

    def read(self, path: Path) -> str:
        name = os.path.normpath(path)
        if name not in self:
            raise FileNotFoundError(2, "No such file or directory", name)
        return self[name]

    def load(self, name: str = "p.yaml") -> Plan:
        return load_plan(name, read=self.read)

    def issues(self, name: str = "p.yaml") -> list[str]:
        with pytest.raises(YamlFileError) as caught:
            self.load(name)
        return [str(issue) for issue in caught.value.issues]


@pytest.fixture
def files() -> Files:
    return Files()
