"""Job endpoints: progress from Redis only; detail, creation and retry from the DB."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.jobs import services
from academy.jobs.handlers import PayloadInvalid, handler_get
from academy.jobs.models import Job
from academy.jobs.selectors import job_get, job_progress_render
from academy.progress.keys import TaskRef
from academy.progress.selectors import progress_get
from academy.tenants.permissions import IsStaff


class JobProgressApi(APIView):
    """Token -> one Redis round trip -> response. SQL only on a cache miss (single-flight)."""

    @extend_schema(responses={200: dict})
    def get(self, request, job_id: str):
        state = progress_get(TaskRef(request.user.tenant_id, "job", job_id))
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
            raise ValidationError({"detail": "Only a FAILED job can be retried."})
        return Response({"job_id": str(job.job_id), "attempt": job.attempt}, status=status.HTTP_202_ACCEPTED)


def job_create_response(request, *, job_type: str, payload, category: str) -> Response:
    """Create a job of an allowed category, answering 400 with the reason on a bad payload."""
    try:
        handler = handler_get(job_type)
        if handler.category != category:
            raise PayloadInvalid(f"job_type {job_type!r} cannot be started here.")
        job = services.job_create(tenant_id=request.user.tenant_id, job_type=job_type, payload=payload,
                                  created_by_id=request.user.user_id)
    except PayloadInvalid as exc:
        raise ValidationError({"detail": str(exc)}) from None
    return Response({"job_id": str(job.job_id)}, status=status.HTTP_202_ACCEPTED)


class AiJobCreateApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        job_type = serializers.CharField(max_length=64)
        payload = serializers.JSONField()

    @extend_schema(request=InputSerializer, responses={202: dict})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return job_create_response(request, category="ai", **data.validated_data)
