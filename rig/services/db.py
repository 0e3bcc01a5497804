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

The tables themselves, and the schema version, are in :mod:`rig.services.tables`.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import TextClause

from rig.services.tables import SCHEMA_VERSION, make_tables


class StorageError(RuntimeError):
    """The database cannot be used by this version of the code."""


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
