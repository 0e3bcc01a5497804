"""The use case's words, defined once for the services, the record, the oracle and the plans.

Each is a :class:`~enum.StrEnum` whose values are the strings the data set, the
plans, the JSON API and the results files spell, so a value compares equal to its
spelling (``Communication.FAILED == "failed"``) and serialises as it.
"""

from __future__ import annotations

from enum import StrEnum

#: What an ID may look like: data set, plans, API paths and bodies alike (no spaces, no slashes).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class Communication(StrEnum):
    """How the PEV-ESI-utility conversation went for this session."""

    ESTABLISHED = "established"
    PEV_NOT_COMMUNICATING = "pev_not_communicating"
    """The PEV cannot talk to this utility's network at all (SC-5)."""
    FAILED = "failed"
    """The PEV could communicate but the session's communication failed (BR-01)."""


class PremiseKind(StrEnum):
    RESIDENTIAL = "residential"
    PUBLIC = "public"
    MULTI_FAMILY = "multi_family"
    WORKPLACE = "workplace"


class GuestCharging(StrEnum):
    """A residential host's preference for visiting PEVs (BR-11)."""

    NOT_ALLOWED = "not_allowed"
    HOST_PAYS = "host_pays"
    GUEST_PAYS = "guest_pays"


class PortalArrangement(StrEnum):
    """How one energy portal at a public, multi-family or workplace site bills (SC-6)."""

    HOST_PAYS = "host_pays"
    """The site host pays at the site's tariff, perhaps bundled with another service (as SC-2)."""
    DIRECT = "direct"
    """The utility bills the PEV owner at the PEV programme rate (as SC-3; SC-4 home rate)."""
    GUEST = "guest"
    """The PEV owner pays the site utility's guest tariff (SC-4 guest rate for a foreign PEV)."""


class RoamingOption(StrEnum):
    """The SC-4 customer's choice outside the home territory."""

    GUEST_RATE = "guest_rate"
    """Pay as a guest of the roaming utility, at its guest tariff."""
    HOME_RATE = "home_rate"
    """Pay at the home PEV programme tariff; the utilities settle the difference."""
