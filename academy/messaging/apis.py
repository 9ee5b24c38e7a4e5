"""Message endpoint: check, save, queue; the job reports progress like any other."""
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.jobs.apis import JobAcceptedSerializer
from academy.messaging.services import message_send_start
from academy.tenants.permissions import IsStaff
from academy.validators import single_line


class MessageCreateApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema_serializer(component_name="MessageCreateInput")  # not "Input": other views have one
    class InputSerializer(serializers.Serializer):
        # Shapes only; the rules (limits, valid addresses, known students) are the service's.
        recipients = serializers.ListField(child=serializers.JSONField(), required=False)
        student_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
        body = serializers.CharField(allow_blank=True, trim_whitespace=False)
        subject = serializers.CharField(required=False, allow_blank=True, default="", validators=[single_line])

    @extend_schema(request=InputSerializer, responses={202: JobAcceptedSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # MessageInvalid answers 400 with its code and every offending entry (academy/errors.py).
        job = message_send_start(tenant_id=request.user.tenant_id, created_by_id=request.user.user_id,
                                 **data.validated_data)
        return Response({"job_id": str(job.job_id)}, status=status.HTTP_202_ACCEPTED)
