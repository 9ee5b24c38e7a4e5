from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "academy.messaging"
    label = "messaging"

    def ready(self):
        # Registers the "message_send" job type with the jobs registry.
        from academy.messaging import handlers  # noqa: F401
