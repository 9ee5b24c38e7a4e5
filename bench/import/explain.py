#!/usr/bin/env python3
"""EXPLAIN ANALYZE the import's identity lookup both ways: row-value IN and unnest join.

    python scripts/services.py -- .venv/bin/python bench/import/explain.py [--students 100000]

Fills a throwaway database with generated students (half of the looked-up keys exist),
then prints planning and execution time of one 1000-key lookup in each form.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from academy.students.models import Student
    from academy.phones import phone_normalize
    from academy.testdata.roster import generate_rows
    from academy.tenants.models import Tenant

    if connection.vendor != "postgresql":
        raise SystemExit("EXPLAIN ANALYZE needs PostgreSQL: run it through scripts/services.py.")
    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(name="explain")
    rows = [(str(r["name"]), phone_normalize(r["parent_phone"]))
            for r in generate_rows(args.students + args.keys // 2, seed=11)]
    stored, missing = rows[:args.students], rows[args.students:]
    for start in range(0, len(stored), 5000):
        Student.objects.bulk_create([
            Student(tenant=tenant, ps_number=f"S{start + i + 1:06d}", name=name, parent_phone=phone)
            for i, (name, phone) in enumerate(stored[start:start + 5000])
        ])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE students_student")
    keys = stored[:: max(1, len(stored) // (args.keys - len(missing)))][: args.keys - len(missing)] + missing

    table = "students_student"
    row_value_in = (
        f"SELECT id, name, parent_phone, deleted_at IS NOT NULL FROM {table} WHERE tenant_id = %s "
        f"AND (name, parent_phone) IN ({', '.join(['(%s, %s)'] * len(keys))})"
    )
    row_value_params = [tenant.pk] + [value for key in keys for value in key]
    unnest_join = (
        f"SELECT s.id, s.name, s.parent_phone, s.deleted_at IS NOT NULL FROM {table} s "
        "JOIN unnest(%s::text[], %s::text[]) AS k(name, parent_phone) "
        "ON s.name = k.name AND s.parent_phone = k.parent_phone WHERE s.tenant_id = %s"
    )
    unnest_params = [[k[0] for k in keys], [k[1] for k in keys], tenant.pk]
    unnest_lateral = (
        "SELECT s.id, s.name, s.parent_phone, s.deleted_at IS NOT NULL "
        "FROM unnest(%s::text[], %s::text[]) AS k(name, parent_phone) "
        f"CROSS JOIN LATERAL (SELECT * FROM {table} s WHERE s.tenant_id = %s AND s.name = k.name "
        "AND s.parent_phone = k.parent_phone OFFSET 0) s"
    )
    name_any = (
        f"SELECT id, name, parent_phone, deleted_at IS NOT NULL FROM {table} "
        "WHERE tenant_id = %s AND name = ANY(%s::text[])"
    )
    name_any_params = [tenant.pk, sorted({k[0] for k in keys})]

    print(f"{args.students:,} students in the table, {len(keys):,} keys looked up "
          f"({len(keys) - len(missing)} exist), best of {args.repeat}")
    for label, sql, params in (("row-value IN", row_value_in, row_value_params),
                               ("unnest join", unnest_join, unnest_params),
                               ("unnest, LATERAL ... OFFSET 0", unnest_lateral, unnest_params),
                               ("name = ANY, phone checked in Python", name_any, name_any_params)):
        planning, execution, plan = [], [], ""
        with connection.cursor() as cursor:
            for _ in range(args.repeat):
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
                plan = "\n".join(line for (line,) in cursor.fetchall())
                planning.append(float(re.search(r"Planning Time: ([\d.]+)", plan).group(1)))
                execution.append(float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)))
        print(f"\n== {label}: planning {min(planning):.1f} ms (median {statistics.median(planning):.1f}), "
              f"execution {min(execution):.1f} ms (median {statistics.median(execution):.1f})")
        print("\n".join(line for line in plan.splitlines() if "Time" not in line)[:1500])
    return 0


if __name__ == "__main__":
    sys.exit(main())
