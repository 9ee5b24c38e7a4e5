"""The generic job: AI work, message sending and Excel imports share it."""
import uuid

from django.db import models

from academy.progress.models import TaskRow
from academy.progress.statuses import Status


class JobStatus(models.TextChoices):
    PENDING = Status.PENDING
    PROCESSING = Status.PROCESSING
    DONE = Status.DONE
    FAILED = Status.FAILED


class Job(TaskRow):
    job_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="jobs")
    job_type = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="job_tenant_created"),
            models.Index(fields=["status"], name="job_status"),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} {self.job_id} ({self.status})"
