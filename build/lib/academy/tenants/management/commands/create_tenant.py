from django.core.management.base import BaseCommand

from academy.tenants.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant and print its id."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        self.stdout.write(str(tenant_create(name=name).pk))
