"""DRF authentication from the bearer token alone: no SQL on any request."""
from rest_framework import authentication, exceptions

from academy.tenants.tokens import Identity, InvalidToken, token_verify_cached

KEYWORD = "Bearer"


def identity_from_header(header: str) -> Identity | None:
    """Return the identity of an Authorization header, None without one; raise AuthenticationFailed.

    Shared by DRF's authentication class and the poll path's plain views (progress/polls.py).
    """
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0] != KEYWORD:
        raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
    try:
        return token_verify_cached(parts[1])
    except InvalidToken:
        raise exceptions.AuthenticationFailed("Invalid or expired token.") from None


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        identity = identity_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
        return None if identity is None else (identity, identity)

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or bad.
        return self.keyword
