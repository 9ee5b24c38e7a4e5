"""manage.py import_students: the same service, synchronously, with a bar on stderr."""
import io
import json

import pytest
from django.core.management import CommandError, call_command

from academy.students.models import Student
from academy.testdata.roster import generate_rows

pytestmark = pytest.mark.django_db


def import_students(*args) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_students", *map(str, args), stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def test_the_command_imports_and_draws_a_progress_bar(tenant, roster):
    path = roster(generate_rows(20, seed=1))

    dry, _ = import_students(path, "--tenant", tenant.pk, "--dry-run")
    result, bar = import_students(path, "--tenant", tenant.pk)

    assert dry == {"created": 20, "restored": 0, "skipped_existing": 0, "failed": [], "total": 20, "dry_run": True,
                   "accounts": []}
    accounts = result.pop("accounts")
    assert result == {"created": 20, "restored": 0, "skipped_existing": 0, "failed": [], "total": 20}
    assert len({account["activation_code"] for account in accounts}) == 20
    assert Student.objects.filter(tenant=tenant).count() == 20
    frames = bar.rstrip("\n").split("\r")[1:]
    assert "1/3 parsing" in frames[0] and "3/3 creating students" in frames[-1]
    assert frames[-1].startswith("[" + "#" * 30 + "] 100%")


def test_the_command_refuses_a_bad_file_and_an_unknown_tenant(tenant, tmp_path):
    bad = tmp_path / "roster.xlsx"
    bad.write_text("name,parent_phone\n")

    with pytest.raises(CommandError, match="not an Excel .xlsx workbook"):
        import_students(bad, "--tenant", tenant.pk, "--dry-run")
    with pytest.raises(CommandError, match="No tenant"):
        import_students(bad, "--tenant", 999_999, "--dry-run")
