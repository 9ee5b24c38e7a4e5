"""Message endpoint: check, save, queue; the job reports progress like any other."""
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.messaging.services import MessageInvalid, message_send_start
from academy.tenants.permissions import IsStaff


class MessageCreateApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema_serializer(component_name="MessageCreateInput")  # not "Input": other views have one
    class InputSerializer(serializers.Serializer):
        # Shapes only; the rules (limits, valid addresses, known students) are the service's.
        recipients = serializers.ListField(child=serializers.JSONField(), required=False)
        student_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
        body = serializers.CharField(allow_blank=True, trim_whitespace=False)
        subject = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={202: dict})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = message_send_start(tenant_id=request.user.tenant_id, created_by_id=request.user.user_id,
                                     **data.validated_data)
        except MessageInvalid as exc:
            # Not ValidationError: it would turn the listed indexes and ids into strings.
            return Response(exc.detail, status=status.HTTP_400_BAD_REQUEST)
        return Response({"job_id": str(job.job_id)}, status=status.HTTP_202_ACCEPTED)
