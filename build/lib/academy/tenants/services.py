"""Writes and checks of tenants, users and memberships."""
from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import transaction

from academy.tenants.models import Membership, Role, Tenant, User
from academy.tenants.tokens import token_issue


class LoginFailed(Exception):
    """Wrong credentials or no membership: deliberately one error for both."""


def tenant_create(*, name: str) -> Tenant:
    """Create a tenant."""
    return Tenant.objects.create(name=name)


@transaction.atomic
def user_create(*, username: str, password: str, tenant_id: int, role: str) -> User:
    """Create a user (or reuse one by username) with a membership in the tenant."""
    tenant = Tenant.objects.get(pk=tenant_id)
    user, created = User.objects.get_or_create(username=username)
    if created or password:
        user.set_password(password)
        user.save(update_fields=["password"])
    Membership.objects.update_or_create(tenant=tenant, user=user, defaults={"role": role})
    return user


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


def password_change(*, user_id: int, old_password: str, new_password: str) -> None:
    """Replace the user's password after checking the old one."""
    user = User.objects.get(pk=user_id)
    if not user.check_password(old_password):
        raise LoginFailed
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])


__all__ = ["LoginFailed", "Role", "password_change", "tenant_create", "token_obtain", "user_create"]
