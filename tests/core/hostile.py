"""Hostile YAML, as the fuzz run of issue 8 found it: each construct once, by name.

The per-cause tests (``tests/core/test_yamlfile.py``, ``tests/plans/test_loader_errors.py``,
``tests/bench/test_bench_file.py``) and the fuzz test (``tests/core/test_fuzz_loaders.py``)
draw from the same constructs, so a new cause is added once and tried everywhere.
"""

from __future__ import annotations

from rig.yamlfile import MAX_DEPTH


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" document: ``width ** levels`` strings from ~1 kB of anchors.

    Each line expands the one above ``width`` times; the whole stands for gigabytes.
    """
    lines = ['l0: &l0 ["lol"]']
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    lines.append(f"all: *l{levels}")
    return "\n".join(lines) + "\n"


def deep_flow(depth: int = MAX_DEPTH + 900) -> str:
    """``a: [[[…]]]`` nested ``depth`` levels (beyond Python's recursion limit by default)."""
    return "a: " + "[" * depth + "]" * depth + "\n"


#: Hostile scalars a value can be replaced with: non-finite and huge numbers, a
#: 5000-digit integer, a recursive alias.
HOSTILE_VALUES = (
    ".nan",
    ".inf",
    "-.inf",
    "1.0e+400",
    "1e400",
    "9223372036854775808",
    "9223372036854775808 s",
    "9" * 5000,
    '"nan"',
    '"inf"',
    "&r [*r]",
)

#: Hostile text to insert anywhere: NUL and control characters, invalid UTF-8, a
#: BOM, an alias to nothing, an include of a device or of a file outside the tree.
HOSTILE_BYTES = (
    b"\x00",
    b"\x07",
    b"\x1b[2J",
    b"\xff\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"*nowhere",
    b"include: /dev/zero\n",
    b"include: ../../../../etc/passwd\n",
    b"- include: /dev/zero\n",
    b"? [a, b]\n: 1\n",
    b"<<: *nowhere\n",
)
