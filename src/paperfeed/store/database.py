"""Opening the store: the engine for a URL, each backend tuned for its job, migrations.

The backend is chosen by the URL: ``sqlite:///…`` by default (one machine), ``postgresql://…``
(psycopg 3) when several instances share one store. This package is the only one that speaks SQL,
and this module is where the two dialects differ: connection set-up, the ``INSERT … ON CONFLICT``
form, the driver's placeholder, and how dates travel to the driver.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from paperfeed.errors import Unavailable

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def dialect_insert(dialect_name: str, table: Table) -> Any:
    """``INSERT`` for the named dialect, with its ``ON CONFLICT`` methods."""
    insert_fn: Callable[[Table], Any] = sqlite.insert if dialect_name == "sqlite" else postgresql.insert
    return insert_fn(table)


def put_keyed(conn: Connection, table: Table, key_column: str, values: dict[str, Any]) -> None:
    """Insert a row or replace the one with the same key, in one statement.

    A delete followed by an insert is not enough on PostgreSQL: two transactions (two instances
    starting at once) both delete nothing, then both insert, and the second fails on the primary
    key. ``INSERT … ON CONFLICT DO UPDATE`` is atomic on both backends."""
    statement = dialect_insert(conn.dialect.name, table).values(**values)
    updates = {name: statement.excluded[name] for name in values if name != key_column}
    conn.execute(statement.on_conflict_do_update(index_elements=[key_column], set_=updates))


class StoreUnavailable(Unavailable):
    """The database URL is malformed, its driver is missing, or the server cannot be reached."""


SQLITE_PAGE_SIZE = 16384
"""Bytes per page of a new SQLite store: a paper row (title, abstract, JSON lists) is ~2 KB, so on
4 KB pages most rows overflowed or shared a page with one other; 16 KB pages cut the page
splits and b-tree depth of a bulk import (measured in docs/benchmarks.md). A store created with
another size keeps it (WAL fixes the size at creation)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the web app read while an import writes; NORMAL sync is durable at commit in WAL."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # takes effect only on a new, empty file
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (the driver paperfeed installs)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the parent directory is created and the pragmas applied."""
    url = normalize_url(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        if url.startswith("postgresql"):
            # A connection that died with a server restart is replaced, not handed to a request.
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        else:
            engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreUnavailable(
            f"cannot use database URL {redact_url(url)}: {exc}. Use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST:PORT/DB (PAPERFEED_DATABASE_URL)"
        ) from exc
    except ImportError as exc:
        raise StoreUnavailable(f"the driver for {redact_url(url)} is not installed: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def redact_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


SCHEMA_HEAD = "0010_blend_weights"
"""The newest migration's revision. Opening a store compares it with the store's own revision
without importing Alembic (a quarter of a second of every command's start-up); a test holds it
equal to the migration scripts' head, so a new migration must update it."""


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


class Database:
    """The store's engine, its dialect's few differences, and its schema version management."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = normalize_url(url)
        self.engine = create_store_engine(self.url)
        try:
            if upgrade and not self.is_current():
                self.upgrade()
        except OperationalError as exc:
            self.engine.dispose()
            raise StoreUnavailable(
                f"cannot open the store at {redact_url(self.url)}: {str(exc.orig or exc).strip()}"
            ) from exc

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def placeholder(self) -> str:
        """The driver's positional placeholder, for the raw ``executemany`` fast paths."""
        return "?" if self.engine.dialect.paramstyle == "qmark" else "%s"

    def insert(self, table: Table) -> Any:
        """The dialect's ``INSERT`` construct, which has ``on_conflict_do_nothing``/``…_do_update``."""
        return dialect_insert(self.engine.dialect.name, table)

    def current_revision(self) -> str | None:
        """The store's schema revision (None: no schema yet), read as Alembic keeps it."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if len(rows) > 1:
            raise StoreUnavailable(f"the store has several schema heads ({', '.join(rows)}): not ours")
        return str(rows[0]) if rows else None

    def head_revision(self) -> str | None:
        """The migration scripts' newest revision (imports Alembic: for checks and upgrades)."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config()).get_current_head()

    def is_current(self) -> bool:
        return self.current_revision() == SCHEMA_HEAD

    def upgrade(self, revision: str = "head") -> None:
        """Create or upgrade the schema in place (``paperfeed db upgrade``, and on first use)."""
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        config = _alembic_config()
        with self.engine.begin() as connection:
            if not self.is_sqlite:
                # Two instances starting at once on an empty database: one migrates, the other waits.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")
                if MigrationContext.configure(connection).get_current_revision() == self.head_revision():
                    return
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def dispose(self) -> None:
        self.engine.dispose()
