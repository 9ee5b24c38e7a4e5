"""Fixtures of the import tests: rosters written to tmp_path, statements counted in PostgreSQL."""
from __future__ import annotations

import pytest
from django.db import connection

from academy.testdata.roster import write_roster_xlsx
from academy.tenants.services import tenant_create


@pytest.fixture
def roster(tmp_path):
    """roster(rows, name=...) writes rows (dicts keyed by field) to an .xlsx and returns its path."""
    counter = iter(range(1, 1000))

    def write(rows, *, name: str | None = None):
        return write_roster_xlsx(tmp_path / (name or f"roster-{next(counter)}.xlsx"), rows)

    return write


@pytest.fixture
def tenant(db):
    return tenant_create(name="Hanbit Academy")


class PgStatements:
    """Count the statements PostgreSQL itself ran in the test database (pg_stat_statements)."""

    def __init__(self):
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def reset(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_statements_reset()")

    def rows(self) -> list[tuple[str, int]]:
        """Return (query, calls) since the reset, BEGIN/COMMIT/SAVEPOINT included."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT query, calls FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND query NOT ILIKE '%pg_stat_statements%' ORDER BY calls DESC"
            )
            return cursor.fetchall()

    def total(self) -> int:
        return sum(calls for _, calls in self.rows())


@pytest.fixture
def pg_statements(transactional_db):
    """A PgStatements counter; transactional_db so Django's test transaction hides no BEGIN/COMMIT."""
    return PgStatements()
