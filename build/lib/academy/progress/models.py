"""The database side every task kind shares: who owns it, its attempt and its times."""
from django.db import models


class TaskRow(models.Model):
    """Abstract base of a task's row; the concrete model adds `tenant` and its `status` choices."""

    created_by_id = models.BigIntegerField(null=True, blank=True)
    # Bumped by an explicit retry: events of older attempts are ignored everywhere.
    attempt = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
