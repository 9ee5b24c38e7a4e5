"""Job endpoints: progress from Redis only; detail, creation and retry from the DB."""
from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.errors import ApplicationError
from academy.jobs import services
from academy.jobs.handlers import JobCategory, PayloadInvalid, handler_get
from academy.jobs.models import Job
from academy.jobs.selectors import job_get, job_progress_render
from academy.progress import api as progress
from academy.tenants.permissions import IsStaff


class JobProgressApi(APIView):
    """Token -> one Redis round trip -> response. SQL only on a cache miss (single-flight)."""

    @extend_schema(responses={200: dict})
    def get(self, request, job_id: str):
        # job_id is canonical (the path converter): one spelling, one Redis key.
        state = progress.progress_get(progress.TaskRef(request.user.tenant_id, progress.KIND_JOB, job_id))
        if state is None:
            raise NotFound
        return Response(job_progress_render(job_id, state))


class JobOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["job_id", "job_type", "status", "attempt", "result", "error_message", "created_at",
                  "updated_at", "started_at", "finished_at"]


class JobDetailApi(APIView):
    @extend_schema(responses={200: JobOutputSerializer})
    def get(self, request, job_id: str):
        job = job_get(tenant_id=request.user.tenant_id, job_id=job_id)
        if job is None:
            raise NotFound
        return Response(JobOutputSerializer(job).data)


class JobRetryApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, job_id: str):
        if job_get(tenant_id=request.user.tenant_id, job_id=job_id) is None:
            raise NotFound
        job = services.job_retry(tenant_id=request.user.tenant_id, job_id=job_id)
        if job is None:
            raise ApplicationError("retry_not_allowed", "Only a failed, cancelled or stuck job can be retried.")
        return Response({"job_id": str(job.job_id), "attempt": job.attempt}, status=status.HTTP_202_ACCEPTED)


def job_create_response(request, *, job_type: str, payload, category: JobCategory) -> Response:
    """Create a job of an allowed category; a bad payload raises PayloadInvalid (400 with its code)."""
    handler = handler_get(job_type)
    if handler.category != category:
        raise PayloadInvalid("job_type_not_here", f"job_type {job_type!r} cannot be started here.",
                             {"job_type": job_type})
    job = services.job_create(tenant_id=request.user.tenant_id, job_type=job_type, payload=payload,
                              created_by_id=request.user.user_id)
    return Response({"job_id": str(job.job_id)}, status=status.HTTP_202_ACCEPTED)


class AiJobCreateApi(APIView):
    permission_classes = [IsStaff]

    @property
    def body_limit(self) -> int:
        """Grading accepts 5,000 x 500 answers: more than Django's 2.5 MB (academy/parsers.py)."""
        return settings.AI_JOB_MAX_BODY_BYTES

    class InputSerializer(serializers.Serializer):
        job_type = serializers.CharField(max_length=64)
        payload = serializers.JSONField()

    @extend_schema(request=InputSerializer, responses={202: dict})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return job_create_response(request, category=JobCategory.AI, **data.validated_data)
