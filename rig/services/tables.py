"""The services' tables: one schema, as SQLAlchemy 2 Core tables, for every service.

Each service (home utility, roaming utility, clearinghouse) keeps the same table
set, optionally under a name prefix so that several services can share one
database (:func:`make_tables`). :data:`SCHEMA_VERSION` is the version of this
schema; :class:`~rig.services.db.Database` records it in ``schema_version`` and
refuses a database written by another.

Exact quantities (kWh, prices, amounts) are :class:`DecimalText` columns, decimal
*text*, so nothing is rounded by a float on the way in or out. Keys are the
idempotency keys of :mod:`rig.services.db`: intervals by ``(session_id, start)``,
roaming charges by ``charge_id``, outbox messages by their idempotency key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

SCHEMA_VERSION = 1


class DecimalText(TypeDecorator[Decimal]):
    """A :class:`~decimal.Decimal` stored as its exact text."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


@dataclass(frozen=True)
class Tables:
    """Every table of one service (the same schema serves utility and clearinghouse)."""

    metadata: MetaData
    schema_version: Table
    dataset: Table
    bindings: Table
    sessions: Table
    intervals: Table
    line_items: Table
    grants: Table
    signals: Table
    outbox: Table
    audit: Table
    roaming_charges: Table
    validations: Table
    end_devices: Table
    mirror_usage_points: Table
    sep2_responses: Table


@functools.cache
def make_tables(prefix: str = "") -> Tables:
    """The table set; ``prefix`` lets several services share one database.

    Built once per prefix and process (a ``MetaData`` is not tied to an engine, so
    every service's :class:`Database` shares it; the runner starts clusters per plan).
    """
    md = MetaData()

    def t(name: str, *cols: Any) -> Table:
        return Table(f"{prefix}{name}", md, *cols)

    ts = Column  # brevity below: timestamps are UTC epoch seconds (float)
    tables = Tables(
        metadata=md,
        schema_version=t(
            "schema_version",
            Column("version", Integer, primary_key=True),
            ts("applied_at", Float, nullable=False),
        ),
        dataset=t(
            "dataset",
            Column("id", Integer, primary_key=True),
            Column("sha256", String(64), nullable=False),
            Column("source", Text, nullable=False),
            Column("document", JSON, nullable=False),
            ts("loaded_at", Float, nullable=False),
        ),
        bindings=t(
            "bindings",
            Column("binding_id", String(80), primary_key=True),
            Column("premise_id", String(80), nullable=False),
            Column("esi_id", String(80), nullable=False),
            Column("portal_id", String(80), nullable=True),
            Column("pev_id", String(80), nullable=True),
            Column("bound", Boolean, nullable=False),
            Column("payer_account_id", String(80), nullable=False),
            Column("tariff_id", String(80), nullable=False),
            Column("incentive", Boolean, nullable=False),
            Column("scenario", String(16), nullable=False),
            Column("home_utility_id", String(80), nullable=True),
            Column("decision", JSON, nullable=False),
            ts("created_at", Float, nullable=False),
        ),
        sessions=t(
            "sessions",
            Column("session_id", String(80), primary_key=True),
            Column("binding_id", String(80), nullable=False),
            Column("esi_id", String(80), nullable=False),
            Column("premise_id", String(80), nullable=False),
            Column("pev_id", String(80), nullable=True),
            Column("eumd_id", String(80), nullable=True),
            Column("status", String(16), nullable=False),
            ts("started_at", Float, nullable=True),
            ts("ended_at", Float, nullable=True),
            Column("duration_s", Float, nullable=True),
            Column("reported_energy_kwh", DecimalText, nullable=True),
            Column("flags", JSON, nullable=False),
            ts("created_at", Float, nullable=False),
        ),
        intervals=t(
            "intervals",
            Column("session_id", String(80), primary_key=True),
            Column("start_ms", BigInteger, primary_key=True),
            Column("end_ms", BigInteger, nullable=False),
            Column("kwh", DecimalText, nullable=False),
            ts("received_at", Float, nullable=False),
        ),
        line_items=t(
            "line_items",
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("account_id", String(80), nullable=False),
            Column("kind", String(16), nullable=False),
            Column("session_id", String(80), nullable=False),
            # "session:<id>" or "roaming:<charge_id>" (a charge ID is up to 200)
            Column("source_key", String(220), nullable=False),
            Column("pev_id", String(80), nullable=True),
            Column("premise_id", String(80), nullable=False),
            Column("start_ms", BigInteger, nullable=False),
            Column("end_ms", BigInteger, nullable=False),
            Column("kwh", DecimalText, nullable=False),
            Column("tariff_id", String(80), nullable=False),
            Column("rate_period", String(40), nullable=False),
            Column("rate", DecimalText, nullable=False),
            Column("amount", DecimalText, nullable=False),
            Column("currency", String(3), nullable=False),
            ts("created_at", Float, nullable=False),
            Index(f"{prefix}ix_line_items_account", "account_id", "start_ms"),
            Index(f"{prefix}ix_line_items_source", "source_key"),
            Index(f"{prefix}ix_line_items_session", "session_id"),
        ),
        grants=t(
            "grants",
            Column("grant_id", String(200), primary_key=True),  # "<binding>/<request>"
            Column("binding_id", String(80), nullable=False),
            Column("request", JSON, nullable=False),
            Column("response", JSON, nullable=False),
            ts("created_at", Float, nullable=False),
        ),
        signals=t(
            "signals",
            Column("seq", Integer, primary_key=True, autoincrement=True),
            Column("signal_id", String(80), nullable=False, unique=True),
            Column("kind", String(16), nullable=False),
            Column("premise_id", String(80), nullable=True),
            Column("feeder_id", String(80), nullable=True),
            ts("announced_at", Float, nullable=False),
            ts("effective_from", Float, nullable=False),
            ts("effective_until", Float, nullable=True),
            Column("body", JSON, nullable=False),
        ),
        outbox=t(
            "outbox",
            Column("key", String(200), primary_key=True),
            Column("target", String(100), nullable=False),  # "utility:<id>"
            Column("path", String(200), nullable=False),
            Column("body", JSON, nullable=False),
            Column("status", String(16), nullable=False),
            Column("attempts", Integer, nullable=False),
            Column("last_error", Text, nullable=True),
            ts("created_at", Float, nullable=False),
        ),
        audit=t(
            "audit",
            Column("seq", Integer, primary_key=True, autoincrement=True),
            ts("at", Float, nullable=False),
            Column("caller", String(80), nullable=True),
            Column("method", String(8), nullable=False),
            Column("path", String(400), nullable=False),
            Column("status", Integer, nullable=False),
            Column("request_sha256", String(64), nullable=True),
            Column("duration_ms", Float, nullable=False),
        ),
        roaming_charges=t(
            "roaming_charges",
            Column("charge_id", String(200), primary_key=True),
            Column("roaming_utility_id", String(80), nullable=False),
            Column("home_utility_id", String(80), nullable=False),
            Column("pev_id", String(80), nullable=False),
            Column("account_id", String(80), nullable=False),
            Column("option", String(16), nullable=False),  # "guest_rate", "home_rate"
            Column("start_ms", BigInteger, nullable=False),
            Column("end_ms", BigInteger, nullable=False),
            Column("kwh", DecimalText, nullable=False),
            Column("customer_amount", DecimalText, nullable=False),
            Column("settlement_amount", DecimalText, nullable=False),
            Column("difference", DecimalText, nullable=False),
            Column("currency", String(3), nullable=False),
            Column("body", JSON, nullable=False),
            ts("received_at", Float, nullable=False),
        ),
        validations=t(
            "validations",
            Column("seq", Integer, primary_key=True, autoincrement=True),
            ts("at", Float, nullable=False),
            Column("requesting_utility_id", String(80), nullable=False),
            Column("pev_id", String(80), nullable=False),
            Column("premise_id", String(80), nullable=True),
            Column("found", Boolean, nullable=False),
            Column("home_utility_id", String(80), nullable=True),
        ),
        # IEEE 2030.5 EndDevice registrations (rig/services/sep2_api.py): an ESI's
        # device, known by the LFDI of its certificate, for the ESI's premise
        end_devices=t(
            "end_devices",
            Column("lfdi", String(40), primary_key=True),
            Column("sfdi", BigInteger, nullable=False, unique=True),
            Column("esi_id", String(80), nullable=False),
            Column("premise_id", String(80), nullable=False),
            ts("registered_at", Float, nullable=False),
        ),
        # 2030.5 MirrorUsagePoints (rig/services/sep2_mirror.py): one per session an
        # ESI mirrors; its readings are the session's interval records
        mirror_usage_points=t(
            "mirror_usage_points",
            Column("mup_id", Integer, primary_key=True, autoincrement=True),
            Column("mrid", String(32), nullable=False, unique=True),
            Column("esi_id", String(80), nullable=False),
            Column("lfdi", String(40), nullable=False),
            Column("session_id", String(80), nullable=False),
            ts("created_at", Float, nullable=False),
        ),
        # 2030.5 Response acknowledgements of DRLC events (rig/services/sep2_flow.py)
        sep2_responses=t(
            "sep2_responses",
            Column("seq", Integer, primary_key=True, autoincrement=True),
            Column("esi_id", String(80), nullable=False),
            Column("lfdi", String(40), nullable=False),
            Column("subject", String(32), nullable=False),
            Column("signal_id", String(80), nullable=False),
            Column("status", Integer, nullable=False),
            ts("created_at", Float, nullable=True),
            ts("received_at", Float, nullable=False),
        ),
    )
    return tables
