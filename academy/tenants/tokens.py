"""Signed, expiring bearer tokens that carry who is asking and in which tenant.

A token is a JWT (HS256) with the user id, tenant id and role, so checking a request needs
no SQL. Revocation: a per-user stamp in Redis refuses the user's older tokens
(academy/access/revocation.py); tokens are short-lived (TOKEN_TTL, 1 h by default), and rotating
SECRET_KEY (moving the old key out of SECRET_KEY_FALLBACKS) revokes every token at once.
"""
from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings

ALGORITHM = "HS256"
AUDIENCE = "academy-api"


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired or signed by an unknown key."""


@dataclass(frozen=True, slots=True)
class Identity:
    """The request's user, built from the token alone (no database row behind it)."""

    user_id: int
    tenant_id: int
    role: str
    password_change_required: bool = False
    issued_ms: int = 0

    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self) -> int:
        return self.user_id

    id = pk


def _signing_key(secret: str) -> bytes:
    # Derive a key of its own, so a token never doubles as any other Django signature.
    return hmac.new(secret.encode(), b"academy.tenants.tokens", hashlib.sha256).digest()


def token_issue(*, user_id: int, tenant_id: int, role: str, password_change_required: bool = False,
                ttl: int | None = None) -> tuple[str, int]:
    """Return a signed token for this membership and its lifetime in seconds."""
    ttl = ttl or settings.TOKEN_TTL
    now_ms = int(time.time() * 1000)
    now = now_ms // 1000
    claims = {
        "sub": str(user_id),
        "tid": tenant_id,
        "role": role,
        "iat": now,
        "ims": now_ms,  # compared with the user's revocation stamp (milliseconds)
        "exp": now + ttl,
        "aud": AUDIENCE,
        "jti": uuid.uuid4().hex,
    }
    if password_change_required:
        claims["pcr"] = True
    return jwt.encode(claims, _signing_key(settings.SECRET_KEY), algorithm=ALGORITHM), ttl


# Verified tokens of this process, until their expiry: a client polls every second or two
# with the same token, and checking it again costs about 40 us of a poll's few hundred
# (issue 17's profile). Only valid tokens are kept; a key rotation restarts the processes.
VERIFIED_CACHE_SIZE = 10_000
_verified: dict[str, tuple[Identity, float]] = {}


def token_verify_cached(token: str) -> Identity:
    """Return token_verify(token), remembered for this process until the token expires."""
    hit = _verified.get(token)
    if hit is not None and hit[1] > time.time():
        return hit[0]
    identity, expires = _verify(token)
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        _verified.clear()  # rare: a crude bound beats a lock on every poll
    _verified[token] = (identity, expires)
    return identity


def token_verify(token: str) -> Identity:
    """Return the identity a token carries, or raise InvalidToken."""
    return _verify(token)[0]


def _verify(token: str) -> tuple[Identity, float]:
    """Return the identity a token carries and its expiry (epoch seconds), or raise InvalidToken."""
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        try:
            claims = jwt.decode(
                token,
                _signing_key(secret),
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["exp", "sub", "tid", "role"]},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        try:
            return Identity(
                user_id=int(claims["sub"]),
                tenant_id=int(claims["tid"]),
                role=str(claims["role"]),
                password_change_required=bool(claims.get("pcr", False)),
                issued_ms=int(claims.get("ims", 0)),
            ), float(claims["exp"])
        except (TypeError, ValueError) as exc:
            raise InvalidToken("malformed claims") from exc
    raise InvalidToken("bad signature")
