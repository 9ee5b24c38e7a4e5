from django.core.management.base import BaseCommand

from academy.tenants.models import Membership, Role, Tenant
from academy.tenants.services import user_create


class Command(BaseCommand):
    help = "Create the demo tenant and its owner, once (running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo-password")

    def handle(self, *args, username, password, **options):
        membership = Membership.objects.filter(user__username=username).select_related("tenant").first()
        tenant = membership.tenant if membership else Tenant.objects.create(name="Demo Academy")
        if membership is None:
            user_create(username=username, password=password, tenant_id=tenant.pk, role=Role.OWNER)
        self.stdout.write(str(tenant.pk))
