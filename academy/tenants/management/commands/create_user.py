from django.core.management.base import BaseCommand, CommandError

from academy.tenants.models import Role, Tenant
from academy.tenants.services import PasswordRejected, user_create


class Command(BaseCommand):
    help = "Create a user (or update its password) with a membership in a tenant."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--tenant", type=int, required=True)
        parser.add_argument("--role", choices=[Role.OWNER, Role.TEACHER, Role.STUDENT, Role.PARENT],
                            default=Role.OWNER)
        parser.add_argument("--password", required=True)

    def handle(self, *args, username, tenant, role, password, **options):
        try:
            user = user_create(username=username, password=password, tenant_id=tenant, role=role)
        except Tenant.DoesNotExist:
            raise CommandError(f"No tenant with id {tenant}.") from None
        except PasswordRejected as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        self.stdout.write(str(user.pk))
