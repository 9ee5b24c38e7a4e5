"""ASGI entry point: serves the whole API, used by the demo and for streaming."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings")
application = get_asgi_application()
