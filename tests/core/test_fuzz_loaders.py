"""Fuzz the three loaders: a mutated file loads or is refused at a position, within bounds.

Issue 8's fuzz run (2,000 mutated plans, 500 bench files) found 262 tracebacks, 25
hangs and 13 memory blow-ups. This test repeats it in miniature on every CI run.
Hypothesis takes a shipped file — a plan (with its real ``common/`` fragments), a
bench file, a utility data set — and mutates it: byte flips, deletions, insertions
of the hostile constructs of :mod:`tests.core.hostile` (NUL and control characters,
invalid UTF-8, includes of devices and of paths outside the tree), values replaced
by ``.nan``, ``1e400``, ``2^63`` or a recursive alias, an alias bomb or deep
nesting appended. Each outcome must be one of two:

* **valid**: the loader returned its model, or
* **refused**: it raised :class:`~rig.yamlfile.YamlFileError` whose every issue
  reads ``file:line:col: …`` with a line and column inside the file;

never another exception, never longer than :data:`DEADLINE_S` (a ``SIGALRM``
interrupts a hang) and never more than :data:`MEMORY_BYTES` of new address space
(``RLIMIT_AS`` is lowered around each load, so a blow-up is a ``MemoryError``
rather than a dead CI machine).

Examples are derandomised, so CI sees the same files every run; set
``RIG_FUZZ_EXAMPLES`` to run more (the figures in docs/plans.md came from 2,000
per loader). The run prints its outcome counts (``pytest -s``).
"""

from __future__ import annotations

import collections
import os
import re
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.bench.config import load_bench
from rig.plans.loader import load_plan
from rig.services.dataset import load_dataset
from rig.yamlfile import YamlFileError
from tests.core.hostile import HOSTILE_BYTES, HOSTILE_VALUES, alias_bomb, deep_flow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("RIG_FUZZ_EXAMPLES", "120"))
#: The longest one load may take (a shipped file loads in well under 0.1 s).
DEADLINE_S = 5
#: The most address space one load may add (a shipped file needs a few MB).
MEMORY_BYTES = 512 << 20

ISSUE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<column>\d+): ")


class Hang(BaseException):
    """Raised by the alarm in a load that outlived :data:`DEADLINE_S`."""


@contextmanager
def bounded() -> Iterator[None]:
    """Run the body under a deadline and an address-space ceiling, then lift both."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"a load took longer than {DEADLINE_S} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    in_use = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    ceiling = in_use + MEMORY_BYTES
    previous = signal.signal(signal.SIGALRM, alarm)
    resource.setrlimit(resource.RLIMIT_AS, (min(ceiling, hard) if hard > 0 else ceiling, hard))
    signal.alarm(DEADLINE_S)
    try:
        yield
    finally:
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, previous)


def mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` changed in one to four places, each a random byte or a hostile construct."""
    lines = seed.split(b"\n")
    value_lines = [i for i, line in enumerate(lines) if b": " in line]

    def flip(data: bytes, at: int, byte: int) -> bytes:
        at %= len(data)
        return data[:at] + bytes([byte]) + data[at + 1 :]

    def delete(data: bytes, at: int, length: int) -> bytes:
        at %= len(data)
        return data[:at] + data[at + length :]

    def insert(data: bytes, at: int, text: bytes) -> bytes:
        at %= len(data) + 1
        return data[:at] + text + data[at:]

    def replace_value(data: bytes, pick: int, value: str) -> bytes:
        parts = data.split(b"\n")
        index = value_lines[pick % len(value_lines)] if value_lines else 0
        if index < len(parts) and b": " in parts[index]:
            key = parts[index].split(b": ", 1)[0]
            parts[index] = key + b": " + value.encode()
        return b"\n".join(parts)

    position = st.integers(0, 1 << 20)
    one: st.SearchStrategy[Callable[[bytes], bytes]] = st.one_of(
        st.builds(lambda at, b: lambda d: flip(d, at, b), position, st.integers(0, 255)),
        st.builds(lambda at, n: lambda d: delete(d, at, n), position, st.integers(1, 40)),
        st.builds(
            lambda at, t: lambda d: insert(d, at, t), position, st.sampled_from(HOSTILE_BYTES)
        ),
        st.builds(
            lambda i, v: lambda d: replace_value(d, i, v), position, st.sampled_from(HOSTILE_VALUES)
        ),
        st.builds(
            lambda t: lambda d: d + b"\n" + t.encode(),
            st.sampled_from([alias_bomb().replace("l", "x-l"), "x-deep: " + deep_flow()[3:]]),
        ),
    )

    def apply(changes: list[Callable[[bytes], bytes]]) -> bytes:
        data = seed
        for change in changes:
            data = change(data) if data else data
        return data

    return st.lists(one, min_size=1, max_size=4).map(apply)


class Outcomes:
    """What one loader did with its mutated files, and how long it took."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.counts: collections.Counter[str] = collections.Counter()
        self.slowest = 0.0
        self.started = time.monotonic()

    def judge(self, load: Callable[[Path], Any], path: Path, data: bytes) -> None:
        """Load ``path`` (holding ``data``) within bounds; fail on any third outcome."""
        lines = data.count(b"\n") + 1
        began = time.monotonic()
        try:
            with bounded():
                load(path)
        except YamlFileError as error:
            assert error.issues, "a refusal must say why"
            for issue in error.issues:
                text = str(issue)
                assert ISSUE.match(text), text
                assert issue.line >= 1 and issue.column >= 1, text
                if issue.file == str(path):
                    assert issue.line <= lines, f"{text}: beyond line {lines}"
            self.counts["refused"] += 1
        else:
            self.counts["valid"] += 1
        self.slowest = max(self.slowest, time.monotonic() - began)

    def report(self) -> str:
        total = sum(self.counts.values())
        return (
            f"{self.name}: {total} examples in {time.monotonic() - self.started:.1f} s, "
            f"{self.counts['valid']} valid, {self.counts['refused']} refused, "
            f"0 other; slowest load {self.slowest * 1000:.0f} ms"
        )


@pytest.fixture(scope="module")
def plan_tree() -> Iterator[Path]:
    """A copy of test_plans/ (its fragments are real) to write mutated plans into."""
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "test_plans"
        shutil.copytree(ROOT / "test_plans", tree)
        yield tree


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz(name: str, seeds: list[Path], load: Callable[[Path], Any], target: Path) -> Outcomes:
    """Run :data:`FUZZ` over mutations of ``seeds``, loading each from ``target``."""
    outcomes = Outcomes(name)
    texts = [seed.read_bytes() for seed in seeds]

    @FUZZ
    @given(st.sampled_from(range(len(texts))).flatmap(lambda i: mutations(texts[i])))
    def one(data: bytes) -> None:
        target.write_bytes(data)
        outcomes.judge(load, target, data)

    one()
    print(outcomes.report())
    return outcomes


def test_mutated_plans_load_or_are_refused_at_a_position(plan_tree: Path) -> None:
    seeds = [
        plan_tree / name for name in ("sc1_home.yaml", "pg_dlc_event.yaml", "sc5_not_enrolled.yaml")
    ]
    outcomes = fuzz("plans", seeds, load_plan, plan_tree / "fuzzed.yaml")
    assert outcomes.counts["refused"] > 0 and outcomes.counts["valid"] > 0


def test_mutated_bench_files_load_or_are_refused_at_a_position(tmp_path_factory: Any) -> None:
    seeds = sorted((ROOT / "fixtures" / "benches").glob("*.yaml"))
    target = tmp_path_factory.mktemp("bench") / "fuzzed.yaml"
    outcomes = fuzz("bench files", seeds, load_bench, target)
    assert outcomes.counts["refused"] > 0 and outcomes.counts["valid"] > 0


def test_mutated_data_sets_load_or_are_refused_at_a_position(tmp_path_factory: Any) -> None:
    seeds = sorted((ROOT / "fixtures" / "utilities").glob("*.yaml"))
    target = tmp_path_factory.mktemp("dataset") / "fuzzed.yaml"
    outcomes = fuzz("data sets", seeds, load_dataset, target)
    assert outcomes.counts["refused"] > 0 and outcomes.counts["valid"] > 0
