"""DRF authentication from the bearer token alone: no SQL on any request."""
from rest_framework import authentication, exceptions

from academy.tenants.tokens import InvalidToken, token_verify


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        try:
            identity = token_verify(parts[1])
        except InvalidToken:
            raise exceptions.AuthenticationFailed("Invalid or expired token.") from None
        return identity, identity

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or bad.
        return self.keyword
