"""Connections and transactions, with SQLite configured for a multi-threaded server.

SQLite: WAL, synchronous=FULL (a committed step survives a power cut), a busy timeout, and
write transactions that take the write lock at BEGIN (BEGIN IMMEDIATE), so two writers queue
instead of failing half-way. A lock that still times out becomes a ConcurrentUpdate.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import ConcurrentUpdate

_BUSY = "Basis data sedang sibuk; coba lagi sebentar lagi."
_RACE = "Data ini baru saja diubah oleh proses lain; muat ulang lalu coba lagi."


class Database:
    """One SQLAlchemy engine and the sessions made from it."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine = (
            _sqlite_engine(self.url.render_as_string(hide_password=False), busy_timeout_ms, echo)
            if self.is_sqlite
            else create_engine(url, echo=echo, pool_pre_ping=True)
        )
        writer = self.engine.execution_options(mediasi_write=True) if self.is_sqlite else self.engine
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(writer, expire_on_commit=False)

    def session(self, *, write: bool) -> Session:
        """A new session; a write session on SQLite begins with the write lock held."""
        return (self._writers if write else self._readers)()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_engine(url: str, busy_timeout_ms: int, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        write = connection.get_execution_options().get("mediasi_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class UnitOfWork:
    """One transaction: commit on success, roll back on any error.

    Database races come out as ConcurrentUpdate: a stale version counter, a lock timeout, a
    serialization failure, or a unique key taken by a concurrent writer.
    """

    def __init__(self, database: Database, *, write: bool = True) -> None:
        self.database = database
        self.write = write
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self.database.session(write=self.write)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc is None:
                self._commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
        if exc is not None:
            _translate(exc)

    def _commit(self) -> None:
        try:
            self.session.commit()
        except BaseException as error:
            self.session.rollback()
            _translate(error)
            raise

    def flush(self) -> None:
        """Send pending changes now, so that races surface inside the service."""
        try:
            self.session.flush()
        except BaseException as error:
            _translate(error)
            raise


def _translate(error: BaseException) -> None:
    """Raise the domain error for a database race; return for anything else."""
    if isinstance(error, StaleDataError):
        raise ConcurrentUpdate(_RACE) from error
    if isinstance(error, IntegrityError) and _is_unique_violation(error):
        raise ConcurrentUpdate(_RACE) from error
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        raise ConcurrentUpdate(_BUSY) from error
    if isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in {"40001", "40P01", "55P03"}:
        raise ConcurrentUpdate(_BUSY) from error


def _is_unique_violation(error: IntegrityError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(error.orig)
