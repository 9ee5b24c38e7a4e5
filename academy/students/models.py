"""Students, their parents, and the per-tenant student number counter."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from academy.students.parsing import MAX_LENGTHS

PHONE_LENGTH = 11  # normalised: 010 and eight digits


class Gender(models.TextChoices):
    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "", "unknown"


class StudentQuerySet(models.QuerySet):
    def active(self) -> "StudentQuerySet":
        return self.filter(deleted_at__isnull=True)


class Parent(models.Model):
    """A parent, known by their normalised mobile number within one tenant."""

    # No index of its own: the (tenant, phone) unique index starts with it.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="parents", db_index=False)
    phone = models.CharField(max_length=PHONE_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "phone"], name="parent_tenant_phone_unique")]

    def __str__(self) -> str:
        return self.phone


class Student(models.Model):
    """A student of one tenant, identified there by (name, parent_phone); soft-deleted."""

    # No index of its own: the (tenant, name, parent_phone) index starts with it.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="students", db_index=False)
    # A foreign key, not a many-to-many: students and their parent link go in one bulk insert.
    parent = models.ForeignKey(Parent, null=True, blank=True, on_delete=models.SET_NULL, related_name="students")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="student")
    ps_number = models.CharField(max_length=16)
    name = models.CharField(max_length=MAX_LENGTHS["name"])
    parent_phone = models.CharField(max_length=PHONE_LENGTH)
    phone = models.CharField(max_length=PHONE_LENGTH, blank=True, default="")
    school = models.CharField(max_length=MAX_LENGTHS["school"], blank=True, default="")
    school_type = models.CharField(max_length=MAX_LENGTHS["school_type"], blank=True, default="")
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    class_name = models.CharField(max_length=MAX_LENGTHS["class_name"], blank=True, default="")
    major = models.CharField(max_length=MAX_LENGTHS["major"], blank=True, default="")
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True, default="")
    memo = models.CharField(max_length=MAX_LENGTHS["memo"], blank=True, default="")
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudentQuerySet.as_manager()

    class Meta:
        indexes = [
            # The import's lookup of soft-deleted students by their identity (active ones are
            # found through student_active_identity_unique). Partial: a new student's insert
            # does not touch it, and it stays as small as the number of deleted students.
            models.Index(fields=["tenant", "name", "parent_phone"], condition=Q(deleted_at__isnull=False),
                         name="student_deleted_identity"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "ps_number"], name="student_tenant_ps_number_unique"),
            # Two imports of one file at once cannot both create the same student.
            models.UniqueConstraint(fields=["tenant", "name", "parent_phone"], condition=Q(deleted_at__isnull=True),
                                    name="student_active_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ps_number})"


class StudentNumberCounter(models.Model):
    """The next free ps_number of a tenant, handed out in blocks by one UPDATE ... RETURNING."""

    tenant = models.OneToOneField("tenants.Tenant", primary_key=True, on_delete=models.CASCADE,
                                  related_name="student_number_counter")
    next_value = models.PositiveBigIntegerField(default=1)
