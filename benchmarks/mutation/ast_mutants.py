"""Automated mutants of the services' billing, rules and tariff code, made with :mod:`ast`.

Every *site* of a mutation operator in the target modules is enumerated in a fixed
order; a seeded random sample of them is run, each alone, against the plan suite
in a scratch copy (:mod:`.workspace`). The operators:

* ``compare``: one comparison flipped (``<`` ↔ ``>=``, ``<=`` ↔ ``>``, ``==`` ↔ ``!=``,
  ``in`` ↔ ``not in``, ``is`` ↔ ``is not``);
* ``arith``: one arithmetic operator swapped (``+`` ↔ ``-``, ``*`` ↔ ``/``, ``//`` →
  ``/``, ``%`` → ``*``), in expressions and augmented assignments;
* ``const``: one number literal plus or minus one;
* ``bool``: ``True`` ↔ ``False``, ``and`` ↔ ``or``, ``not x`` → ``x``, or an ``if`` /
  ``while`` / conditional expression's test negated;
* ``drop``: one statement of a function body replaced by ``pass``.

Docstrings, strings and annotations are left alone (with postponed annotations a
mutated annotation changes nothing). The mutated module is written back with
:func:`ast.unparse` (comments go; behaviour is the mutant's).

A mutant is **killed** when the suite fails, **equivalent** when it survives and
either answers exactly as the original on the generated inputs of :mod:`.probe`
or is listed, with the reason, in ``equivalent.yaml``; otherwise it **survived**.
"""

from __future__ import annotations

import ast
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mutation.workspace import SuiteRun, Workspace

TARGETS = (
    "rig/services/billing.py",
    "rig/services/rules.py",
    "rig/services/decision.py",
    "rig/services/tariffs.py",
)
MANUAL_EQUIVALENTS = Path(__file__).with_name("equivalent.yaml")
PROBE = Path(__file__).with_name("probe.py")

_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_ARITH: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Mult,
}
_SYMBOL = {
    ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+",
    ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    """One mutation: the ``node``-th node of ``ast.walk`` of ``file``, changed by ``op``."""

    file: str
    node: int
    op: str
    detail: int
    """Which comparison of a chain, +1/-1 for a constant, the statement's index for a drop."""
    line: int
    what: str

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}:{self.op}:{self.node}.{self.detail}"


def _skipped(tree: ast.AST) -> set[int]:
    """Nodes inside annotations and docstrings."""
    out: set[int] = set()
    for node in ast.walk(tree):
        parts: list[ast.AST | None] = []
        if isinstance(node, ast.arg):
            parts.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            parts.append(node.returns)
        if isinstance(node, ast.AnnAssign):
            parts.append(node.annotation)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            parts.append(node)  # a docstring, or a bare string
        for part in parts:
            if part is not None:
                out.update(id(n) for n in ast.walk(part))
    return out


def _sites(file: str, tree: ast.Module) -> Iterator[Mutant]:
    skip = _skipped(tree)
    functions = {
        id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for n in ast.walk(f)
    }
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        line = getattr(node, "lineno", 0)

        def at(op: str, detail: int, what: str, n: int = index, ln: int = line) -> Mutant:
            return Mutant(file, n, op, detail, ln, what)

        if isinstance(node, ast.Compare):
            for i, cmp in enumerate(node.ops):
                swap = _COMPARE[type(cmp)]
                yield at("compare", i, f"{_SYMBOL[type(cmp)]} → {_SYMBOL[swap]}")
        elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in _ARITH:
            swap = _ARITH[type(node.op)]
            yield at("arith", 0, f"{_SYMBOL[type(node.op)]} → {_SYMBOL[swap]}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield at("bool", 0, f"{node.value} → {not node.value}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            yield at("const", 1, f"{node.value} → {node.value + 1}")
            yield at("const", -1, f"{node.value} → {node.value - 1}")
        elif isinstance(node, ast.BoolOp):
            yield at("bool", 0, "and → or" if isinstance(node.op, ast.And) else "or → and")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield at("bool", 0, "not x → x")
        elif isinstance(node, ast.If | ast.While | ast.IfExp):
            yield at("bool", 1, "condition negated")
        if id(node) in functions and isinstance(node, ast.FunctionDef | ast.If | ast.For):
            for i, stmt in enumerate(node.body):
                if id(stmt) not in skip and not isinstance(stmt, ast.Pass):
                    what = f"drop `{ast.unparse(stmt).splitlines()[0][:60]}`"
                    yield Mutant(file, index, "drop", i, stmt.lineno, what)


def all_mutants(root: Path) -> list[Mutant]:
    out: list[Mutant] = []
    for file in TARGETS:
        out.extend(_sites(file, ast.parse((root / file).read_text("utf-8"))))
    return out


def sample(root: Path, size: int, seed: int) -> list[Mutant]:
    """``size`` mutants drawn with ``seed`` from every site (fewer if there are fewer)."""
    every = all_mutants(root)
    return random.Random(seed).sample(every, min(size, len(every)))


def mutated_source(root: Path, mutant: Mutant) -> str:
    """The target file's text with this one mutation."""
    tree = ast.parse((root / mutant.file).read_text("utf-8"))
    node: Any = list(ast.walk(tree))[mutant.node]
    match mutant.op:
        case "compare":
            node.ops[mutant.detail] = _COMPARE[type(node.ops[mutant.detail])]()
        case "arith":
            node.op = _ARITH[type(node.op)]()
        case "const":
            node.value = node.value + mutant.detail
        case "bool" if isinstance(node, ast.Constant):
            node.value = not node.value
        case "bool" if isinstance(node, ast.BoolOp):
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        case "bool" if isinstance(node, ast.UnaryOp):
            _replace(tree, node, node.operand)
        case "bool":
            node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
        case "drop":
            node.body[mutant.detail] = ast.Pass()
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
            elif isinstance(value, list):
                setattr(parent, name, [new if v is old else v for v in value])


def probe(directory: Path, seed: int) -> list[str]:
    """What the code in ``directory`` answers to :mod:`.probe`'s generated inputs."""
    env = {**os.environ, "PYTHONPATH": str(directory), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, str(PROBE), str(seed)],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        return [f"probe failed: {done.stderr[-500:]}"]
    answers: list[str] = json.loads(done.stdout)
    return answers


def manual_equivalents(path: Path = MANUAL_EQUIVALENTS) -> dict[str, str]:
    """Mutant IDs found equivalent by reading them, with the reason."""
    if not path.exists():
        return {}
    entries = yaml.safe_load(path.read_text("utf-8")) or {}
    return {str(k): str(v) for k, v in (entries.get("equivalent") or {}).items()}


@dataclass(frozen=True)
class MutantOutcome:
    mutant: Mutant
    run: SuiteRun
    verdict: str
    """``killed``, ``survived`` or ``equivalent``."""
    why: str = ""

    def line(self) -> str:
        m = self.mutant
        where = f"{m.file}:{m.line} {m.op} {m.what}"
        if self.verdict == "killed":
            return f"  killed      {where} — by {self.run.plan}"
        return f"  {self.verdict:<11} {where}{' — ' + self.why if self.why else ''}"

    def to_json(self) -> dict[str, Any]:
        m = self.mutant
        return {
            "id": m.id,
            "what": m.what,
            "verdict": self.verdict,
            "plan": self.run.plan,
            "why": self.why,
            "message": self.run.failure[:2000],
            "seconds": round(self.run.seconds, 1),
        }


def run_mutant(
    workspace: Workspace, mutant: Mutant, baseline: list[str], seed: int
) -> MutantOutcome:
    """Apply one mutant to the copy, run the suite (``-x``); a survivor is probed."""
    try:
        workspace.write(mutant.file, mutated_source(workspace.dir, mutant))
        run = workspace.run_suite("-x", "--bench", workspace.bench())
        if not run.passed:
            return MutantOutcome(mutant, run, "killed")
        manual = manual_equivalents().get(mutant.id)
        if manual:
            return MutantOutcome(mutant, run, "equivalent", manual)
        if probe(workspace.dir, seed) == baseline:
            why = "same answers as the original on the generated inputs"
            return MutantOutcome(mutant, run, "equivalent", why)
        return MutantOutcome(mutant, run, "survived", "answers differ on generated inputs")
    finally:
        workspace.restore()
