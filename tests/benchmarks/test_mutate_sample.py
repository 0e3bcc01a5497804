"""CI's sample of the mutation self-test: two curated defects and two AST mutants, at random.

Runs ``benchmarks/mutate.py`` as ``make mutate`` does, shrunk to two defects drawn
from the catalogue, two mutants drawn from the billing, rules and tariff code, no
false-fail seeds, and one plan (``-k sc1_home``) so it takes seconds. It asserts the
machinery, not the verdicts: every defect and mutant is applied and reported with a
verdict, and the ratios are printed. The full run's figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "mutate.py"


def test_two_defects_and_two_mutants_are_each_reported(tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    figures = tmp_path / "mutate.json"
    command = [sys.executable, str(SCRIPT), "--curated", "2", "--sample", "2", "--seeds", "0"]
    command += ["--seed", str(seed), "-k", "sc1_home", "--json", str(figures)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    out = done.stdout + done.stderr
    assert figures.exists(), out
    document = json.loads(figures.read_text("utf-8"))
    assert len(document["curated"]) == 2 and len(document["mutants"]) == 2, out
    assert not [d for d in document["curated"] if d["error"]], out  # every patch applied
    verdicts = re.findall(r"^  (caught|survived|killed|equivalent)\s", out, re.M)
    assert len(verdicts) == 4, f"seed {seed}:\n{out}"
    assert re.search(r"curated caught: \d/2 = [\d.]+ %", out), out
    assert re.search(r"mutants killed: \d/\d", out), out
