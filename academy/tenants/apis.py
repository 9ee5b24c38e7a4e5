"""Token, activation and password endpoints: throttled before any password is hashed."""
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.access.addresses import client_address
from academy.access.throttle import Throttled, attempt_begin, attempt_succeeded
from academy.errors import error_body
from academy.tenants import services
from academy.tenants.tokens import Identity
from academy.validators import single_line

LOGIN_FAILED = "Invalid credentials, or no membership in this tenant."
ACTIVATION_FAILED = "Invalid or expired activation code, or no such account in this tenant."


@extend_schema_serializer(component_name="TokenOutput")
class TokenOutputSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Bearer token for the Authorization header.")
    tenant_id = serializers.IntegerField()
    tenant_name = serializers.CharField()
    role = serializers.ChoiceField(choices=["owner", "teacher", "student", "parent"])
    expires_in = serializers.IntegerField(help_text="Seconds until the token expires.")
    password_change_required = serializers.BooleanField()


THROTTLED = OpenApiResponse(description="Too many attempts: see Retry-After.")


def _throttled(scope: str, *, tenant_id: int, subject: str, request):
    """Count the attempt; raise DRF's Throttled (429 with Retry-After) when over a limit."""
    try:
        return attempt_begin(scope=scope, tenant_id=tenant_id, subject=subject, address=client_address(request))
    except Throttled as exc:
        raise exceptions.Throttled(wait=exc.retry_after) from None


def _unauthorized(code: str, detail: str) -> Response:
    return Response(error_body(code=code, message=detail), status=status.HTTP_401_UNAUTHORIZED,
                    headers={"WWW-Authenticate": "Bearer"})


def _password_rejected(exc: services.PasswordRejected) -> Response:
    body = error_body(code="password_invalid", message=" ".join(exc.messages),
                      params={"field": "new_password", "errors": exc.errors})
    return Response({**body, "new_password": exc.messages}, status=status.HTTP_400_BAD_REQUEST)


def _credentials_exchange(request, serializer_class, service, *, failed_code: str, failed_detail: str) -> Response:
    """Validate, count the attempt against (tenant, username) and address, then call the service.

    The count comes first: over the limit, no password is hashed. A success takes it back.
    """
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    attempt = _throttled("login", tenant_id=data.validated_data["tenant_id"],
                         subject=data.validated_data["username"], request=request)
    try:
        body = service(**data.validated_data)
    except services.LoginFailed:
        return _unauthorized(failed_code, failed_detail)
    except services.PasswordRejected as exc:
        return _password_rejected(exc)
    attempt_succeeded(attempt)
    return Response(body)


class TokenObtainApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="TokenInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150, validators=[single_line])
        password = serializers.CharField(max_length=512, trim_whitespace=False)
        tenant_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)

    @extend_schema(request=InputSerializer, auth=[], responses={
        200: TokenOutputSerializer, 401: OpenApiResponse(description="Wrong credentials (one answer for all)."),
        429: THROTTLED,
    })
    def post(self, request):
        return _credentials_exchange(request, self.InputSerializer, services.token_obtain,
                                     failed_code="login_failed", failed_detail=LOGIN_FAILED)


class AccountActivateApi(APIView):
    """An imported student's first login: username + one-time code + the password they choose."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="AccountActivateInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150, validators=[single_line])
        tenant_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        activation_code = serializers.CharField(max_length=64)
        new_password = serializers.CharField(max_length=512, trim_whitespace=False)

    @extend_schema(request=InputSerializer, auth=[], responses={
        200: TokenOutputSerializer, 400: OpenApiResponse(description="The new password is refused (reasons)."),
        401: OpenApiResponse(description="Wrong, used or expired code."), 429: THROTTLED,
    })
    def post(self, request):
        # The same counters as the password login: a code is a credential too.
        return _credentials_exchange(request, self.InputSerializer, services.account_activate,
                                     failed_code="activation_failed", failed_detail=ACTIVATION_FAILED)


class PasswordChangeApi(APIView):
    """The one call a token with a pending password change may make."""

    def get_permissions(self):
        return []

    @extend_schema_serializer(component_name="PasswordChangeInput")
    class InputSerializer(serializers.Serializer):
        old_password = serializers.CharField(max_length=512, trim_whitespace=False)
        new_password = serializers.CharField(max_length=512, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={
        200: TokenOutputSerializer,
        400: OpenApiResponse(description="Wrong old password, or the new one is refused (reasons)."),
        429: THROTTLED,
    })
    def post(self, request):
        """Change the password; every earlier token of the user stops working, a new one is returned."""
        if not isinstance(request.user, Identity):
            return _unauthorized("not_authenticated", "Authentication credentials were not provided.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = request.user
        attempt = _throttled("password", tenant_id=identity.tenant_id, subject=f"#{identity.user_id}",
                             request=request)
        try:
            body = services.password_change(user_id=identity.user_id, tenant_id=identity.tenant_id,
                                            **data.validated_data)
        except services.LoginFailed:
            body = error_body(code="password_wrong", message="Wrong password.", params={"field": "old_password"})
            return Response({**body, "old_password": ["Wrong password."]}, status=status.HTTP_400_BAD_REQUEST)
        except services.PasswordRejected as exc:
            attempt_succeeded(attempt)  # the old password was right: not a guess
            return _password_rejected(exc)
        attempt_succeeded(attempt)
        return Response(body)
