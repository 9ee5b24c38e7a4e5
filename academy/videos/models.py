"""Lecture videos and their encoding status."""
from django.db import models

from academy.progress.api import Status, TaskRow


class VideoStatus(models.TextChoices):
    PENDING = Status.PENDING
    PROCESSING = Status.PROCESSING
    READY = Status.READY
    FAILED = Status.FAILED
    CANCELLED = Status.CANCELLED


class Video(TaskRow):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=500, blank=True, default="")  # storage name of the upload
    status = models.CharField(max_length=16, choices=VideoStatus.choices, default=VideoStatus.PENDING)
    hls_path = models.CharField(max_length=500, blank=True, default="")
    poster_path = models.CharField(max_length=500, blank=True, default="")
    duration = models.FloatField(null=True, blank=True)
    error_reason = models.TextField(blank=True, default="")
    # What clients localise: the English error_reason's code and its values (academy/errors.py).
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_params = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="video_tenant_created"),
            models.Index(fields=["status"], name="video_status"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"
