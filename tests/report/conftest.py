"""Fixtures of the report tests: results files written by the real writer, and their HTML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from report.page import Page, parse
from rig.report import write_report
from rig.report.sample import write_sample_run

NOW = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sample_run(tmp_path: Path) -> Path:
    """Twelve plans, one failing, one marginal, one instrument out of calibration."""
    return write_sample_run(tmp_path / "results-a.jsonl")


@pytest.fixture
def report_html(sample_run: Path, tmp_path: Path) -> Path:
    return write_report([sample_run], tmp_path / "report.html", now=NOW)


@pytest.fixture
def page(report_html: Path) -> Page:
    return parse(report_html.read_text(encoding="utf-8"))
