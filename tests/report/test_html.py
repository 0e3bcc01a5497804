"""The report's HTML, checked structurally: what an auditor must find is there."""

from __future__ import annotations

import json
import re
from pathlib import Path

from report.conftest import NOW
from report.page import Page, parse
from rig.domain.requirements import catalogue
from rig.measurements import Measurement, Verdict
from rig.report import write_report
from rig.results import (
    IntervalRecord,
    MeasurementRecord,
    PlanEndRecord,
    ResultsWriter,
    read_results,
)

VERDICT_RANK = {"FAIL": 0, "MARGINAL": 1, "PASS": 2}


def _plan_verdicts(page: Page) -> list[str]:
    """Each plan section's verdict, from the badge in its heading, in page order."""
    verdicts = []
    for section in page.plan_sections():
        badges = [
            t.attrs["class"].split()[1]
            for t in page.named("b")
            if t.section == section.attrs["id"] and t.attrs.get("class", "").startswith("v ")
        ]
        verdicts.append(badges[0])
    return verdicts


def test_every_requirement_id_of_the_catalogue_is_in_the_matrix(page: Page) -> None:
    rows = {t.attrs["id"] for t in page.named("tr") if t.attrs.get("id", "").startswith("req-")}
    assert rows == {f"req-{rid}" for rid in catalogue()}
    text = page.section_text("traceability")
    for rid in catalogue():
        assert rid in text


def test_an_uncovered_requirement_reads_uncovered(page: Page) -> None:
    row = next(t for t in page.named("tr") if t.attrs.get("id") == "req-BR-04")
    assert row.attrs["class"] == "UNCOVERED"


def test_every_plan_has_a_chart(page: Page) -> None:
    sections = page.plan_sections()
    assert len(sections) == 12
    for section in sections:
        charts = [t for t in page.named("svg") if t.section == section.attrs["id"]]
        assert charts, f"plan section {section.attrs['id']} has no chart"
        assert [t for t in page.named("path") if t.section == section.attrs["id"]]


def test_charts_have_axes_labels_and_legend(page: Page) -> None:
    text = page.section_text("plan-1")
    for words in (
        "Pilot and advertised ampacity",  # chart captions
        "Load current and power",
        "Cumulative energy — meter vs load vs billed",
        "pilot state",  # axis titles
        "ampacity (A)",
        "current (A)",
        "power (kW)",
        "energy since the first sample (kWh)",
        "time from first sample (min)",
        "EUMD register",
        "billed energy",
        "load current",
    ):
        assert words in text


def test_failures_come_first_everywhere(page: Page) -> None:
    verdicts = _plan_verdicts(page)
    assert verdicts[0] == "FAIL"
    assert [VERDICT_RANK[v] for v in verdicts] == sorted(VERDICT_RANK[v] for v in verdicts)
    summary_links = [t.attrs["href"][1:] for t in page.named("a") if t.section == "summary"]
    assert summary_links == [t.attrs["id"] for t in page.plan_sections()]


def test_a_failing_check_shows_measured_expected_and_its_step_yaml(page: Page) -> None:
    first = page.plan_sections()[0].attrs["id"]
    text = page.section_text(first)
    assert "Why it failed" in text
    assert "measured" in text and "expected" in text
    assert "billed amount" in text
    assert "oracle prices it" in text  # the check's own explanation
    assert "- wait_for: outbox.pending == 0 within 1 min" in text  # the step's YAML
    assert "test_plans/sc3_pev_pays.yaml:18" in text  # where it is written


def test_bench_identity_and_expired_calibration(page: Page) -> None:
    text = page.section_text("bench")
    for identity in (
        "Eastron SDM630 (simulated)",
        "SIM-EUMD-1",
        "Chroma,63803,SIM-LOAD-1,1.02",
        "C12.20 0.5",
        "5f1c" * 16,  # bench file hash
        "v0.1.0-sample",  # software version
        "fixtures/benches/sim.yaml",
        "operator",
    ):
        assert identity in text
    expired = [t for t in page.named("tr") if t.attrs.get("class") == "expired"]
    assert len(expired) == 1
    assert "EXPIRED" in text and "2025-12-31" in text
    assert "out of calibration" in text


def test_plan_file_hashes_and_run_metadata(page: Page) -> None:
    text = page.section_text("bench")
    assert "test_plans/sc1_home.yaml" in text
    assert re.search(r"\b[0-9a-f]{64}\b", text)
    assert "seed" in text and "2026-03-02 16:00:00Z" in text


def test_steps_measurements_intervals_and_service_records(page: Page) -> None:
    text = " ".join(page.section_text(t.attrs["id"]) for t in page.plan_sections())
    for words in (
        "Steps",
        "energy_request",
        "marginal band",
        "1.2 s",  # a value with its unit
        "≤ 2.7",  # a marginal band
        "[0, 3]",  # limits
        "Intervals: metered vs billed",
        "mid_peak",
        "USD",
        "binding",
        "posting",  # clearinghouse records of the SC-4 plans
        "settlement",
    ):
        assert words in text, words


def test_events_are_marked_on_the_time_axis(page: Page) -> None:
    text = " ".join(page.section_text(t.attrs["id"]) for t in page.plan_sections())
    for kind in ("DR", "ALM", "PRICE", "FAULT"):
        assert f"{kind} event" in text
    assert "limit 0 kW, notified 15 min ahead" in text


def test_self_contained_no_external_reference(report_html: Path, page: Page) -> None:
    html = report_html.read_text(encoding="utf-8")
    for tag in page.tags:
        for name, value in tag.attrs.items():
            assert "://" not in value, f"<{tag.name} {name}={value!r}>"
            if name in ("href", "src", "xlink:href"):
                assert value.startswith("#"), f"<{tag.name} {name}={value!r}>"
    assert not page.named("script") and not page.named("link") and not page.named("img")
    assert not page.named("iframe") and not page.named("object")
    assert "@import" not in html and "url(" not in html
    assert "http://" not in html and "https://" not in html


def test_in_page_links_all_resolve(page: Page) -> None:
    ids = {t.attrs["id"] for t in page.tags if "id" in t.attrs}
    targets = {t.attrs["href"][1:] for t in page.named("a") if "href" in t.attrs}
    assert targets and targets <= ids


def test_print_stylesheet(report_html: Path) -> None:
    html = report_html.read_text(encoding="utf-8")
    assert "@media print" in html and "break-inside:avoid" in html


def test_text_from_results_is_escaped_not_markup(tmp_path: Path, sample_run: Path) -> None:
    lines = sample_run.read_text(encoding="utf-8").splitlines()
    doctored = []
    for line in lines:
        record = json.loads(line)
        if record["type"] == "plan_start" and record["plan"] == "sc1-home":
            record["title"] = '<script>alert("x")</script><img src="http://evil.example/x">'
        doctored.append(json.dumps(record))
    results = tmp_path / "doctored.jsonl"
    results.write_text("\n".join(doctored) + "\n", encoding="utf-8")
    page = parse(write_report([results], tmp_path / "r.html").read_text(encoding="utf-8"))
    assert not page.named("script") and not page.named("img")
    assert '<script>alert("x")</script>' in page.all_text()


def test_chart_frames_are_shared_not_repeated(report_html: Path) -> None:
    html = report_html.read_text(encoding="utf-8")
    uses = re.findall(r'<use href="#(f\d+)"/>', html)
    assert len(uses) >= 36  # three charts per plan
    assert len(set(uses)) < len(uses)  # plans that ran alike share their frames
    assert html.count('class="chart defs"') == 1


def test_a_failing_plan_check_shows_its_yaml(sample_run: Path, tmp_path: Path) -> None:
    ends = [r for r in read_results(sample_run) if isinstance(r, PlanEndRecord)]
    plan = next(end.plan for end in ends if end.verdict is Verdict.FAIL)
    check = Measurement.equals("payer account", "ACC-BOB", "ACC-ALICE", requirements=("SC-1",))
    record = MeasurementRecord.from_measurement("sample-run", plan, None, check)
    with ResultsWriter(sample_run) as out:
        out.write(record.model_copy(update={"source": "- payer: {account: ACC-ALICE}"}))
    html = write_report([sample_run], tmp_path / "report.html", now=NOW)
    page = parse(html.read_text(encoding="utf-8"))
    text = "".join(page.section_text(section.attrs["id"]) for section in page.plan_sections())
    assert "plan check after the steps" in text
    assert "- payer: {account: ACC-ALICE}" in text


def test_an_interval_shows_its_own_amount_and_a_line_its_rounding_once(report_html: Path) -> None:
    records = read_results(report_html.parent / "results-a.jsonl")
    rows = [r for r in records if isinstance(r, IntervalRecord)]
    assert rows and all(r.amount == (r.billed_kwh or 0) * (r.rate or 0) for r in rows)  # exact
    roundings = [r.line_rounding for r in rows if r.line_rounding is not None]
    assert len(roundings) == len({r.plan for r in rows})  # one line per sample plan, once each
    html = report_html.read_text(encoding="utf-8")
    assert html.count("rounded to the cent") == sum(1 for x in roundings if x)
