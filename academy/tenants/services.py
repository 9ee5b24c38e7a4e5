"""Writes and checks of tenants, users and memberships."""
from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from academy.access.revocation import tokens_revoke
from academy.tenants.activation import activation_code_matches, activation_code_normalize
from academy.tenants.models import Membership, Role, Tenant, User
from academy.tenants.tokens import token_issue


class LoginFailed(Exception):
    """Wrong credentials or no membership: deliberately one error for both."""


class PasswordRejected(Exception):
    """The new password breaks rules; `errors` name each ({"code", "params", "message"})."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors)
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return [error["message"] for error in self.errors]


def _json_params(params) -> dict:
    """Return a validator's params as JSON values (a similarity check passes a model field)."""
    return {key: value if isinstance(value, (int, float, str)) else str(value) for key, value in (params or {}).items()}


def password_check(*, user: User, password: str, previous: tuple[str, ...] = ()) -> None:
    """Apply AUTH_PASSWORD_VALIDATORS and refuse a password equal to a previous credential."""
    errors: list[dict] = []
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        # Django's validators name each failure (password_too_short...) with its params.
        errors += [{"code": error.code or "invalid", "params": _json_params(error.params), "message": message}
                   for error, message in zip(exc.error_list, exc.messages)]
    if any(password == old for old in previous if old):
        errors.append({"code": "password_unchanged", "params": {},
                       "message": "The new password must differ from the current or initial one."})
    if errors:
        raise PasswordRejected(errors)


def tenant_create(*, name: str) -> Tenant:
    """Create a tenant."""
    return Tenant.objects.create(name=name)


@transaction.atomic
def user_create(*, username: str, password: str, tenant_id: int, role: str) -> User:
    """Create a user (or reuse one by username) with a membership in the tenant.

    Raise PasswordRejected when the password breaks AUTH_PASSWORD_VALIDATORS. A changed
    password or role revokes the user's earlier tokens.
    """
    tenant = Tenant.objects.get(pk=tenant_id)
    user, created = User.objects.get_or_create(username=username)
    if created or password:
        password_check(user=user, password=password)
        user.set_password(password)
        user.save(update_fields=["password"])
    membership, made = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
    if not made and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        tokens_revoke(user_id=user.pk)
    elif not created and password:
        tokens_revoke(user_id=user.pk)
    return user


def membership_remove(*, user_id: int, tenant_id: int) -> bool:
    """Remove the user's membership in the tenant and revoke their tokens; return whether one existed."""
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(user_id=user_id, tenant_id=tenant_id).delete()
        tokens_revoke(user_id=user_id)
    return bool(deleted)


def users_deactivate(*, user_ids: list[int]) -> None:
    """Deactivate accounts and revoke their tokens (call inside the caller's transaction)."""
    User.objects.filter(pk__in=user_ids).update(is_active=False)
    for user_id in user_ids:
        tokens_revoke(user_id=user_id)


def _token_body(*, user: User, membership: Membership) -> dict:
    access, ttl = token_issue(
        user_id=user.pk,
        tenant_id=membership.tenant_id,
        role=membership.role,
        password_change_required=user.must_change_password,
    )
    return {
        "access": access,
        "tenant_id": membership.tenant_id,
        "tenant_name": membership.tenant.name,
        "role": membership.role,
        "expires_in": ttl,
        "password_change_required": user.must_change_password,
    }


def token_obtain(*, username: str, password: str, tenant_id: int) -> dict:
    """Check the password and the membership once, then issue a token that carries both."""
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise LoginFailed
    membership = (
        Membership.objects.select_related("tenant").filter(user=user, tenant_id=tenant_id).first()
    )
    if membership is None:
        raise LoginFailed
    return _token_body(user=user, membership=membership)


def password_change(*, user_id: int, tenant_id: int, old_password: str, new_password: str) -> dict:
    """Replace the user's password after checking the old one; revoke older tokens, return a new one.

    Raise LoginFailed for a wrong old password, PasswordRejected for a weak or unchanged new one.
    """
    user = User.objects.get(pk=user_id)
    if not user.check_password(old_password):
        raise LoginFailed
    password_check(user=user, password=new_password, previous=(old_password,))
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        tokens_revoke(user_id=user.pk)
    membership = Membership.objects.select_related("tenant").filter(user=user, tenant_id=tenant_id).first()
    if membership is None:
        raise LoginFailed
    return _token_body(user=user, membership=membership)


def account_activate(*, username: str, tenant_id: int, activation_code: str, new_password: str) -> dict:
    """Turn a one-time activation code into the password the user chooses; return a token.

    Raise LoginFailed for a wrong, used or expired code (one answer for all, and for unknown
    users), PasswordRejected for a password the validators refuse or equal to the code.
    """
    membership = (
        Membership.objects.select_related("tenant", "user")
        .filter(user__username=username, tenant_id=tenant_id).first()
    )
    user = membership.user if membership else None
    if (user is None or not user.is_active or not activation_code_matches(activation_code, user.activation_code_hash)
            or (user.activation_expires_at and user.activation_expires_at < timezone.now())):
        raise LoginFailed
    code = activation_code_normalize(activation_code)
    previous = (activation_code, code, code.lower())
    password_check(user=user, password=new_password, previous=previous)
    with transaction.atomic():
        # Consumed atomically: of two concurrent activations with one code, one wins.
        updated = User.objects.filter(pk=user.pk, activation_code_hash=user.activation_code_hash).update(
            activation_code_hash="", activation_expires_at=None, must_change_password=False)
        if not updated:
            raise LoginFailed
        user.set_password(new_password)
        user.save(update_fields=["password"])
    user.must_change_password = False
    return _token_body(user=user, membership=membership)


__all__ = [
    "LoginFailed", "PasswordRejected", "Role", "account_activate", "membership_remove", "password_change",
    "password_check", "tenant_create", "token_obtain", "user_create", "users_deactivate",
]
