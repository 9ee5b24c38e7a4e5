from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "academy.tenants"
    label = "tenants"

    def ready(self) -> None:
        from academy.tenants import schema  # noqa: F401 - registers the OpenAPI bearer scheme
