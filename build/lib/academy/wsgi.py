"""WSGI entry point: the fast path for the request/response API (gunicorn)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings")
application = get_wsgi_application()
