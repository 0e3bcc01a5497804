"""Load a YAML file into a pydantic model, reporting every problem as ``file:line:col``.

Bench files, utility data sets and test plans are all written by hand, so a mistake
must point at the exact place: ::

    fixtures/benches/lab.yaml:12:5: meter.unit: Input should be less than or equal to 247
    fixtures/benches/lab.yaml:20:3: pilot.chanel: unknown key (did you mean 'channel'?)

Every loader goes through the same pipeline, one module per step:

========================  ==========================================================
:mod:`.parse`             :func:`read_text` (a small regular UTF-8 file) →
                          :func:`parse_located`: the text parsed **once** into plain
                          data and a :class:`SourceMap`; syntax errors, duplicate
                          keys and hostile documents are refused here
:mod:`.validate`          :func:`validate_located`: the model, or each validation
                          error placed where the file wrote it (with a "did you mean")
:mod:`.sources`           :class:`SourceMap`, :class:`YamlIssue`,
                          :class:`YamlFileError`, and :func:`issues_at`: the one way
                          a loader places its own rules' problems
========================  ==========================================================

Nothing is half-loaded: the caller gets a valid model or a :class:`YamlFileError`
listing all issues at once. :func:`load_model` does the steps for a file that needs
nothing more. A loader with rules across fields (bench files, data sets) keeps the
source map it parsed to place their problems with :func:`issues_at`; the plan loader
assembles one document from several files (``include:``), whose positions each name
their own file, and keeps that source map with the plan, so the runner shows where a
step is written without reading the plan again.
"""

from __future__ import annotations

from pathlib import Path

from rig.yamlfile.parse import MAX_BYTES, MAX_DEPTH, MAX_NODES, parse_located, read_text
from rig.yamlfile.sources import (
    PathKey,
    SourceMap,
    Spot,
    YamlFileError,
    YamlIssue,
    in_file_order,
    issues_at,
)
from rig.yamlfile.validate import M, validate_located

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "PathKey",
    "SourceMap",
    "Spot",
    "YamlFileError",
    "YamlIssue",
    "in_file_order",
    "issues_at",
    "load_model",
    "parse_located",
    "read_text",
    "validate_located",
]


def load_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``; every problem is reported with its position."""
    file = str(path)
    data, sources = parse_located(read_text(path), file)
    return validate_located(data, sources, model, file)
