"""Job endpoints: progress from Redis only; detail, creation and retry from the DB."""
from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from academy import polls
from academy.errors import ApplicationError
from academy.jobs import services
from academy.jobs.handlers import JobCategory, PayloadInvalid, handler_get
from academy.jobs.models import Job
from academy.jobs.models import JobStatus
from academy.jobs.selectors import job_get, job_list, job_ref
from academy.pagination import KeysetPage, task_page_response
from academy.access.roles import task_readable
from academy.progress import api as progress
from academy.tenants.permissions import IsStaff


@extend_schema_serializer(component_name="JobAccepted")
class JobAcceptedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()


class JobProgressApi(APIView):
    """Token -> one Redis round trip -> response. SQL only on a cache miss (single-flight)."""

    revocation_check_in_view = True
    poll_kind = progress.KIND_JOB  # GET is answered by academy/polls.py before Django's handler

    @extend_schema(responses={200: dict})
    def get(self, request, job_id: str):
        # job_id is canonical (the path converter): one spelling, one Redis key.
        return Response(polls.progress_poll(identity=request.user, kind=self.poll_kind, task_id=job_id))


class JobOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["job_id", "job_type", "status", "attempt", "result", "error_message", "created_at",
                  "updated_at", "started_at", "finished_at"]


class JobListItemSerializer(serializers.ModelSerializer):
    """A job in the history: what, who, when, how long; `live` is its progress body while it runs."""

    title = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    duration_seconds = serializers.SerializerMethodField()
    live = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["job_id", "job_type", "title", "title_params", "status", "attempt", "created_by", "created_at",
                  "started_at", "finished_at", "duration_seconds", "error_message", "error_code", "error_params",
                  "live"]

    def get_title(self, job: Job) -> str:
        return job.title or job.job_type.replace("_", " ").capitalize()  # jobs from before titles

    def get_created_by(self, job: Job) -> dict | None:
        if job.created_by_id is None:
            return None
        return {"id": job.created_by_id, "username": job.created_by_name}

    def get_duration_seconds(self, job: Job) -> float | None:
        if job.started_at is None or job.finished_at is None:
            return None
        return round((job.finished_at - job.started_at).total_seconds(), 3)

    def get_live(self, job: Job) -> dict | None:
        return self.context["live"].get(job_ref(job))


class JobPage(KeysetPage):
    ordering = ("-created_at", "-job_id")


class JobListApi(ListAPIView):
    """The history, newest first: `?job_type=`, `?status=`. One statement for the page, one
    Redis round trip for the live progress of its running jobs."""

    permission_classes = [IsStaff]
    pagination_class = JobPage

    class FilterSerializer(serializers.Serializer):
        job_type = serializers.CharField(required=False, allow_blank=True, max_length=64)
        status = serializers.ChoiceField(choices=JobStatus.choices, required=False, allow_blank=True)

        class Meta:
            ref_name = "JobListFilters"

    @extend_schema(parameters=[FilterSerializer], responses={200: JobListItemSerializer(many=True)})
    def get(self, request, *args, **kwargs):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return task_page_response(request, view=self, paginator=self.paginator, serializer=JobListItemSerializer,
                                  queryset=job_list(tenant_id=request.user.tenant_id, **filters.validated_data),
                                  ref=job_ref)


class JobDetailApi(APIView):
    @extend_schema(responses={200: JobOutputSerializer})
    def get(self, request, job_id: str):
        job = job_get(tenant_id=request.user.tenant_id, job_id=job_id)
        # Not the caller's to read: the same 404 as no such job.
        if job is None or not task_readable(request.user, owner_id=job.created_by_id):
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


class JobCancelApi(APIView):
    """Stop a waiting or running job: it ends CANCELLED now; its worker stops at its next progress write."""

    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, job_id: str):
        found = job_get(tenant_id=request.user.tenant_id, job_id=job_id)
        if found is None:
            raise NotFound
        job = services.job_cancel(tenant_id=request.user.tenant_id, job_id=job_id)
        if job is None:
            raise ApplicationError("cancel_not_allowed", "Only a waiting or running job can be cancelled.",
                                   {"status": found.status}, status=409)
        return Response({"job_id": str(job.job_id), "status": job.status}, status=status.HTTP_202_ACCEPTED)


def job_create_response(request, *, job_type: str, payload, category: JobCategory, title: str = "",
                        title_params: dict | None = None) -> Response:
    """Create a job of an allowed category; a bad payload raises PayloadInvalid (400 with its code)."""
    handler = handler_get(job_type)
    if handler.category != category:
        raise PayloadInvalid("job_type_not_here", f"job_type {job_type!r} cannot be started here.",
                             {"job_type": job_type})
    job = services.job_create(tenant_id=request.user.tenant_id, job_type=job_type, payload=payload,
                              created_by_id=request.user.user_id, title=title, title_params=title_params)
    return Response({"job_id": str(job.job_id)}, status=status.HTTP_202_ACCEPTED)


class AiJobCreateApi(APIView):
    permission_classes = [IsStaff]

    @property
    def body_limit(self) -> int:
        """Grading accepts 5,000 x 500 answers: more than Django's 2.5 MB (academy/parsers.py)."""
        return settings.AI_JOB_MAX_BODY_BYTES

    @extend_schema_serializer(component_name="AiJobCreateInput")
    class InputSerializer(serializers.Serializer):
        job_type = serializers.CharField(max_length=64)
        payload = serializers.JSONField()

    @extend_schema(request=InputSerializer, responses={202: JobAcceptedSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return job_create_response(request, category=JobCategory.AI, **data.validated_data)
