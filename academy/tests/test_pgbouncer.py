"""Through PgBouncer in transaction pooling mode: run by `make test-scale` (DB_TRANSACTION_POOLING=1).

In transaction pooling a client connection gets a server connection per transaction, so
anything kept in the server session (prepared statements, `set_config` without LOCAL,
session advisory locks, cursors WITH HOLD, LISTEN) may be gone, or someone else's, on the
next one. These tests run the poll and the import through PgBouncer and count in
PostgreSQL that they issue exactly the statements they issue on a direct connection.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from academy.jobs.models import Job
from academy.jobs.selectors import job_ref, job_state
from academy.progress.testing import publish
from academy.students.services import student_import_run
from academy.testdata.roster import generate_rows, write_roster_xlsx
from academy.students.tests.conftest import PgStatements
from academy.tenants.services import tenant_create

ACADEMY = Path(__file__).resolve().parent.parent

# SQL that leaves state in the server session; transaction-scoped forms are fine
# (pg_advisory_xact_lock, set_config(..., true), SET LOCAL, SET CONSTRAINTS).
SESSION_STATE = re.compile(
    r"pg_advisory_lock|pg_try_advisory_lock|set_config\([^)]*false"
    r"|[\"']\s*SET\s+(SESSION\s+)?(?!LOCAL|CONSTRAINTS)\w+\s*(=|TO)"
    r"|\bLISTEN\b|WITH\s+HOLD|CREATE\s+TEMP|\bPREPARE\s+\w+\s+AS",
    re.IGNORECASE,
)


def test_no_code_keeps_state_in_the_database_session():
    offenders = []
    for path in ACADEMY.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.lstrip().startswith("#") and SESSION_STATE.search(line):
                offenders.append(f"{path.relative_to(ACADEMY)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_session_state_pattern_catches_what_it_must():
    assert SESSION_STATE.search("cursor.execute('SELECT pg_advisory_lock(%s)', [1])")
    assert SESSION_STATE.search("SELECT set_config('app.tenant', %s, false)")
    assert SESSION_STATE.search("cursor.execute('SET statement_timeout = 5')")
    assert not SESSION_STATE.search('"ON CONFLICT (tenant_id) DO UPDATE SET next_value = 1"')
    assert not SESSION_STATE.search("SET CONSTRAINTS ALL IMMEDIATE")
    assert not SESSION_STATE.search("SET LOCAL statement_timeout = 5")
    assert not SESSION_STATE.search("SELECT pg_advisory_xact_lock(%s)")


pooled = pytest.mark.skipif(not settings.DB_TRANSACTION_POOLING or not os.environ.get("PG_DIRECT_URL"),
                            reason="needs PgBouncer: DB_TRANSACTION_POOLING=1 and PG_DIRECT_URL (make test-scale)")


def _pgbouncer_admin(command: str) -> list[dict]:
    """Run a command on PgBouncer's admin console (simple query protocol only)."""
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="pgbouncer",
                         autocommit=True) as admin:
        cursor = psycopg.ClientCursor(admin)
        # The console speaks only the simple protocol: send the text as one Query message.
        admin.pgconn.send_query(command.encode())
        result = admin.pgconn.get_result()
        names = [result.fname(i).decode() for i in range(result.nfields)]
        rows = [{names[i]: (result.get_value(r, i) or b"").decode() for i in range(result.nfields)}
                for r in range(result.ntuples)]
        while admin.pgconn.get_result() is not None:
            pass
        cursor.close()
        return rows


@contextmanager
def direct_connection():
    """Point Django's connection straight at PostgreSQL (same test database), then back."""
    direct = urlsplit(os.environ["PG_DIRECT_URL"])
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST=direct.hostname, PORT=str(direct.port))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pooled
def test_django_talks_to_pgbouncer_in_transaction_mode(transactional_db):
    config = {row["key"]: row["value"] for row in _pgbouncer_admin("SHOW CONFIG")}
    assert config["pool_mode"] == "transaction"
    assert int(settings.DATABASES["default"]["PORT"]) == int(config["listen_port"])
    assert settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] is None
    assert settings.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    clients = [row for row in _pgbouncer_admin("SHOW CLIENTS") if row["database"] == connection.settings_dict["NAME"]]
    assert clients, "Django's connection is one of PgBouncer's clients"


@pooled
def test_prepared_statements_would_break_and_ours_are_off(transactional_db):
    """Two clients, one server connection each in turn: a server-side prepared name collides."""
    db = settings.DATABASES["default"]
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": db["NAME"], "autocommit": True}
    failures = {}
    for threshold in (0, None):  # 0: prepare at once (what psycopg does after 5 runs); None: never
        with psycopg.connect(**params, prepare_threshold=threshold) as a, \
                psycopg.connect(**params, prepare_threshold=threshold) as b:
            try:
                for _ in range(3):
                    for conn in (a, b):
                        conn.execute("SELECT count(*) FROM tenants_tenant WHERE id > %s", [0]).fetchone()
                failures[threshold] = None
            except psycopg.errors.DatabaseError as exc:
                failures[threshold] = type(exc).__name__
    assert failures[0] is not None, "with prepared statements PgBouncer hands one's names to the other"
    assert failures[None] is None


def _import(tenant_name: str, path) -> dict:
    tenant = tenant_create(name=tenant_name)
    return student_import_run(tenant_id=tenant.pk, source=path)


@pooled
def test_an_import_runs_the_same_statements_through_pgbouncer(transactional_db, tmp_path):
    counter = PgStatements()
    path = write_roster_xlsx(tmp_path / "roster.xlsx", generate_rows(300, seed=5, invalid_every=37))

    counter.reset()
    pooled_result = _import("Through PgBouncer", path)
    through_pgbouncer = counter.rows()
    with direct_connection():
        counter.reset()
        direct_result = _import("Direct", path)
        direct = counter.rows()

    print(f"import of 300 rows: {sum(c for _, c in through_pgbouncer)} statements through PgBouncer, "
          f"{sum(c for _, c in direct)} direct")
    assert pooled_result["created"] == direct_result["created"] > 250
    assert pooled_result["failed"] == direct_result["failed"] != []
    # tenant_create's INSERT is the same statement text in both: compare as multisets.
    assert sorted(through_pgbouncer) == sorted(direct)


@pooled
def test_a_poll_runs_the_same_statements_through_pgbouncer(transactional_db, make_member, api, redis_client):
    counter = PgStatements()
    tenant, _, token = make_member()
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    publish(job_ref(job), job_state(job))
    url = f"/api/v1/jobs/{job.job_id}/progress/"

    def polls() -> tuple[int, int]:
        """Statements of a hit, then of a miss (Redis emptied: one guarded DB read)."""
        counter.reset()
        assert api(token).get(url).status_code == 200
        hit = sum(c for _, c in counter.rows())
        redis_client.flushdb()
        counter.reset()
        assert api(token).get(url).status_code == 200
        return hit, sum(c for _, c in counter.rows())

    through_pgbouncer = polls()
    with direct_connection():
        direct = polls()
    print(f"statements per poll (hit, miss): {through_pgbouncer} through PgBouncer, {direct} direct")
    assert through_pgbouncer == direct == (0, 1)
