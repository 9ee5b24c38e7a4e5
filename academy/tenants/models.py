"""Tenants, users and who belongs where."""
from django.contrib.auth.models import AbstractUser
from django.db import models


class Tenant(models.Model):
    """One academy: every row of every task kind belongs to exactly one."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person; which tenants they act in is told by their memberships."""

    # Set by provisioning with a temporary password: the user must choose their own first.
    must_change_password = models.BooleanField(default=False)
    # Imported students get a random one-time activation code instead of a password: only its
    # SHA-256 is kept (80 random bits: a fast hash is enough, and imports stay fast).
    activation_code_hash = models.CharField(max_length=64, blank=True, default="")
    activation_expires_at = models.DateTimeField(null=True, blank=True)


class Role(models.TextChoices):
    OWNER = "owner"
    TEACHER = "teacher"
    STUDENT = "student"
    PARENT = "parent"


class Membership(models.Model):
    # No index of its own: membership_unique (tenant, user) serves lookups by tenant, and
    # every imported student writes one index entry less (bench/import).
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique")]
