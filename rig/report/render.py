"""The report page: one self-contained HTML file, readable on screen and on paper.

Self-contained means the file is the whole report: the CSS is inline, the charts are
inline SVG (:mod:`rig.report.charts`), there is no script, no font, no image and no
link to anything outside the page — it opens offline, from an archive, years later,
and a browser opening it makes no network request. The only ``href`` values are
in-page anchors (``#plan-3``).

Sections, in the order a reviewer reads them:

``Summary``        overall verdict and counts; the services some plan could not
                   reach (which, URL, first error, the plans); the runs; verdict
                   per scenario; every plan, failures first, each linking to its
                   section.
``Traceability``   every requirement of the catalogue → plans → verdict, uncovered
                   ones marked UNCOVERED.
``Bench``          per run: bench file and hash, software version, start and end,
                   operator, host, worker, seed; each instrument's identity and
                   calibration (EXPIRED flagged); the plan files and their hashes.
``Plans``          one section per plan (:mod:`rig.report.render_plan`).

Printing (or "Save as PDF"): the navigation is hidden, every plan starts on a new
page, charts and table rows do not split across pages, and nothing relies on a dark
background or on colour alone — verdicts are words, series have dash patterns.
"""

from __future__ import annotations

from rig.report.charts import STYLE_CSS, Shared
from rig.report.model import PlanView, Report, RunView
from rig.report.render_plan import plan_section
from rig.report.text import badge, esc, moment, row_class, verdict_cell

CSS = """
:root{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#111;background:#fff}
body{margin:0 auto;max-width:1100px;padding:0 16px 40px}
h1{font-size:24px;margin:18px 0 4px}h2{border-bottom:2px solid #333;margin-top:32px}
h3{margin:0 0 4px}h4{margin:14px 0 4px}
nav{position:sticky;top:0;background:#f5f5f5;border-bottom:1px solid #ccc;padding:6px 8px}
nav a{margin-right:14px}
table{border-collapse:collapse;margin:4px 0 10px;font-size:13px}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
thead th{background:#eee}td i{color:#555}
td.n,.num2 td:nth-child(2),.iv td:nth-child(-n+3),.iv td:nth-child(n+7)
{text-align:right;font-variant-numeric:tabular-nums}.iv td:first-child{text-align:left}
.v{display:inline-block;min-width:56px;text-align:center;border:1.5px solid;border-radius:3px;
padding:0 4px;font-size:12px}
.FAIL{color:#a50e0e}.v.FAIL{background:#fde8e8}
.MARGINAL{color:#8a4b00}.v.MARGINAL{background:#fff3d6}
.PASS{color:#14692d}.v.PASS{background:#e6f4ea}
.UNCOVERED{color:#444}.v.UNCOVERED{background:#eee;border-style:dashed}
tr.FAIL td,tr.failed td,tr.error td,tr.expired td{background:#fdf0f0}
tr.MARGINAL td{background:#fffaf0}
tr.PASS td,tr.passed td{color:#111}
section.plan{border-top:1px solid #999;margin-top:26px;padding-top:8px;
content-visibility:auto;contain-intrinsic-size:auto 1400px}
.title{margin:0 0 4px;font-style:italic}
dl{display:grid;grid-template-columns:max-content 1fr;gap:0 10px;margin:4px 0}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
.why{border:1.5px solid #a50e0e;border-left-width:6px;padding:4px 8px;margin:6px 0}
pre{background:#f6f6f6;border:1px solid #ccc;padding:4px 6px;margin:2px 0;white-space:pre-wrap}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:8px}
figure{margin:0;border:1px solid #ddd;min-width:0}
figcaption{font-weight:600;font-size:12px;padding:2px 6px}
svg.chart{width:100%;max-width:100%;height:auto;display:block;font-size:11px;font-family:inherit}
svg.chart text{fill:#222}
svg.chart.defs{position:absolute;width:0;height:0;overflow:hidden}
code{font-size:12px}
.exp{color:#a50e0e;font-weight:700}
.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
@page{size:A4;margin:12mm}
@media print{nav{display:none}body{max-width:none;padding:0}
section.plan{break-before:page;content-visibility:visible}figure,tr,.why,dl{break-inside:avoid}
h2,h3,h4{break-after:avoid}a{color:inherit;text-decoration:none}
.charts{grid-template-columns:1fr}*{print-color-adjust:exact;-webkit-print-color-adjust:exact}
:root{font-size:11px}table{font-size:10px}th,td{padding:1px 3px}td{overflow-wrap:anywhere}}
"""


def _link(view: PlanView) -> str:
    return f'<a href="#{view.anchor}">{esc(view.plan)}</a>'


def _unreachable(report: Report) -> str:
    """The services some plan could not reach, each with its first error and the plans."""
    found = report.unreachable
    if not found:
        return ""
    items = "".join(
        f"<li><b>{esc(service)}</b> at <code>{esc(url)}</code>: {esc(seen[0][1].error)} — "
        f"{sum(u.failures for _, u in seen)} failed requests, in "
        + ", ".join(_link(plan) for plan, _ in seen)
        for (service, url), seen in found.items()
    )
    return (
        '<div class="why unreachable"><b>Services unreachable</b><p>These services could '
        "not be reached during the run; the plans that needed them fail on the records "
        f"they could not send or read.<ul>{items}</ul></div>"
    )


def _summary(report: Report) -> str:
    several = len(report.runs) > 1
    counts = " · ".join(f"{badge(v)} {n}" for v, n in report.counts.items())
    covered = len(report.traceability) - len(report.uncovered)
    runs = "".join(
        f"<tr><td>{esc(r.label)}<td>{moment(r.results.run.started_at)}"
        f"<td>{moment(r.results.ended_at) if r.results.ended_at else '—'}"
        f"<td>{esc(r.results.run.software_version)}<td>{esc(r.results.run.operator)}"
        f"<td>{esc(r.results.run.worker or '—')}<td class=n>{len(r.results.plans)}"
        for r in report.runs
    )
    scenarios = "".join(
        f"<tr class={s.verdict.value if s.verdict else 'UNCOVERED'}><td>{esc(s.scenario)}"
        f"<td>{esc(s.title)}<td class=n>{len(s.plans)}<td>{badge(s.verdict)}"
        for s in report.scenarios
    )
    plans = "".join(
        f"<tr{row_class(p.verdict.value, 'PASS')}><td>{verdict_cell(p.verdict)}"
        f"{' interrupted' if p.interrupted is not None else ''}<td>{_link(p)}"
        f"<td>{esc(p.scenario)}"
        f"<td>{esc(p.results.start.title)}"
        + (f"<td>{esc(p.run.label)}" if several else "")
        + f"<td class=n>{len(p.failing)}/{len(p.results.measurements)}"
        f"<td>{esc(p.failing[0].message if p.failing else '')}"
        for p in report.plans
    )
    run_head = "<th>run" if several else ""
    return (
        '<section id="summary"><h2>Summary</h2>'
        f"<p>Overall {badge(report.verdict)} — {len(report.plans)} plans: {counts}; "
        f"{report.measurement_count} measurements; {covered} of {len(report.traceability)} "
        "requirements covered.</p>"
        + _unreachable(report)
        + "<h4>Runs</h4><table><thead><tr><th>run<th>started<th>ended<th>software<th>operator"
        f"<th>worker<th>plans</thead><tbody>{runs}</tbody></table>"
        "<h4>Scenarios</h4><table><thead><tr><th>scenario<th>title<th>plans<th>verdict</thead>"
        f"<tbody>{scenarios}</tbody></table>"
        "<h4>Plans (failures first)</h4><table><thead><tr><th>verdict<th>plan<th>scenario"
        f"<th>title{run_head}<th>failed / measured<th>first failure</thead>"
        f"<tbody>{plans}</tbody></table></section>"
    )


#: Above this many covering plans a matrix cell names only those that did not pass.
LIST_ALL_UP_TO = 12


def _covering(plans: tuple[PlanView, ...]) -> str:
    if not plans:
        return "no plan"
    shown = (
        [p for p in plans if p.verdict.value != "PASS"] if len(plans) > LIST_ALL_UP_TO else plans
    )
    cell = ", ".join(f"{_link(p)} {badge(p.verdict)}" for p in shown)
    hidden = len(plans) - len(shown)
    return cell + (f"{', ' if shown else ''}{hidden} passing plans" if hidden else "")


def _traceability(report: Report) -> str:
    rows = "".join(
        f"<tr class={c.verdict.value if c.verdict else 'UNCOVERED'} "
        f'id="req-{esc(c.requirement, quote=True)}">'
        f"<td><b>{esc(c.requirement)}</b><td>{esc(c.title)}<td>{_covering(c.plans)}"
        f"<td>{badge(c.verdict)}"
        for c in report.traceability
    )
    return (
        '<section id="traceability"><h2>Traceability</h2>'
        "<p>Every requirement of the catalogue, the plans that cover it, and the worst of "
        f"their verdicts (beyond {LIST_ALL_UP_TO} plans, only those that did not pass are "
        "named).</p><table><thead><tr><th>requirement<th>title<th>plans"
        f"<th>verdict</thead><tbody>{rows}</tbody></table></section>"
    )


def _instruments(run: RunView) -> str:
    rows = []
    for i in run.instruments:
        ident = i.identity
        due = ident.calibration_due.isoformat() if ident.calibration_due else "not stated"
        status = (
            '<span class="exp">EXPIRED</span>'
            if i.expired
            else ("ok" if ident.calibration_due else "—")
        )
        rows.append(
            f"<tr{' class=expired' if i.expired else ''}><td>{esc(ident.role)}"
            f"<td>{esc(ident.driver)}<td>{esc(ident.idn)}<td>{esc(ident.serial)}"
            f"<td>{esc(ident.firmware)}<td>{esc(ident.accuracy_class)}<td>{due}<td>{status}"
        )
    return (
        "<table><thead><tr><th>role<th>driver<th>identity (IDN / model)<th>serial<th>firmware"
        "<th>accuracy<th>calibration due<th>calibration</thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _plan_files(run: RunView) -> str:
    files = {p.start.file: p.start.file_sha256 for p in run.results.plans.values() if p.start.file}
    if not files:
        return ""
    rows = "".join(
        f"<tr><td>{esc(f)}<td class=mono>{esc(h or 'not recorded')}"
        for f, h in sorted(files.items())
    )
    return (
        "<h4>Plan files</h4><table><thead><tr><th>file<th>SHA-256</thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _bench(report: Report) -> str:
    parts = ['<section id="bench"><h2>Bench</h2>']
    for run in report.runs:
        record = run.results.run
        bench = record.bench
        expired = (
            f' <span class="exp">{len(run.expired)} instrument(s) out of calibration</span>'
            if run.expired
            else ""
        )
        if record.allowed_expired_calibration:
            expired += ' <span class="exp">run with --allow-expired-calibration</span>'
        if record.lab_profile:
            profile = esc(record.lab_profile)
            expired += f' <span class="exp">plans shortened by lab-time profile {profile}</span>'

        ended = moment(run.results.ended_at) if run.results.ended_at else "not recorded"
        parts.append(
            f"<h3>{esc(run.label)}{expired}</h3><dl>"
            f"<dt>bench<dd>{esc(bench.name)} ({'simulated' if bench.simulated else 'lab bench'})"
            f"<dt>bench file<dd>{esc(bench.file or '—')}"
            f"<dt>bench file SHA-256<dd class=mono>{esc(bench.file_sha256 or 'not recorded')}"
            f"<dt>software<dd>{esc(record.software_version)}"
            f"<dt>run ID<dd class=mono>{esc(record.run_id)}"
            f"<dt>started<dd>{moment(record.started_at)}<dt>ended<dd>{ended}"
            f"<dt>operator<dd>{esc(record.operator or '—')}<dt>host<dd>{esc(record.host or '—')}"
            f"<dt>worker<dd>{esc(record.worker or '—')}"
            f"<dt>seed<dd>{'—' if record.seed is None else record.seed}</dl>"
            + _instruments(run)
            + _plan_files(run)
        )
    parts.append("</section>")
    return "".join(parts)


def render(report: Report) -> str:
    """The whole report as one HTML document."""
    several = len(report.runs) > 1
    sources = ", ".join(report.sources)
    shared = Shared()
    plans = "".join(plan_section(p, several, shared) for p in report.plans)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Compliance report — {esc(report.verdict.value if report.verdict else '')}"
        f"</title><style>{CSS}{STYLE_CSS}</style></head><body>"
        '<nav><a href="#summary">Summary</a><a href="#traceability">Traceability</a>'
        '<a href="#bench">Bench</a><a href="#plans">Plans</a></nav>'
        f"<h1>Compliance report {badge(report.verdict)}</h1>"
        f"<p>Generated {moment(report.generated_at)} from {len(report.runs)} run(s)"
        + (f": {esc(sources)}" if sources else "")
        + ".</p>"
        + _summary(report)
        + _traceability(report)
        + _bench(report)
        + '<section id="plans"><h2>Plans</h2>'
        + plans
        + "</section>"
        + shared.svg()
        + "</body></html>"
    )
