"""Apply the schema migrations (Alembic) programmatically."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from engine.persistence.db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@contextmanager
def _migrating(database: Database) -> Iterator[Connection]:
    """One transaction for a migration run.

    On SQLite, foreign keys are off while it runs: Alembic's batch mode rebuilds a table by
    copying it, which a referencing row would otherwise forbid. The keys are checked before commit.
    """
    with database.engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        if database.is_sqlite:
            driver.execute("PRAGMA foreign_keys=OFF")  # only takes effect outside a transaction
        try:
            with connection.begin():
                yield connection
                if database.is_sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("migration left rows pointing at missing rows (PRAGMA foreign_key_check)")
        finally:
            if database.is_sqlite:
                driver.execute("PRAGMA foreign_keys=ON")


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default)."""
    config = alembic_config()
    with _migrating(database) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database: Database, revision: str) -> None:
    """Take the schema back to `revision` (for tests of the migrations themselves)."""
    config = alembic_config()
    with _migrating(database) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def revision(database: Database, message: str) -> None:
    """Autogenerate a new migration from the models (a developer tool)."""
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
