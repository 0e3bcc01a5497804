"""The report in a real headless browser: loads clean, charts render, a screenshot is taken.

Debian's ``chromium`` is started by the test itself (``report.chromium``). Without
it the test *fails* on CI (``CI=true``), naming the install command, and is skipped
with the reason on a developer machine; ``RIG_CHROMIUM`` points at another binary.
The screenshot lands in the test's temporary directory, or in ``$RIG_SCREENSHOT_DIR``
when set (CI can keep it as an artefact).
"""

from __future__ import annotations

import base64
import os
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from report.chromium import INSTALL, Chromium, find_chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        message = f"chromium not found on PATH (install it: {INSTALL}; or set RIG_CHROMIUM)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    with Chromium(binary, tmp_path_factory.mktemp("chromium-profile")) as chromium:
        yield chromium


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_report_loads_without_errors_and_charts_render(
    browser: Chromium, report_html: Path, tmp_path: Path
) -> None:
    seconds = browser.open(report_html.as_uri())
    assert seconds < 10
    assert browser.problems() == []
    assert browser.evaluate("document.title").startswith("Compliance report")
    plans = browser.evaluate("document.querySelectorAll('section.plan').length")
    charted = browser.evaluate(
        "[...document.querySelectorAll('section.plan')]"
        ".filter(s => s.querySelector('svg.chart path[class], svg.chart rect')).length"
    )
    assert plans == charted == 12
    # the charts have laid out: real, non-zero boxes, and their paths have length
    box = browser.evaluate(
        "(() => { const r = document.querySelector('svg.chart').getBoundingClientRect();"
        " return [r.width, r.height]; })()"
    )
    assert box[0] > 300 and box[1] > 100
    drawn = browser.evaluate(
        "[...document.querySelectorAll('svg.chart path[class]')]"
        ".filter(p => p.getTotalLength() > 10).length"
    )
    assert drawn >= 12 * 5
    # Off-screen plan sections skip painting until scrolled to (content-visibility:
    # auto, which keeps a 1,000-plan report quick to open); paint them all for the
    # whole-page picture, as printing does.
    browser.evaluate(
        "document.querySelectorAll('section.plan')"
        ".forEach(s => s.style.contentVisibility = 'visible')"
    )
    shots = Path(os.environ.get("RIG_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    width, height = _png_size(browser.screenshot(shots / "report.png"))
    assert width >= 1000 and height > 3000  # the whole page, not only the window


def test_print_media_hides_navigation(browser: Chromium, report_html: Path) -> None:
    browser.open(report_html.as_uri())
    browser.call("Emulation.setEmulatedMedia", media="print")
    try:
        shown = browser.evaluate("getComputedStyle(document.querySelector('nav')).display")
        assert shown == "none"
        assert browser.problems() == []
    finally:
        browser.call("Emulation.setEmulatedMedia", media="")


def test_prints_to_pdf_one_page_per_plan_at_least(browser: Chromium, report_html: Path) -> None:
    """Printing renders every section (none is skipped as off-screen) and breaks per plan."""
    browser.open(report_html.as_uri())
    pdf = base64.b64decode(browser.call("Page.printToPDF", printBackground=True)["data"])
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pdf.startswith(b"%PDF")
    assert pages > 12  # summary, matrix and bench pages, then each plan on pages of its own
    assert browser.problems() == []


def test_executive_summary_prints_on_one_page(browser: Chromium, report_html: Path) -> None:
    """Page 1 of the printed report is the executive summary, signature blocks included."""
    browser.open(report_html.as_uri())
    browser.evaluate(  # what printing puts after page 1's break goes
        "(() => { const e = document.getElementById('executive');"
        " while (e.nextElementSibling) e.nextElementSibling.remove(); })()"
    )
    pdf = base64.b64decode(
        browser.call("Page.printToPDF", printBackground=True, preferCSSPageSize=True)["data"]
    )
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    assert browser.problems() == []
