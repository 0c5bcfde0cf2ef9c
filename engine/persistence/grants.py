"""The PostgreSQL privileges of the application's own role: history and documents are append-only.

In production the schema belongs to an owner role that runs the migrations (`mediasi init`); the
web server and workers connect as an application role that this module grants exactly what the
code needs. The event tables, issued documents and deployed versions get SELECT and INSERT only,
so not even a compromised application can rewrite or delete history; every other table gets what
its use cases do to it.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection

from engine.persistence.models import Base

APPEND_ONLY = ("event", "event_payload", "document", "process_definition")
READ_ONLY = ("alembic_version",)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str) -> list[str]:
    """The SQL that gives `role` the application's privileges on every table, and no more."""
    if not _NAME.match(role):
        raise ValueError(f"not a plain PostgreSQL role name: {role!r}")
    tables = sorted(Base.metadata.tables)
    statements = [
        f'GRANT USAGE ON SCHEMA {{schema}} TO "{role}"',
        f'REVOKE ALL ON ALL TABLES IN SCHEMA {{schema}} FROM "{role}"',
        f'GRANT SELECT ON alembic_version TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {{schema}} TO "{role}"',
    ]
    for table in tables:
        if table in APPEND_ONLY:
            statements.append(f'GRANT SELECT, INSERT ON "{table}" TO "{role}"')
        else:
            statements.append(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO "{role}"')
    return statements


def grant_app_role(connection: Connection, role: str) -> list[str]:
    """Apply `grant_statements` in the connection's current schema; returns what was run."""
    if connection.dialect.name != "postgresql":
        raise ValueError("role privileges apply to PostgreSQL only")
    schema: str = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    owner = connection.exec_driver_sql(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'event'"
    ).scalar_one_or_none()
    if owner is None:
        raise ValueError("the schema has no Mediasi tables yet: run `mediasi init` as the owner first")
    if owner == role:
        raise ValueError(f"{role!r} owns the tables; an owner can always rewrite them. Use a separate role.")
    done = []
    for statement in grant_statements(role):
        sql = statement.replace("{schema}", f'"{schema}"')
        connection.exec_driver_sql(sql)
        done.append(sql)
    return done
