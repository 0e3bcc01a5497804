"""The import graph of ``rig`` and ``drivers``: no cycles, and the layers hold.

The layers are written down as import-linter contracts in ``pyproject.toml``
(``[tool.importlinter]``) and checked by ``make lint``; this test runs the same
check, and adds two that import-linter cannot express:

* **No cycles.** No module imports, through any chain, a module that imports it
  back. Imports inside functions count: a cycle broken only by importing late is
  still two modules that cannot be understood one without the other.
* **"Imports only" means only.** A contract that lets a package import only a few
  others forbids every other module by name; a module added to ``rig`` later must
  be added to those lists, and this test says so.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Packages whose contract says what they may import; everything else of rig is forbidden.
IMPORTS_ONLY = {
    "rig.domain": {"rig.domain"},
    "rig.report": {"rig.report", "rig.results", "rig.domain"},
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("rig", "drivers", cache_dir=None)


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component: list[str] = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(found)


def _describe(components: Iterable[list[str]]) -> str:
    return "\n".join(f"{len(c)} modules: {', '.join(c)}" for c in components)


def test_there_is_no_import_cycle(graph: grimp.ImportGraph) -> None:
    found = cycles(graph)
    assert not found, "import cycles in rig and drivers:\n" + _describe(found)


def test_the_layer_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-logo", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_only_contracts_forbid_every_other_module(graph: grimp.ImportGraph) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    everything = graph.find_children("rig") | {"drivers"}
    checked = set()
    for contract in contracts:
        sources = contract["source_modules"]
        if len(sources) == 1 and sources[0] in IMPORTS_ONLY:
            forbidden = set(contract["forbidden_modules"])
            expected = everything - IMPORTS_ONLY[sources[0]]
            assert forbidden == expected, (
                f"{contract['name']!r}: add {sorted(expected - forbidden)}, "
                f"remove {sorted(forbidden - expected)}"
            )
            checked.add(sources[0])
    assert checked == set(IMPORTS_ONLY)
