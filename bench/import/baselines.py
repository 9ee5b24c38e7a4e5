"""The approaches the batched import is measured against, doing the same work per student.

Each takes a roster path, a tenant and a password hash made once by the caller (so the
comparison measures database work, not PBKDF2), and reads the file with the same parser.
"""
from __future__ import annotations

import tablib
from django.db.models import Max
from import_export import resources

from academy.students.models import Parent, Student
from academy.students.parsing import StudentRow, parse_workbook
from academy.students.services import _parents_upsert, _ps_numbers_allocate
from academy.tenants.models import Membership, Role, User

FIELDS = ("name", "parent_phone", "phone", "school", "school_type", "grade", "class_name", "major", "gender",
          "memo")


def per_row(*, path: str, tenant_id: int, password_hash: str) -> None:
    """What the seed did, minus its hashing per user: one get_or_create and friends per row.

    Per row: the next ps_number by SELECT max() + 1, the parent by get_or_create, the
    student by get_or_create, then its user (with the shared, pre-made hash) and its
    membership. Django's autocommit: every write is its own transaction.
    """
    for row in parse_workbook(path).rows:
        last = Student.objects.filter(tenant_id=tenant_id).aggregate(last=Max("ps_number"))["last"]
        number = f"S{int(last[1:]) + 1 if last else 1:06d}"
        parent, _ = Parent.objects.get_or_create(tenant_id=tenant_id, phone=row.parent_phone)
        student, created = Student.objects.get_or_create(
            tenant_id=tenant_id, name=row.name, parent_phone=row.parent_phone, deleted_at=None,
            defaults={"ps_number": number, "parent": parent, **_details(row)},
        )
        if created:
            user = User.objects.create(username=f"t{tenant_id}-{number}", password=password_hash,
                                       first_name=row.name, must_change_password=True)
            student.user = user
            student.save(update_fields=["user"])
            Membership.objects.create(tenant_id=tenant_id, user=user, role=Role.STUDENT)


def _details(row: StudentRow) -> dict:
    return {field: getattr(row, field) for field in FIELDS[2:]}


class StudentResource(resources.ModelResource):
    """django-import-export in bulk mode, given its best chance.

    Students are found by (name, parent_phone) one row at a time (the library's instance
    loader), collected and written with bulk_create. What the library has no bulk hook for
    is done per new row in before_save_instance: the user and the membership. ps_numbers
    (one counter block) and parents (bulk upserts) are prepared in before_import so they do
    not count against it.
    """

    def __init__(self, *, tenant_id: int, password_hash: str):
        super().__init__()
        self.tenant_id = tenant_id
        self.password_hash = password_hash
        self.numbers = iter(())
        self.parent_ids: dict[str, int] = {}

    class Meta:
        model = Student
        fields = FIELDS
        import_id_fields = ("name", "parent_phone")
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        skip_diff = True

    def get_queryset(self):
        return Student.objects.filter(tenant_id=self.tenant_id, deleted_at=None)

    def init_instance(self, row=None):
        return Student(tenant_id=self.tenant_id)

    def before_import(self, dataset, **kwargs):
        first = _ps_numbers_allocate(tenant_id=self.tenant_id, count=len(dataset))
        self.numbers = iter(range(first, first + len(dataset)))
        phones = sorted(set(dataset["parent_phone"]))
        for start in range(0, len(phones), 1000):
            self.parent_ids.update(_parents_upsert(tenant_id=self.tenant_id, phones=set(phones[start:start + 1000])))

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None:
            instance.ps_number = f"S{next(self.numbers):06d}"
            instance.parent_id = self.parent_ids[instance.parent_phone]
            instance.user = User.objects.create(username=f"t{self.tenant_id}-{instance.ps_number}",
                                                password=self.password_hash, first_name=instance.name,
                                                must_change_password=True)
            Membership.objects.create(tenant_id=self.tenant_id, user=instance.user, role=Role.STUDENT)


def import_export_bulk(*, path: str, tenant_id: int, password_hash: str) -> None:
    """django-import-export 4 in bulk mode, fed the parsed rows as a tablib Dataset."""
    rows = parse_workbook(path).rows
    dataset = tablib.Dataset(*([getattr(row, field) for field in FIELDS] for row in rows), headers=FIELDS)
    del rows
    result = StudentResource(tenant_id=tenant_id, password_hash=password_hash).import_data(
        dataset, use_transactions=True, raise_errors=True)
    if result.has_errors():
        raise RuntimeError(result.base_errors or result.row_errors())


APPROACHES = {"per_row": per_row, "import_export": import_export_bulk}
