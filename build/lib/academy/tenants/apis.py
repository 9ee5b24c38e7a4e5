"""Token and password endpoints."""
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.tenants import services
from academy.tenants.tokens import Identity

LOGIN_FAILED = "Invalid credentials, or no membership in this tenant."


class TokenObtainApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=512, trim_whitespace=False)
        tenant_id = serializers.IntegerField(min_value=1)

    @extend_schema(request=InputSerializer, responses={200: dict})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            body = services.token_obtain(**data.validated_data)
        except services.LoginFailed:
            return Response({"detail": LOGIN_FAILED}, status=status.HTTP_401_UNAUTHORIZED,
                            headers={"WWW-Authenticate": "Bearer"})
        return Response(body)


class PasswordChangeApi(APIView):
    """The one call a token with a pending password change may make."""

    def get_permissions(self):
        return []

    class InputSerializer(serializers.Serializer):
        old_password = serializers.CharField(max_length=512, trim_whitespace=False)
        new_password = serializers.CharField(max_length=512, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request):
        if not isinstance(request.user, Identity):
            return Response({"detail": "Authentication credentials were not provided."},
                            status=status.HTTP_401_UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            validate_password(data.validated_data["new_password"])
        except ValidationError as exc:
            return Response({"new_password": list(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
        try:
            services.password_change(user_id=request.user.user_id, **data.validated_data)
        except services.LoginFailed:
            return Response({"old_password": ["Wrong password."]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(status=status.HTTP_204_NO_CONTENT)
