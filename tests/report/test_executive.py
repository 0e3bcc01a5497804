"""The executive summary an auditor signs: what was tested, verdicts, calibration, signatures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from report.conftest import NOW
from report.page import Page, parse
from rig.cli import EXIT_OK, main
from rig.report import Signers, write_report
from rig.report.sample import write_sample_run
from rig.report.uncertainty import statement
from rig.results import RunRecord, merge_results, read_results, software
from rig.results.measurement_record import TermModel, UncertaintyModel
from rig.results.measurements import Verdict


def test_summary_says_what_was_tested_and_the_verdicts(page: Page) -> None:
    text = page.section_text("executive")
    for words in (
        "FAIL  — 12 plans",
        "PASS 10 · MARGINAL 1 · FAIL 1",
        "sim (simulated",
        "two_utilities",  # the data set
        "rest",  # the utility protocol
        "v0.1.0-sample (clean checkout)",  # the software, with its dirty flag
        "27 of 28 covered",
        "not covered: BR-04",
    ):
        assert words in text, words
    for verdict in Verdict:  # every verdict counted, a new one included
        assert f"{verdict.value} " in text, verdict


def test_summary_names_certificates_and_expired_calibration(page: Page) -> None:
    text = page.section_text("executive")
    assert "CAL-EUMD-2026-0117" in text and "CAL-LOAD-2026-0042" in text
    assert "not stated" in text  # the pilot names no certificate
    assert "EXPIRED" in text


def test_signature_blocks_name_operator_and_approver(page: Page) -> None:
    text = page.section_text("executive")
    assert "Test operator" in text and "Approver" in text
    assert "Name: sample" in text and "sample approver" in text
    assert text.count("Signature:") == 2 and text.count("Date:") == 2


def test_signers_given_at_render_time_win(sample_run: Path, tmp_path: Path) -> None:
    out = write_report([sample_run], tmp_path / "r.html", signers=Signers(approver="Dr. Q"))
    text = parse(out.read_text(encoding="utf-8")).section_text("executive")
    assert "Dr. Q" in text and "sample approver" not in text


def test_rig_report_takes_operator_and_approver(sample_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    status = main(["report", str(sample_run), "-o", str(out), "--approver", "Ada Lovelace"])
    assert status == EXIT_OK
    assert "Ada Lovelace" in parse(out.read_text(encoding="utf-8")).section_text("executive")


def test_uncertainty_statement_without_a_budget(page: Page) -> None:
    text = page.section_text("executive")
    assert "simple acceptance" in text and "No uncertainty budget was recorded" in text


def _budget(expanded: float) -> UncertaintyModel:
    """A J-04 budget as the oracle records it (the figures are the test's own)."""
    terms = tuple(
        TermModel(name=name, half_width=0.05, divisor=3**0.5, standard=0.05 / 3**0.5)
        for name in ("reference class", "resolution")
    )
    return UncertaintyModel(
        rule="guard-banded (ILAC-G8)", coverage_k=2.0, terms=terms, expanded=expanded, tur=8.0
    )


def test_uncertainty_statement_from_budgets(sample_run: Path) -> None:
    [run] = merge_results([sample_run]).runs
    j04 = [m for p in run.plans.values() for m in p.measurements if "J-04" in m.requirements]
    budgeted = [
        m.model_copy(update={"uncertainty": _budget(0.05 + i / 100)}) for i, m in enumerate(j04[:3])
    ]
    text = statement(budgeted)
    assert "3 J-04 energy measurement(s) carry an uncertainty budget" in text
    assert "guard-banded (ILAC-G8)" in text and "0.05 to 0.07 %" in text
    assert "test uncertainty ratio 8" in text and "reference class, resolution" in text
    assert "No uncertainty budget" not in text
    assert "no guard band" in statement([*budgeted, *j04[3:]])  # the rest said apart


def test_older_results_without_the_new_fields_still_render(tmp_path: Path) -> None:
    path = write_sample_run(tmp_path / "a.jsonl", plans=2)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    del records[0]["approver"], records[0]["software_dirty"]
    for instrument in records[0]["bench"]["instruments"]:
        del instrument["calibration_certificate"]
    for record in records[1:]:
        record.pop("utility_data", None)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    run = read_results(path)[0]
    assert isinstance(run, RunRecord) and run.approver == "" and run.software_dirty is None
    page = parse(write_report([path], tmp_path / "r.html", now=NOW).read_text(encoding="utf-8"))
    assert "v0.1.0-sample" in page.section_text("executive")


def test_software_of_a_checkout_says_whether_it_was_modified(tmp_path: Path) -> None:
    def git(*arguments: str) -> None:
        subprocess.run(["git", *arguments], cwd=tmp_path, check=True, capture_output=True)

    assert software(tmp_path).version == "unknown"  # not a checkout
    git("init", "-q")
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a")
    assert software(tmp_path).dirty is False
    (tmp_path / "a.txt").write_text("b", encoding="utf-8")
    code = software(tmp_path)
    assert code.dirty is True and code.version.endswith("-dirty")
    assert software(tmp_path / "sub").version == "unknown"  # not the top of the checkout
