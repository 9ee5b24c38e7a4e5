"""Student endpoints: the roster import (queued as a job) and the tenant's student list."""
from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.views import APIView

from academy.jobs.apis import job_create_response
from academy.students import services
from academy.students.models import Student
from academy.students.parsing import ImportFileError
from academy.students.selectors import student_list
from academy.tenants.permissions import IsStaff
from academy.uploads import SizeLimitUploadHandler


class StudentImportApi(APIView):
    """Multipart roster -> checked as .xlsx -> stored -> import job queued (202)."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        # Blank is fine for a dry run (the web form always sends the field); checked below.
        initial_password = serializers.CharField(min_length=8, max_length=128, required=False, allow_blank=True,
                                                 trim_whitespace=False)
        dry_run = serializers.BooleanField(default=False)

        def validate(self, data):
            if not data["dry_run"] and not data.get("initial_password"):
                raise ValidationError({"initial_password": ["This field is required."]})
            return data

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={202: dict})
    def post(self, request):
        # Before the body is read: the limit applies while the upload streams in.
        request.upload_handlers.insert(0, SizeLimitUploadHandler(request, limit=settings.STUDENT_IMPORT_MAX_BYTES))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            payload = services.student_import_prepare(
                tenant_id=request.user.tenant_id, file=data.validated_data["file"],
                initial_password=data.validated_data.get("initial_password", ""),
                dry_run=data.validated_data["dry_run"],
            )
        except ImportFileError as exc:
            raise ValidationError({"file": [exc.reason]}) from None
        try:
            return job_create_response(request, job_type=services.IMPORT_JOB_TYPE, payload=payload,
                                       category="import")
        except BaseException:
            services.student_import_file_delete(path=payload["path"])  # no job points at it
            raise


class StudentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = ["id", "ps_number", "name", "parent_phone", "phone", "school", "school_type", "grade",
                  "class_name", "major", "gender", "memo", "created_at", "updated_at"]


class StudentListApi(ListAPIView):
    """The tenant's active students, a page at a time."""

    permission_classes = [IsStaff]
    serializer_class = StudentOutputSerializer

    def get_queryset(self):
        return student_list(tenant_id=self.request.user.tenant_id)
