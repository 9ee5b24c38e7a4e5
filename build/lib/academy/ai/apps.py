from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "academy.ai"
    label = "ai"

    def ready(self):
        # Registers the AI job types with the jobs registry.
        from academy.ai import handlers  # noqa: F401
