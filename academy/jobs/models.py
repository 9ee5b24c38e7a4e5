"""The generic job: AI work, message sending and Excel imports share it."""
import uuid

from django.db import models

from academy.jobs.results import ResultField
from academy.progress.api import Status, TaskRow


class JobStatus(models.TextChoices):
    PENDING = Status.PENDING
    PROCESSING = Status.PROCESSING
    DONE = Status.DONE
    FAILED = Status.FAILED
    CANCELLED = Status.CANCELLED


class Job(TaskRow):
    job_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="jobs")
    job_type = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    payload = models.JSONField(default=dict, blank=True)
    result = ResultField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    # What clients localise: the English error_message's code and its values (academy/errors.py).
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_params = models.JSONField(default=dict, blank=True)
    # A name people read in the history (never the UUID); title_params fill its localised form.
    title = models.CharField(max_length=200, blank=True, default="")
    title_params = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="job_tenant_created"),
            models.Index(fields=["status"], name="job_status"),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} {self.job_id} ({self.status})"
