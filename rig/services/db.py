"""Storage for one service: SQLAlchemy 2 Core tables, a versioned schema, safe writes.

Each service (home utility, roaming utility, clearinghouse) owns one database. By
default it is a SQLite *file*, so a restart loses nothing, opened in WAL mode so
readers never wait for the writer and several benches can share a disk. Any other
SQLAlchemy URL (``postgresql+psycopg://…``) works too; the tables are plain Core
tables with no SQLite-only types.

Three things make the records trustworthy:

* **Idempotent keys.** Interval records are keyed by ``(session_id, start)``,
  roaming charges by their ``charge_id``, outbox messages by an idempotency key.
  :func:`insert_ignore` inserts a row unless the key exists (``INSERT … ON CONFLICT
  DO NOTHING``), so a retried, duplicated or concurrent post lands exactly once.
* **One writer at a time.** :meth:`Database.write` serialises writers inside the
  process with a lock and, on SQLite, opens the transaction with ``BEGIN
  IMMEDIATE`` so a read-then-write transaction never fails half-way with "database
  is locked"; other processes wait up to ``busy_timeout``. On PostgreSQL a
  transaction-scoped advisory lock (one per table prefix) does the same across
  processes, and a read is a ``REPEATABLE READ`` snapshot as on SQLite.
* **A schema version.** ``schema_version`` holds the version this code wrote;
  opening a database written by a newer or unknown version fails clearly instead
  of corrupting it.

Exact quantities (kWh, prices, amounts) are stored as decimal *text* so nothing is
rounded by a float on the way in or out.
"""

from __future__ import annotations

import functools
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Dialect,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import TextClause

SCHEMA_VERSION = 1


class DecimalText(TypeDecorator[Decimal]):
    """A :class:`~decimal.Decimal` stored as its exact text."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class StorageError(RuntimeError):
    """The database cannot be used by this version of the code."""


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


def sqlite_url(path: str) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+pysqlite:///{path}"


class Database:
    """One service's engine and tables, with serialised write transactions."""

    def __init__(self, url: str, *, prefix: str = "", busy_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.tables = make_tables(prefix)
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self._writer_lock_sql: TextClause | None = None
        self._read_options: dict[str, Any] = {}
        if self.is_sqlite:
            memory = parsed.database in (None, "", ":memory:")
            if memory:
                raise StorageError(
                    "an in-memory SQLite database would lose everything on restart; "
                    "give a file path (sqlite:///path/to/file.sqlite)"
                )
            self.engine: Engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
                pool_size=16,
                max_overflow=48,
            )
            _sqlite_pragmas(self.engine, busy_timeout_ms)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
            if parsed.get_backend_name() == "postgresql":
                _postgresql_lock_timeout(self.engine, busy_timeout_ms)
                # the writers' advisory lock, one per service sharing the database
                key = zlib.crc32(f"rig-writer:{prefix}".encode())
                self._writer_lock_sql = text("SELECT pg_advisory_xact_lock(:key)").bindparams(
                    key=key
                )
                self._read_options = {"isolation_level": "REPEATABLE READ"}

    def create(self, now: float) -> None:
        """Create missing tables and check (or record) the schema version."""
        self.tables.metadata.create_all(self.engine)
        sv = self.tables.schema_version
        with self.write() as conn:
            versions = [row[0] for row in conn.execute(select(sv.c.version))]
            if not versions:
                conn.execute(sv.insert().values(version=SCHEMA_VERSION, applied_at=now))
            elif max(versions) != SCHEMA_VERSION:
                raise StorageError(
                    f"database {self.url} has schema version {max(versions)}, "
                    f"this code uses {SCHEMA_VERSION}; use a fresh database or migrate it"
                )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self._write_lock, self.engine.connect() as conn:
            if self.is_sqlite:
                conn = conn.execution_options(rig_begin="BEGIN IMMEDIATE")
            with conn.begin():
                if self._writer_lock_sql is not None:
                    conn.execute(self._writer_lock_sql)  # other processes' writers wait
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (a deferred transaction, never blocking the writer)."""
        with self.engine.connect() as conn:
            if self._read_options:
                conn = conn.execution_options(**self._read_options)
            with conn.begin():
                yield conn

    def start_checkpointer(self, every_s: float = 1.0) -> None:
        """SQLite: copy the WAL into the database file in the background, every ``every_s``.

        A ``PASSIVE`` checkpoint never waits for readers or writers, so requests are
        not held up by the checkpoint's disk flushes; at close a full ``TRUNCATE``
        checkpoint leaves a compact file.
        """
        if not self.is_sqlite or self._checkpointer is not None:
            return

        def loop() -> None:
            while not self._stop.wait(every_s):
                self._checkpoint("PASSIVE")

        self._checkpointer = threading.Thread(target=loop, name="wal-checkpoint", daemon=True)
        self._checkpointer.start()

    def _checkpoint(self, mode: str) -> None:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})")
        except Exception:  # pragma: no cover - a missed checkpoint is retried later
            pass

    def dispose(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=10)
            self._checkpointer = None
            self._checkpoint("TRUNCATE")
        self.engine.dispose()


def _sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, a busy timeout, and explicit BEGIN (pysqlite's implicit one is disabled)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, see _on_begin
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # NORMAL in WAL mode: a committed transaction survives a killed process;
        # only an OS crash or power loss may lose the last few commits.
        cur.execute("PRAGMA synchronous=NORMAL")
        # No checkpoint (and its fsync) inside a request's commit: the checkpointer
        # thread does it in the background (Database.start_checkpointer).
        cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("rig_begin", "BEGIN"))


def _postgresql_lock_timeout(engine: Engine, timeout_ms: int) -> None:
    """A writer waits for another process's writer up to ``timeout_ms``, then fails."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"SET lock_timeout = {int(timeout_ms)}")
        cur.close()
        dbapi_conn.commit()


def insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` whose primary key is new; return how many were inserted."""
    if not rows:
        return 0
    name = conn.dialect.name
    if name == "sqlite":
        stmt: Any = sqlite.insert(table).on_conflict_do_nothing()
    elif name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - other backends: fall back to checking one by one
        inserted = 0
        for row in rows:
            keys = {c.name: row[c.name] for c in table.primary_key.columns}
            where = [table.c[k] == v for k, v in keys.items()]
            if conn.execute(select(table).where(*where)).first() is None:
                conn.execute(table.insert().values(**row))
                inserted += 1
        return inserted
    result = conn.execute(stmt, rows)
    return max(int(result.rowcount), 0)
