"""Student endpoints: the roster import (queued as a job), the roster and its parents."""
from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.errors import ApplicationError
from academy.jobs.apis import JobAcceptedSerializer, job_create_response
from academy.jobs.handlers import JobCategory
from academy.students import services
from academy.students.handlers import import_title
from academy.students.models import Parent, Student
from academy.students.parsing import ImportFileError
from academy.pagination import KeysetPage
from academy.students.selectors import parent_list, student_list
from academy.students.template import TEMPLATE_FILENAME, roster_template_xlsx
from academy.tenants.permissions import IsStaff
from academy.uploads import SizeLimitUploadHandler


class StudentImportApi(APIView):
    """Multipart roster -> checked as .xlsx -> stored -> import job queued (202)."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser]

    @extend_schema_serializer(component_name="StudentImportInput")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        # New accounts get one-time activation codes (in the job's result): no shared password.
        dry_run = serializers.BooleanField(default=False)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={202: JobAcceptedSerializer})
    def post(self, request):
        # Before the body is read: the limit applies while the upload streams in.
        request.upload_handlers.insert(0, SizeLimitUploadHandler(request, limit=settings.STUDENT_IMPORT_MAX_BYTES))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        file = data.validated_data["file"]
        try:
            payload = services.student_import_prepare(
                tenant_id=request.user.tenant_id, file=file,
                dry_run=data.validated_data["dry_run"],
            )
        except ImportFileError as exc:
            raise ApplicationError(exc.code, exc.reason, exc.params, field="file") from None
        try:
            return job_create_response(request, job_type=services.IMPORT_JOB_TYPE, payload=payload,
                                       category=JobCategory.IMPORT, **import_title(payload, filename=file.name))
        except BaseException:
            services.student_import_file_delete(path=payload["path"])  # no job points at it
            raise


class StudentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = ["id", "ps_number", "name", "parent_phone", "phone", "school", "school_type", "grade",
                  "class_name", "major", "gender", "memo", "parent_id", "deleted_at", "created_at", "updated_at"]


class StudentPage(KeysetPage):
    ordering = ("name", "id")  # the roster reads alphabetically; id breaks ties


class StudentListApi(ListAPIView):
    """The roster, a page at a time: `?q=` name, school, class or phone digits; `?grade=`;
    `?deleted=false` (default), `true` (the soft-deleted, to restore) or `all`. One statement."""

    permission_classes = [IsStaff]
    serializer_class = StudentOutputSerializer
    pagination_class = StudentPage

    @extend_schema_serializer(component_name="StudentListFilters")
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=100)
        grade = serializers.IntegerField(required=False, min_value=1, max_value=12)
        deleted = serializers.ChoiceField(choices=["false", "true", "all"], required=False, default="false")

    @extend_schema(parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        deleted = {"false": False, "true": True, "all": None}[filters.validated_data["deleted"]]
        return student_list(tenant_id=self.request.user.tenant_id, q=filters.validated_data.get("q", ""),
                            grade=filters.validated_data.get("grade"), deleted=deleted)


class StudentDetailApi(APIView):
    """One student of the roster, active or soft-deleted; DELETE soft-deletes (import restores)."""

    permission_classes = [IsStaff]

    @extend_schema(responses={200: StudentOutputSerializer})
    def get(self, request, student_id: int):
        student = student_list(tenant_id=request.user.tenant_id, deleted=None).filter(pk=student_id).first()
        if student is None:
            raise NotFound
        return Response(StudentOutputSerializer(student).data)

    @extend_schema(responses={204: None})
    def delete(self, request, student_id: int):
        if not services.student_soft_delete(tenant_id=request.user.tenant_id, student_ids=[student_id]):
            raise NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)


class StudentRestoreApi(APIView):
    """A soft-deleted student back on the roster, their account active again."""

    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={200: StudentOutputSerializer})
    def post(self, request, student_id: int):
        student = services.student_restore(tenant_id=request.user.tenant_id, student_id=student_id)
        if student is None:
            raise NotFound  # missing, another tenant's, or not deleted
        return Response(StudentOutputSerializer(student).data)


class ParentOutputSerializer(serializers.ModelSerializer):
    class ChildSerializer(serializers.ModelSerializer):
        class Meta:
            model = Student
            fields = ["id", "name", "grade"]
            ref_name = "ParentChild"

    students = ChildSerializer(source="active_students", many=True)

    class Meta:
        model = Parent
        fields = ["id", "phone", "created_at", "students"]


class ParentPage(KeysetPage):
    ordering = ("phone", "id")


class ParentListApi(ListAPIView):
    """The tenant's parents with their active students: `?q=` phone digits or a child's name.
    Two statements whatever the page size (parents, then their students)."""

    permission_classes = [IsStaff]
    serializer_class = ParentOutputSerializer
    pagination_class = ParentPage

    def get_queryset(self):
        q = self.request.query_params.get("q", "")[:100]
        return parent_list(tenant_id=self.request.user.tenant_id, q=q)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StudentImportTemplateApi(APIView):
    """The empty roster workbook with the Korean headers the import reads."""

    permission_classes = [IsStaff]

    @extend_schema(responses={(200, XLSX): bytes})
    def get(self, request):
        response = HttpResponse(roster_template_xlsx(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILENAME}"'
        return response
