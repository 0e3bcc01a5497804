"""The pins of the records the services and the ESI kept: clearinghouse, settlement,
intervals, flags and the ESI's audit log."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from rig.plans import checks as c
from rig.plans.checks import PlanCheck
from rig.results.measurements import Limits, Measurement
from rig.runner.judging.pins import Pin, Seen, equal, none_of, pin, within


def _clearinghouse(check: c.Clearinghouse, seen: Seen) -> list[Measurement]:
    args, posting = check.clearinghouse, seen.record.services.posting
    posted = posting is not None
    found = [
        equal(check, seen, "validated and posted", posted, args.validated, "posting recorded:")
    ]
    if args.home_utility is not None:
        home = posting.home_utility_id if posting else "none"
        found.append(equal(check, seen, "home utility", home, args.home_utility, "home utility"))
    if args.posted_to is not None:
        account = posting.account_id if posting else "none"
        found.append(equal(check, seen, "posted to", account, args.posted_to, "posted to"))
    return found


def _settlement(check: c.Settlement, seen: Seen) -> list[Measurement]:
    args, statement = check.settlement, seen.record.services.settlement
    options = ", ".join(row.option for row in statement.rows) if statement else "none"
    found = [equal(check, seen, "option", options, args.option, "statement rows for")]
    if args.roaming_utility is not None:
        roaming = statement.roaming_utility_id if statement else "none"
        found.append(
            equal(check, seen, "roaming utility", roaming, args.roaming_utility, "roaming utility")
        )
    if args.home_utility is not None:
        home = statement.home_utility_id if statement else "none"
        found.append(equal(check, seen, "home utility", home, args.home_utility, "home utility"))
    return found


def _intervals(check: c.Intervals, seen: Seen) -> list[Measurement]:
    args, record, ev = check.intervals, seen.record, seen.evidence
    raw = ev.raw_session or {}
    sent = record.intervals
    expected = (
        ("pev_id", raw.get("pev_id"), ev.pev_id),  # the PEV ID the ESI had, if any
        ("premise_id", raw.get("premise_id"), record.facts.premise.premise_id),
    )
    problems = [f"{name} {got}, expected {want}" for name, got, want in expected if got != want]
    problems += [f"interval {i.start.isoformat()} has no span" for i in sent if i.end <= i.start]
    found = [none_of(check, seen, "incomplete records", problems, "problems")]
    if args.length is not None:
        longest = max(((i.end - i.start).total_seconds() for i in sent), default=0.0)
        length = args.length.seconds
        found += [
            equal(
                check,
                seen,
                "utility's interval length",
                float(ev.interval_s),
                length,
                "interval s",
            ),
            within(check, seen, "longest interval", longest, "s", Limits(high=length)),
        ]
    return found


def _session_flagged(check: c.SessionFlagged, seen: Seen) -> list[Measurement]:
    session = seen.record.services.session
    flags = ", ".join(session.flags) if session else "no session"
    flagged = bool(session and session.flags)
    found = [equal(check, seen, "flagged", flagged, True, f"flags [{flags}]:")]
    reason = check.session_flagged.reason
    if reason is not None:
        mentioned = reason in flags
        what = f"flags [{flags}] mention {reason!r}:"
        found.append(equal(check, seen, "reason", mentioned, True, what))
    return found


def _audit_log(check: c.AuditLog, seen: Seen) -> list[Measurement]:
    """BR-10 on both sides: what the utility logged from this ESI the ESI logged, and back.

    Each side's transactions are counted by method and resource. The utility's 5xx
    answers are left out (the ESI logs those attempts ``failed``); so are the ESI's
    ``failed`` attempts, which never reached the utility or got no answer from it: the
    second measurement names how many, and why the first of them failed.
    """
    ev = seen.evidence
    if ev.utility_audit is None:
        return [equal(check, seen, "utility audit log", "unreachable", "read", "utility audit")]
    theirs = Counter(
        (e["method"], e["path"].split("?")[0]) for e in ev.utility_audit if e["status"] < 500
    )
    answered = [e for e in ev.esi_audit if e.outcome in ("sent", "rejected")]
    ours = Counter(
        ("GET" if e.kind == "signals" else "POST", e.target.split("?")[0]) for e in answered
    )
    missing = [
        f"{method} {path}: utility logged {count}, ESI logged {ours[(method, path)]}"
        for (method, path), count in sorted(theirs.items())
        if ours[(method, path)] < count
    ]
    found = [
        none_of(
            check, seen, "utility transactions missing from the ESI's log", missing, "transactions"
        )
    ]
    if ev.protocol != "rest":  # the ESI names JSON resources; the utility logged 2030.5 ones
        return found
    unseen = [
        f"{method} {path}: ESI logged {count} answered, utility logged {theirs[(method, path)]}"
        for (method, path), count in sorted(ours.items())
        if theirs[(method, path)] < count
    ]
    failed = [e for e in ev.esi_audit if e.outcome == "failed"]
    never = (
        f"{len(failed)} failed attempt(s) left out, never answered by the utility "
        f"(first: {failed[0].kind} {failed[0].target}: {failed[0].detail or 'no reason given'})"
        if failed
        else ""
    )
    name = "ESI transactions missing from the utility's log"
    measured = none_of(check, seen, name, unseen, "transactions")
    detail = "; ".join(x for x in (measured.detail, never) if x)
    return [*found, replace(measured, detail=detail)]


PINS: dict[type[PlanCheck], Pin] = dict(
    [
        pin(c.Clearinghouse, _clearinghouse),
        pin(c.Settlement, _settlement),
        pin(c.Intervals, _intervals),
        pin(c.SessionFlagged, _session_flagged),
        pin(c.AuditLog, _audit_log),
    ]
)
