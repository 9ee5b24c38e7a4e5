"""DRF authentication from the bearer token alone: no SQL on any request."""
from rest_framework import authentication, exceptions

from academy.access.revocation import stamp_key, stamp_read, token_revoked
from academy.tenants.tokens import Identity, InvalidToken, token_verify_cached

KEYWORD = "Bearer"
REVOKED = "Invalid or expired token."


def identity_from_header(header: str) -> Identity | None:
    """Return the identity of an Authorization header, None without one; raise AuthenticationFailed.

    Shared by DRF's authentication class and the poll path's plain views (academy/polls.py).
    The token's revocation stamp is checked by the caller: revocation_check_needed().
    """
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0] != KEYWORD:
        raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
    try:
        return token_verify_cached(parts[1])
    except InvalidToken:
        raise exceptions.AuthenticationFailed(REVOKED) from None


def revocation_check_unless_in_view(identity: Identity, view) -> None:
    """Refuse a revoked token now, unless the view reads the stamp with its own data.

    A view that reads Redis anyway (revocation_check_in_view) folds the stamp into its one
    round trip; every other view pays one GET here.
    """
    if not getattr(view, "revocation_check_in_view", False):
        revocation_check(identity, stamp_read(identity.user_id))

REVOKED = "Invalid or expired token."


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        identity = identity_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
        if identity is None:
            return None
        revocation_check_unless_in_view(identity, (getattr(request, "parser_context", None) or {}).get("view"))
        return identity, identity

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or bad.
        return self.keyword


def revocation_key(identity) -> str:
    """Return the Redis key a revocation_check_in_view view reads with its own data."""
    return stamp_key(identity.user_id)


def revocation_check(identity, stamp: str | None) -> None:
    """Refuse (401) a token older than its user's stamp, read by the view itself."""
    if token_revoked(issued_ms=identity.issued_ms, stamp=stamp):
        raise exceptions.AuthenticationFailed(REVOKED)
