"""Permissions checked against the token's identity only."""
from rest_framework.permissions import BasePermission

from academy.tenants.models import Role
from academy.tenants.tokens import Identity


class IsTenantMember(BasePermission):
    """Any member of the token's tenant whose password does not need changing first."""

    message = "Change your initial password first (POST /api/v1/auth/password/)."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not isinstance(user, Identity):
            return False
        return not user.password_change_required


class IsStaff(IsTenantMember):
    """Owners and teachers: the people who start tasks for the academy."""

    message = "Only owners and teachers may do this."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.role in (Role.OWNER, Role.TEACHER)
