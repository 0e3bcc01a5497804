"""Pre-flight: every ID a plan names must exist in its utility data set, found at collection.

A plan names its world by ID — the data set, the premise and the portal it plugs
into, the PEV, and in its checks the accounts, utilities and tariffs it expects. A
typo (``premise: PREM-ALICEE``) would otherwise surface only when the plan runs,
hours into a suite, as a traceback at the data set's ``1:1``. :func:`id_problems`
checks them all against the data set, purely (no bench, no service), and returns
each problem at its key path with a "did you mean"; the pytest plugin turns them into
a collection error at the plan's ``file:line:col``.

One ID may legitimately be unknown: a PEV that no utility knows (SC-5) — but only in
a plan that expects its binding to be refused or not attempted. Anywhere else an
unknown PEV ID is a typo too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from rig.plans import Plan
from rig.plans.checks import Binding, Clearinghouse, Payer, PremiseNetting, Settlement, Tariff
from rig.services.dataset import LoadedDataset
from rig.yamlfile import PathKey

Problem = tuple[PathKey, str]


def _unknown(kind: str, given: str, known: Iterable[str], where: str) -> str:
    close = difflib.get_close_matches(given, sorted(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{kind} {given!r} is not in {where}{hint}"


def id_problems(plan: Plan, data: LoadedDataset) -> list[Problem]:
    """Each ID of ``plan`` that ``data`` does not know, at its key path."""
    where = f"data set '{plan.utility_data}'"
    problems: list[Problem] = []

    def need(path: PathKey, kind: str, given: str | None, known: Iterable[str]) -> None:
        if given is not None and given not in known:
            problems.append((path, _unknown(kind, given, known, where)))

    need(("premise",), "premise", plan.premise, data.premises)
    premise = data.premises.get(plan.premise)
    if premise is not None:
        portals = [portal.id for portal in premise.portals]
        if plan.portal not in portals:
            problems.append(
                (("portal",), _unknown("portal", plan.portal, portals, f"premise {premise.id}"))
            )
    refusal_expected = any(
        isinstance(check, Binding) and check.binding.result in ("refused", "none")
        for check in plan.checks
    )
    if not refusal_expected:
        need(("pev", "id"), "PEV", plan.pev.id, data.pevs)
    for index, check in enumerate(plan.checks):
        at: PathKey = ("checks", index)
        match check:
            case Payer(payer=args):
                need((*at, "payer", "account"), "account", args.account, data.accounts)
                need((*at, "payer", "utility"), "utility", args.utility, data.utilities)
            case Tariff(tariff=args):
                need((*at, "tariff", "id"), "tariff", args.id, data.tariffs)
            case PremiseNetting(premise_netting=args):
                need((*at, "premise_netting", "account"), "account", args.account, data.accounts)
            case Clearinghouse(clearinghouse=args):
                need((*at, "clearinghouse", "home_utility"), "utility", args.home_utility,
                     data.utilities)  # fmt: skip
                need((*at, "clearinghouse", "posted_to"), "account", args.posted_to,
                     data.accounts)  # fmt: skip
            case Settlement(settlement=args):
                for role in ("roaming_utility", "home_utility"):
                    need((*at, "settlement", role), "utility", getattr(args, role),
                         data.utilities)  # fmt: skip
            case _:
                pass
    return problems
